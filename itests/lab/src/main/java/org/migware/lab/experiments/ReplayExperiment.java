package org.migware.lab.experiments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.migware.lab.Await;
import org.migware.lab.LabFiles;
import org.migware.lab.LabException;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;

/**
 * The lab of the delivery scenarios (issue 9): three hosts, MigWare in the backup watching one
 * port of the primary with the fast ICMP monitor and a chosen {@code delivery}, and the steps a
 * test needs around the real servers and clients it starts itself: MigWare's readiness before
 * the pull and its counts after it ({@code migware:status --json}), the pull, PROXY. The servers
 * and clients, and the oracles on their results, are the test's. {@link #close()} removes the
 * namespaces and the work folder (downloads of hundreds of MiB included), also after a failure.
 */
public final class ReplayExperiment implements AutoCloseable {

    private final LabNetwork lab;
    private final int port;
    private MigwareInstance migware;

    private ReplayExperiment(LabNetwork lab, int port) {
        this.lab = lab;
        this.port = port;
    }

    /** Builds the lab (namespaces named {@code <prefix>-*}); MigWare is started by {@link #startMigware}. */
    public static ReplayExperiment create(String prefix, int port) {
        LabNetwork lab = LabNetwork.builder().prefix(prefix).replaceLeftovers(true).create();
        try {
            // A veth carries its sender's GSO segments whole: up to 64 KiB of payload in one frame,
            // which libpcap's ring cuts at 65535 bytes, and a cut frame is a gap in a kept stream.
            // A wire (and a switch's mirror port) carries MTU-sized frames; 16 KiB segments keep
            // every frame whole while sending stays cheap.
            for (Role role : new Role[] {Role.CLIENT, Role.PRIMARY}) {
                lab.exec(role, "ip", "link", "set", "dev", LabNetwork.ROLE_INTERFACE, "gso_max_size", "16384").requireSuccess();
            }
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
        return new ReplayExperiment(lab, port);
    }

    /** @return the lab */
    public LabNetwork lab() {
        return lab;
    }

    /** @return the service's port */
    public int port() {
        return port;
    }

    /** @return the role's address */
    public String address(Role role) {
        return lab.address(role);
    }

    /** @return a folder of the lab's work folder, created */
    public Path folder(String name) {
        try {
            return Files.createDirectories(lab.workDir().resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + name, e);
        }
    }

    /**
     * Starts MigWare in the backup with {@code delivery} for the service's port and waits until it
     * captures and its ICMP monitor says UP: from then on it sees every SYN.
     *
     * @param proxy further keys of {@code org.migware.proxy} (e.g. the replay bounds)
     */
    public MigwareInstance startMigware(Path distribution, String delivery, Map<String, String> proxy) {
        return startMigware(distribution, delivery, proxy, Map.of());
    }

    /**
     * As {@link #startMigware(Path, String, Map)}, with more configurations.
     *
     * @param more whole configurations by PID that replace the lab's (e.g. {@code org.migware.service}
     *        with two addresses) or come beside them (e.g. {@code org.migware.tracker})
     */
    public MigwareInstance startMigware(Path distribution, String delivery, Map<String, String> proxy,
            Map<String, Map<String, String>> more) {
        Map<String, Map<String, String>> configs = new HashMap<>();
        configs.put("org.migware.service", Map.of("addresses", lab.address(Role.PRIMARY), "ports", Integer.toString(port)));
        // Replay needs every byte of every kept stream: a frame the capture drops is a gap that makes
        // its connection not replayable. Downloads at tens of MiB/s on a busy machine outrun the
        // shipped 16 MiB ring; 128 MiB rides their bursts out (the frames stay under the shipped
        // 65535-byte snapshot: see the GSO bound in create).
        configs.put("org.migware.capture.pcap4j", Map.of("interfaceName", LabNetwork.ROLE_INTERFACE, "bufferSize", "134217728"));
        configs.put("org.migware.capture.file", Map.of());
        Map<String, String> proxyConfig = new HashMap<>(proxy);
        proxyConfig.put("replicaAddress", lab.address(Role.BACKUP));
        proxyConfig.put("delivery", delivery);
        configs.put("org.migware.proxy", proxyConfig);
        configs.put(DetectionExperiment.Monitor.ICMP.pid(), DetectionExperiment.Profile.FAST.of(DetectionExperiment.Monitor.ICMP));
        configs.putAll(more);
        migware = MigwareInstance.start(lab, Role.BACKUP, distribution, configs, Duration.ofSeconds(60));
        Await.until("MigWare capturing with its ICMP monitor UP", Duration.ofSeconds(30), () -> {
            MigwareStatus s = migware.status();
            return s.capturing() && s.says("icmp", "UP");
        });
        Await.until("MigWare's delivery " + delivery, Duration.ofSeconds(10), () -> statusJson().contains("\"delivery\":\"" + delivery));
        return migware;
    }

    /** @return the running MigWare */
    public MigwareInstance migware() {
        if (migware == null) {
            throw new IllegalStateException("MigWare is not started");
        }
        return migware;
    }

    /** @return {@code migware:status --json} */
    public String statusJson() {
        return migware().query("migware:status --json");
    }

    /**
     * @return the first integer under {@code key} in a status's JSON (e.g. {@code replayable},
     *     {@code diverged}), or -1 when absent
     */
    public static long count(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(-?\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * Pulls the primary's link, after checking that MigWare is still in NORMAL (a failover before
     * the pull would void the run).
     *
     * @return when it was pulled
     */
    public Instant pull() {
        MigwareStatus before = migware().status();
        if (!before.normal()) {
            throw new LabException("MigWare left NORMAL before the primary's link was pulled:\n" + before);
        }
        Instant pulled = Instant.now();
        lab.pullPrimaryLink();
        return pulled;
    }

    /** @return when MigWare entered PROXY, by its own status (the machine's clock) */
    public Instant awaitProxy(Duration timeout) {
        return Await.value("MigWare in PROXY", timeout, () -> {
            MigwareStatus s = migware().status();
            return s.state().equals("PROXY") ? Optional.ofNullable(s.since()) : Optional.empty();
        });
    }

    /** Stops MigWare and every process of the lab, removes the namespaces and the work folder. */
    @Override
    public void close() {
        Path work = lab.workDir();
        try {
            if (migware != null) {
                migware.close();
            }
        } finally {
            lab.close();
            LabFiles.deleteTree(work);
        }
    }
}
