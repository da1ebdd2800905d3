package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigrationExperiment.Result;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.network.LabNetwork;

/**
 * Issue 11's notifyCommand on the lab, with FencingLabTest's failover (MigrationExperiment: 20
 * push clients, the FAST monitor, the primary's link pulled). The command is a script that
 * appends its MIGWARE_* variables to a file: the file is what the command saw. Run twice: once
 * with a command that returns at once, once with one that records its event and then hangs
 * (sleep 60, killed after notifyTimeoutMillis). Both times every client's connection must be
 * carried on (the applications are the oracle of the failover); the hanging command's processes
 * must be gone long before their sleep ends (the process table is the oracle of the kill). The
 * decision-to-PROXY time of both runs is printed, not asserted.
 */
@Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
class NotifyLabTest {

    private static final int CONNECTIONS = 10;
    private static final long HANG_TIMEOUT_MILLIS = 1500;

    @TempDir
    Path dir;

    /** One line the command wrote. */
    private record Seen(long sequence, String event, String from, String to, Instant time, String monitor, String verdict, String reason) {
        static Seen parse(String line) {
            String[] f = line.split("\\|", -1);
            return new Seen(Long.parseLong(f[0]), f[1], f[2], f[3], Instant.parse(f[4]), f[5], f[6], f[7]);
        }
    }

