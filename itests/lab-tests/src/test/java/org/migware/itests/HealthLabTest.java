package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.Await;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;

/**
 * {@code /health} of MigWare in the backup while the clients run: 200 when armed, and 503 naming
 * the part as the capture, the monitor and the replica are taken away one at a time, 200 again
 * when each comes back. The capture and the monitor are their bundles, stopped and started in the
 * running container; the replica is a real listening process (a stand-in on a port of its own,
 * which the proxy is pointed at for the walk), killed and started again. The oracle is the HTTP
 * status curl reads in the backup's namespace.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class HealthLabTest {

    private static final String HEALTH = "http://127.0.0.1:9464/health";
    private static final int STAND_IN_PORT = 7911;

    @Test
    void healthNamesEachPartTakenAwayAndComesBackWithIt() {
        String prefix = "mwhealth";
        List<String> walk = new CopyOnWriteArrayList<>();
        MigrationExperiment.Options options = MigrationExperiment.Options.defaults(BuiltDistribution.home())
                .withConnections(5).withPrefix(prefix).withMonitor(DetectionExperiment.Profile.FAST)
                .withBeforeFailureMillis(4_000).withAfterFailureMillis(4_000);
        MigrationExperiment.run(options, message -> System.out.println("[lab " + prefix + "] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void ready(LabNetwork lab, MigwareInstance migware) {
                        migware.configure("org.migware.observability", Map.of("fenceAbsenceAccepted", "true"));
                    }

                    @Override
                    public void aboutToPull(LabNetwork lab, MigwareInstance migware) {
                        walk.add(expect(lab, 200, "armed"));

                        String capture = bundleId(migware, "org.migware.capture.pcap4j");
                        migware.query("stop " + capture);
                        walk.add(expect(lab, 503, "capture: no capture source is running"));
                        migware.query("start " + capture);
                        walk.add(expect(lab, 200, "armed"));

                        String monitor = bundleId(migware, "org.migware.monitor.icmp");
                        migware.query("stop " + monitor);
                        walk.add(expect(lab, 503, "monitor: none is present"));
                        migware.query("start " + monitor);
                        walk.add(expect(lab, 200, "armed"));

                        String[] standIn = {"python3", "-c", "import socket,time\n"
                                + "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                                + "s.bind(('" + lab.address(Role.BACKUP) + "', " + STAND_IN_PORT + ")); s.listen(); time.sleep(600)\n"};
                        LabProcess replica = lab.start(Role.BACKUP, "stand-in-replica", standIn);
                        String proxy = readConfig(migware);
                        migware.configure("org.migware.proxy", with(proxy, "replicaPort", Integer.toString(STAND_IN_PORT)));
                        walk.add(expect(lab, 200, "armed"));
                        replica.destroy(Duration.ZERO);
                        walk.add(expect(lab, 503, "replica: nothing listens on port " + STAND_IN_PORT));
                        LabProcess again = lab.start(Role.BACKUP, "stand-in-replica", standIn);
                        walk.add(expect(lab, 200, "armed"));
                        // The real replica again for the failover the experiment goes on with.
                        migware.configure("org.migware.proxy", with(proxy, null, null));
                        walk.add(expect(lab, 200, "armed"));
                        again.destroy(Duration.ZERO);
                        System.out.println("[health] " + walk);
                    }
                });
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /** The proxy's configuration as the experiment wrote it: key = value lines of etc/org.migware.proxy.cfg. */
    private static String readConfig(MigwareInstance migware) {
        try {
            return java.nio.file.Files.readString(migware.home().resolve("etc/org.migware.proxy.cfg"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The settings of {@code config}, with {@code key} set to {@code value} (none: as they were). */
    private static Map<String, String> with(String config, String key, String value) {
        Map<String, String> settings = new java.util.LinkedHashMap<>();
        config.lines().filter(line -> !line.isBlank() && !line.startsWith("#") && line.contains("="))
                .forEach(line -> settings.put(line.substring(0, line.indexOf('=')).trim(), line.substring(line.indexOf('=') + 1).trim()));
        if (key != null) {
            settings.put(key, value);
        }
        return settings;
    }

    /** Waits until /health answers {@code status} with {@code reason} in its body. */
    private static String expect(LabNetwork lab, int status, String reason) {
        String[] last = {""};
        try {
            Await.until("/health " + status + " with '" + reason + "'", Duration.ofSeconds(30), () -> {
                String answer = lab.exec(Role.BACKUP, "curl", "-sS", "--max-time", "5", "-w", "\n%{http_code}", HEALTH).stdout();
                last[0] = answer;
                return answer.endsWith("\n" + status) && answer.contains(reason);
            });
        } catch (RuntimeException e) {
            throw new AssertionError("/health did not answer " + status + " with '" + reason + "'; it answered:\n" + last[0], e);
        }
        return status + " " + reason;
    }

    private static String bundleId(MigwareInstance migware, String symbolicName) {
        return migware.query("lb -s " + symbolicName).lines()
                .filter(line -> line.contains(symbolicName))
                .map(line -> line.split("\\|")[0].trim())
                .findFirst().orElseThrow(() -> new AssertionError("no bundle " + symbolicName));
    }
}
