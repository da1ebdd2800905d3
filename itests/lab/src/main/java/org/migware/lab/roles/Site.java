package org.migware.lab.roles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.migware.lab.Await;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;
import org.migware.lab.workloads.PushClient;
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.workloads.SinkReport;
import org.migware.lab.workloads.SinkServer;

/**
 * A site of the lab run with keepalived: the pieces its scenarios share. The applications (a
 * push sink on every server host, listening on every address, the service address too once it
 * is its host's), the clients (push clients ended by SIGTERM, so they write their final report),
 * a watching MigWare's configuration, and what the kernels and the applications say.
 */
public final class Site {

    /** The service port. */
    public static final int PORT = 7000;
    private static final Pattern TRANSITION = Pattern.compile("-> (CLAIMING|RECOVERY|PROXY|NORMAL) at (\\S+) \\(");

    private Site() {
    }

    /** @return the service (VRRP) address of {@code lab}: .100 in its subnet */
    public static String serviceAddress(LabNetwork lab) {
        return lab.address(Role.PRIMARY).replaceAll("\\.\\d+$", ".100");
    }

    /** Starts a push sink on {@code role}, on every address. */
    public static LabProcess sink(LabNetwork lab, Role role, String name, Path report) {
        LabProcess sink = lab.startJava(role, name, SinkServer.class,
                new SinkServer.Options().bind("0.0.0.0").port(PORT).report(report).toArgs());
        sink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));
        return sink;
    }

    /** Starts push clients to the service; they run until ended (SIGTERM: they close and write their final report). */
    public static LabProcess client(LabNetwork lab, String name, String service, int connections, int firstId, long intervalMillis,
            Path report) {
        LabProcess client = lab.startJava(Role.CLIENT, name, PushClient.class, new PushClient.Options().host(service).port(PORT)
                .connections(connections).firstId(firstId).intervalMillis(intervalMillis).durationMillis(3_600_000).report(report)
                .reportIntervalMillis(500).toArgs());
        client.awaitOutput(PushClient.STARTED, Duration.ofSeconds(30));
        return client;
    }

    /**
     * A watching host's configuration, the same on every host but for the names: the service, its
     * capture (both directions: once it serves, its own kernel's answers are part of the
     * conversations it tracks and syncs), its replica (the application on this host), the direct
     * path with keepalived's track file, and an ICMP monitor on {@code watched}.
     *
     * @param watched the address the ICMP monitor watches: the primary host's, or the service address
     *        on a site of several backups (the winner then answers for it)
     */
    public static Map<String, Map<String, String>> watching(LabNetwork lab, String service, Role self, String watched, Path trackFile) {
        Map<String, Map<String, String>> configs = new HashMap<>();
        configs.put("org.migware.service", Map.of("addresses", service, "ports", Integer.toString(PORT)));
        configs.put("org.migware.capture.pcap4j", Map.of("interfaceName", LabNetwork.ROLE_INTERFACE, "direction", "INOUT",
                "bufferSize", "67108864"));
        configs.put("org.migware.capture.file", Map.of());
        configs.put("org.migware.proxy", Map.of("replicaAddress", lab.address(self), "directPath", "true",
                "keepalivedTrackFile", trackFile.toString()));
        Map<String, String> icmp = new HashMap<>(DetectionExperiment.Profile.FAST.of(DetectionExperiment.Monitor.ICMP));
        icmp.put("target", watched);
        configs.put(DetectionExperiment.Monitor.ICMP.pid(), icmp);
        return configs;
    }

    /** Waits until MigWare captures, tracks, its ICMP monitor says UP, and it holds its keepalived back. */
    public static void awaitWatching(MigwareInstance migware, Path trackFile) {
        Await.until("MigWare capturing and tracking with its ICMP monitor UP", Duration.ofSeconds(30), () -> {
            var s = migware.status();
            return s.capturing() && s.tracking() && s.says("icmp", "UP");
        });
        Await.until("MigWare holding its keepalived back (track file 1)", Duration.ofSeconds(10), () -> {
            try {
                return Files.isRegularFile(trackFile) && Files.readString(trackFile).strip().equals("1");
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** @return ss on the client: the local address:port of every established connection to the service */
    public static Set<String> established(LabNetwork lab, String service) {
        String out = lab.exec(Role.CLIENT, "ss", "-Htn", "state", "established", "dst", service + ":" + PORT).requireSuccess().stdout();
        Set<String> clients = new TreeSet<>();
        for (String line : out.split("\n")) {
            String[] words = line.trim().split("\\s+");
            if (words.length >= 4) {
                clients.add(words[words.length - 2]);
            }
        }
        return clients;
    }

    /** @return the client's Tcp EstabResets: established connections ended by a reset */
    public static long estabResets(LabNetwork lab) {
        List<String> lines = lab.exec(Role.CLIENT, "cat", "/proc/net/snmp").requireSuccess().stdout().lines()
                .filter(l -> l.startsWith("Tcp:")).toList();
        List<String> names = List.of(lines.get(0).split("\\s+"));
        return Long.parseLong(lines.get(1).split("\\s+")[names.indexOf("EstabResets")]);
    }

    /**
     * @return why the records of {@code c} do not join up across the applications, in the order
     *         they served it; empty when they do: the first holds record 1, each next one starts at
     *         most one past the last of the one before (resume: a record may reach two), the last
     *         ends at the client's last record, and none lost a record, tore one or got one twice
     */
    public static Optional<String> checkJoined(PushClientReport.Connection c, List<SinkReport> applications) {
        if (!c.error().isEmpty()) {
            return Optional.of("connection " + c.id() + ": the client's error: " + c.error());
        }
        List<SinkReport.Connection> served = new ArrayList<>();
        for (SinkReport application : applications) {
            application.byConnId(c.id()).filter(s -> s.records() > 0).ifPresent(served::add);
        }
        if (served.isEmpty()) {
            return Optional.of("connection " + c.id() + ": no application got a record");
        }
        long next = 1;
        for (SinkReport.Connection s : served) {
            if (s.firstSeq() > next || s.gaps() != 0 || s.torn() != 0 || s.duplicates() != 0 || s.corrupt() != 0) {
                return Optional.of("connection " + c.id() + ": record " + next + " expected next, then " + served);
            }
            next = Math.max(next, s.lastSeq() + 1);
        }
        return next - 1 == c.recordsSent() ? Optional.empty()
                : Optional.of("connection " + c.id() + ": the client sent " + c.recordsSent() + " records, the applications got up to "
                        + (next - 1) + ": " + served);
    }

    /**
     * @return MigWare's own times of a failover, from its log: when it first entered each state
     *         (CLAIMING, RECOVERY, PROXY, NORMAL) after {@code pulled}
     */
    public static Map<String, Instant> loggedTransitions(String log, Instant pulled) {
        Map<String, Instant> at = new HashMap<>();
        Matcher m = TRANSITION.matcher(log);
        while (m.find()) {
            Instant when = Instant.parse(m.group(2));
            if (!when.isBefore(pulled)) {
                at.putIfAbsent(m.group(1), when);
            }
        }
        return at;
    }

    /** @return milliseconds from {@code from} to {@code to}, -1 when either is unknown */
    public static long millis(Instant from, Instant to) {
        return from == null || to == null ? -1 : Duration.between(from, to).toMillis();
    }

    /**
     * One bulk connection from the client for {@code millis}.
     *
     * @return bytes a second of it, from the client's own count of bytes written, the first second left out (slow start)
     */
    public static double bulkBytesPerSecond(LabNetwork lab, String host, int port, long millis, Path report) {
        LabProcess sender = lab.startJava(Role.CLIENT, "bulk-sender", org.migware.lab.workloads.BulkSender.class,
                new org.migware.lab.workloads.BulkSender.Options().host(host).port(port).durationMillis(millis).report(report).toArgs());
        if (!sender.waitFor(Duration.ofMillis(millis + 30_000))) {
            throw new org.migware.lab.LabException("the bulk sender did not end: " + sender.stderr());
        }
        List<org.migware.lab.workloads.BulkSenderReport.Sample> samples = org.migware.lab.workloads.BulkSenderReport.read(report).timeline();
        org.migware.lab.workloads.BulkSenderReport.Sample from = samples.stream().filter(x -> x.atMillis() >= 1000).findFirst()
                .orElseThrow(() -> new org.migware.lab.LabException("no sample after 1 s: " + samples));
        org.migware.lab.workloads.BulkSenderReport.Sample to = samples.get(samples.size() - 1);
        if (to.atMillis() <= from.atMillis()) {
            throw new org.migware.lab.LabException("too few samples: " + samples);
        }
        return (to.bytesWritten() - from.bytesWritten()) * 1000.0 / (to.atMillis() - from.atMillis());
    }
}