    private Path script(String name, String body) throws IOException {
        Path script = dir.resolve(name);
        Files.writeString(script, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    private static String record(Path file) {
        return "printf '%s|%s|%s|%s|%s|%s|%s|%s\\n' \"$MIGWARE_SEQUENCE\" \"$MIGWARE_EVENT\" \"$MIGWARE_FROM\" \"$MIGWARE_TO\""
                + " \"$MIGWARE_TIME\" \"$MIGWARE_MONITOR\" \"$MIGWARE_VERDICT\" \"$MIGWARE_REASON\" >> '" + file + "'\n";
    }

    private static List<Seen> seen(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(Seen::parse).toList() : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Result run(String prefix, Path command, long timeoutMillis, MigrationExperiment.Observer extra) {
        MigrationExperiment.Options options = MigrationExperiment.Options.defaults(BuiltDistribution.home())
                .withConnections(CONNECTIONS).withPrefix(prefix).withMonitor(DetectionExperiment.Profile.FAST)
                .withBeforeFailureMillis(10_000).withAfterFailureMillis(10_000);
        Result result = MigrationExperiment.run(options, message -> System.out.println("[lab " + prefix + "] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void ready(LabNetwork lab, MigwareInstance migware) {
                        // armed needs a fence or the site's word that it has none
                        migware.configure("org.migware.observability", Map.of("fenceAbsenceAccepted", "true"));
                        migware.configure("org.migware.notify", Map.of("notifyCommand", command.toString(),
                                "notifyTimeoutMillis", Long.toString(timeoutMillis), "armCheckMillis", "200"));
                        extra.ready(lab, migware);
                    }

                    @Override
                    public void finished(LabNetwork lab, MigwareInstance migware) {
                        extra.finished(lab, migware);
                    }
                });
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
        assertEquals(CONNECTIONS, result.connections().size());
        assertEquals(CONNECTIONS, result.survived(), () -> "connections not carried on:\n" + result.connections().stream()
                .filter(c -> !c.survived()).limit(5).map(Object::toString).collect(Collectors.joining("\n")) + "\n" + result.statusAfter());
        assertNotNull(result.proxySince(), "PROXY reached");
        return result;
    }

    private static Optional<Seen> state(List<Seen> seen, String from, String to) {
        return seen.stream().filter(s -> s.event().equals("STATE") && s.from().equals(from) && s.to().equals(to)).findFirst();
    }

    /** @return decision (NORMAL to RECOVERY) to PROXY, in ms, as the command's MIGWARE_TIME says; -1 when it did not see both */
    private static long decisionToProxyMillis(List<Seen> seen) {
        Optional<Seen> recovery = state(seen, "NORMAL", "RECOVERY");
        Optional<Seen> proxy = state(seen, "RECOVERY", "PROXY");
        return recovery.isPresent() && proxy.isPresent() ? Duration.between(recovery.get().time(), proxy.get().time()).toMillis() : -1;
    }

    @Test
    void theCommandSeesEveryChangeAndAHangingOneDelaysNoFailover() throws Exception {
        // 1. A command that returns at once.
        Path events = dir.resolve("events.txt");
        Result quick = run("mwnotq", script("notify.sh", record(events)), 10_000, new MigrationExperiment.Observer() { });
        List<Seen> seen = seen(events);
        String all = seen.stream().map(Seen::toString).collect(Collectors.joining("\n"));
        for (int i = 1; i < seen.size(); i++) {
            assertEquals(seen.get(i - 1).sequence() + 1, seen.get(i).sequence(), () -> "one event after the other, none lost:\n" + all);
        }
        Seen recovery = state(seen, "NORMAL", "RECOVERY").orElseThrow(() -> new AssertionError("no NORMAL -> RECOVERY:\n" + all));
        Seen proxy = state(seen, "RECOVERY", "PROXY").orElseThrow(() -> new AssertionError("no RECOVERY -> PROXY:\n" + all));
        assertTrue(seen.stream().anyMatch(s -> s.event().equals("STATE") && s.to().equals("NORMAL") && s.sequence() < recovery.sequence()),
                () -> "NORMAL first:\n" + all);
        assertTrue(recovery.sequence() < proxy.sequence(), all);
        assertFalse(recovery.reason().isBlank(), "the decision's reason: " + recovery);
        Seen down = seen.stream().filter(s -> s.event().equals("VERDICT") && s.verdict().equals("DOWN")).findFirst()
                .orElseThrow(() -> new AssertionError("no verdict DOWN:\n" + all));
        assertEquals("UP", down.from(), all);
        assertFalse(down.monitor().isBlank(), all);
        assertTrue(down.sequence() < recovery.sequence(), () -> "the verdict before the decision:\n" + all);
        Seen armed = seen.stream().filter(s -> s.event().equals("ARMED")).findFirst()
                .orElseThrow(() -> new AssertionError("never armed before the pull:\n" + all));
        assertTrue(armed.sequence() < recovery.sequence(), all);
        // Disarmed once the primary is down, cause before effect: by the failover (told after NORMAL -> RECOVERY) when the
        // arm check first runs after the decision, or by the monitor's DOWN (told after that verdict) when it runs between
        // the verdict and the decision (seen once under load: the backup is rightly disarmed by then, and stays so).
        assertTrue(seen.stream().anyMatch(s -> s.event().equals("DISARMED")
                && (s.sequence() > recovery.sequence() && s.reason().contains("failover: already in")
                        || s.sequence() > down.sequence() && s.reason().contains(" is DOWN"))),
                () -> "disarmed by the failover, or by the monitor's DOWN after it was told:\n" + all);
        // no fenceCommand in this run: said at start and in the status
        assertTrue(quick.log().contains("core: unfenced: no fenceCommand"), "the start warns that MigWare is unfenced");
        assertTrue(quick.statusAfter().contains("fence:       unfenced"), quick.statusAfter());

        // 2. A command that records its event, then hangs: each run is killed after HANG_TIMEOUT_MILLIS.
        Path hangEvents = dir.resolve("hang-events.txt");
        Path pids = dir.resolve("hang-pids.txt");
        Path hanging = script("notify-hang.sh", record(hangEvents) + "echo $$ >> '" + pids + "'\nexec sleep 60\n");
        Map<Long, Instant> firstSeen = new ConcurrentHashMap<>();
        Map<Long, Instant> goneAt = new ConcurrentHashMap<>();
        Thread watcher = new Thread(() -> watch(pids, firstSeen, goneAt), "notify-pid-watch");
        watcher.setDaemon(true);
        watcher.start();
        Instant[] finished = new Instant[1];
        Result slow;
        try {
            slow = run("mwnoth", hanging, HANG_TIMEOUT_MILLIS, new MigrationExperiment.Observer() {
                @Override
                public void finished(LabNetwork lab, MigwareInstance migware) {
                    finished[0] = Instant.now();
                }
            });
        } finally {
            watcher.interrupt();
        }
        watcher.join(5000);
        List<Seen> hangSeen = seen(hangEvents);
        String hangAll = hangSeen.stream().map(Seen::toString).collect(Collectors.joining("\n"));
        assertFalse(firstSeen.isEmpty(), "the hanging command ran");
        assertNotNull(finished[0], "the experiment finished");
        // Every hanging run that started at least its timeout (and a margin) before the clients
        // finished is gone, and long before its sleep 60 would have ended. One still running when
        // the lab stopped MigWare is not judged, and ended here.
        List<String> lifetimes = new ArrayList<>();
        for (Map.Entry<Long, Instant> e : firstSeen.entrySet()) {
            long pid = e.getKey();
            Instant gone = goneAt.get(pid);
            if (e.getValue().isBefore(finished[0].minusMillis(HANG_TIMEOUT_MILLIS + 2000))) {
                assertNotNull(gone, "hanging notify command pid " + pid + " was never killed");
                assertTrue(Duration.between(e.getValue(), gone).toSeconds() < 60, "pid " + pid + " ended by itself");
                lifetimes.add(Duration.between(e.getValue(), gone).toMillis() + " ms");
            } else if (gone == null) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        assertFalse(lifetimes.isEmpty(), "no hanging run was seen ending");
        System.out.printf("[lab notify] hanging command (timeout %d ms): %d runs, lifetimes %s%n", HANG_TIMEOUT_MILLIS,
                firstSeen.size(), lifetimes);
        System.out.printf("[lab notify] decision to PROXY: %d ms with a quick command, %d ms with a hanging one"
                + " (pull to PROXY: %d ms and %d ms; the hanging command saw %d events)%n",
                decisionToProxyMillis(seen), decisionToProxyMillis(hangSeen),
                Duration.between(quick.linkPulled(), quick.proxySince()).toMillis(),
                Duration.between(slow.linkPulled(), slow.proxySince()).toMillis(), hangSeen.size());
        System.out.println("[lab notify] the hanging command saw:\n" + hangAll);
    }

    /**
     * @return whether {@code pid} still runs: its /proc entry is there and it is not a zombie (a
     *     killed process whose parent has not collected it yet has ended all the same)
     */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
            return !state.equals("Z") && !state.equals("X");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Notes when each pid written to {@code pids} is first seen and when it has ended, from the process table. */
    private static void watch(Path pids, Map<Long, Instant> firstSeen, Map<Long, Instant> goneAt) {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (Files.exists(pids)) {
                    for (String line : Files.readAllLines(pids)) {
                        if (!line.isBlank()) {
                            firstSeen.putIfAbsent(Long.parseLong(line.trim()), Instant.now());
                        }
                    }
                }
                for (Long pid : firstSeen.keySet()) {
                    if (!goneAt.containsKey(pid) && !running(pid)) {
                        goneAt.put(pid, Instant.now());
                    }
                }
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                // a line half written: read again next time
            }
        }
    }
}
