package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.migware.lab.Await;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.MigwareConnections;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;

/**
 * {@code migware:pcap} after a failover: the recorder (etc/org.migware.recorder.cfg) keeps recent
 * frames of both sides, and the pcapng of one connection opens in tshark with the client's
 * segments captured before the pull, the forged handshake on the TUN and the translated segments
 * MigWare sent to the client afterwards; tshark finds no bad checksum on what MigWare wrote.
 */
class PcapLabTest {

    @org.junit.jupiter.api.io.TempDir
    Path folder;

    @Test
    void theExportOfOneConnectionShowsItsWholeFailoverInTshark() {
        String prefix = "mwpcap";
        AtomicReference<Path> exported = new AtomicReference<>();
        AtomicReference<String> answer = new AtomicReference<>();
        AtomicReference<Instant> pulledAt = new AtomicReference<>();
        AtomicReference<Path> recorded = new AtomicReference<>();
        MigrationExperiment.Options options = MigrationExperiment.Options.defaults(BuiltDistribution.home())
                .withConnections(5).withPrefix(prefix).withBeforeFailureMillis(6_000).withAfterFailureMillis(6_000);
        MigrationExperiment.run(options, message -> System.out.println("[lab] " + message), new MigrationExperiment.Observer() {
            @Override
            public void ready(LabNetwork lab, MigwareInstance migware) {
                // and, on its own, every frame from 3 s before the failover to 3 s after it
                migware.configure("org.migware.recorder", Map.of("ringBytes", Integer.toString(16 << 20), "failoverSeconds", "3"));
                // FileInstall applies etc/ within a second; the command exists once the recorder runs.
                Await.until("migware:pcap", Duration.ofSeconds(15),
                        () -> migware.tryQuery("help migware:pcap").map(text -> text.contains("pcap")).orElse(false));
            }

            @Override
            public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                pulledAt.set(pulled);
                Await.until("PROXY", Duration.ofSeconds(15), () -> migware.status().proxy());
                try {
                    Thread.sleep(2_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                MigwareConnections.TrackedConnection one = migware.connections().connections().get(0);
                Path file = lab.workDir().resolve("one-connection.pcapng");
                answer.set(migware.exec("migware:pcap " + one.clientAddress() + ":" + one.clientPort() + " " + file));
                exported.set(file);
                // written once the 3 s after the failover have passed
                Path recordings = migware.var().resolve("recordings");
                Await.until("the failover's own recording in " + recordings, Duration.ofSeconds(20), () -> {
                    try (var files = java.nio.file.Files.list(recordings)) {
                        return files.filter(f -> f.getFileName().toString().startsWith("failover-")).findFirst()
                                .map(f -> {
                                    recorded.set(f);
                                    return true;
                                }).orElse(false);
                    } catch (java.io.IOException notYet) {
                        return false;
                    }
                });
                Path copy = folder.resolve("failover.pcapng");
                Await.until("the recording complete (its size steady)", Duration.ofSeconds(10), () -> {
                    try {
                        long size = java.nio.file.Files.size(recorded.get());
                        Thread.sleep(300);
                        return size > 0 && size == java.nio.file.Files.size(recorded.get());
                    } catch (java.io.IOException e) {
                        return false;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                });
                try {
                    java.nio.file.Files.copy(recorded.get(), copy);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                recorded.set(copy);
            }
        });

        Path file = exported.get();
        assertTrue(answer.get().startsWith("wrote "), answer.get());
        long pulledMicros = pulledAt.get().getEpochSecond() * 1_000_000L + pulledAt.get().getNano() / 1_000;
        // frame.time_epoch in µs, the interface, the flags, the comment and the checksum verdict per frame
        List<String> frames = tshark(file, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-T", "fields",
                "-E", "separator=|", "-e", "frame.time_epoch", "-e", "frame.interface_id", "-e", "tcp.flags.str", "-e",
                "frame.comment", "-e", "tcp.checksum.status", "-e", "ip.checksum.status");
        long capturedBefore = frames.stream().filter(f -> f.contains("wire: captured") && micros(f) < pulledMicros).count();
        long forgedSyn = frames.stream().filter(f -> f.contains("tun: MigWare to the replica") && f.split("\\|")[2].contains("S")
                && !f.split("\\|")[2].contains("A")).count();
        List<String> sent = frames.stream().filter(f -> f.contains("wire: sent by MigWare")).toList();
        // Wireshark's checksum status: 1 good, 0 bad. What MigWare wrote (to the client and to the replica) must be good.
        List<String> badSent = frames.stream().filter(f -> !f.contains("wire: captured"))
                .filter(f -> {
                    String[] field = f.split("\\|", -1);
                    return !field[4].equals("1") || !field[5].equals("1");
                }).toList();
        String summary = answer.get() + "\n" + String.join("\n", frames.subList(0, Math.min(frames.size(), 60)));
        assertTrue(capturedBefore > 0, () -> "the client's segments before the pull\n" + summary);
        assertEquals(1, forgedSyn, () -> "the forged SYN on the TUN\n" + summary);
        assertTrue(sent.size() > 0 && sent.stream().allMatch(f -> micros(f) > pulledMicros), () -> "translated segments after\n" + summary);
        assertTrue(badSent.isEmpty(), () -> "bad checksums on what MigWare wrote: " + badSent);
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
        System.out.println("[pcap] " + frames.size() + " frames: " + capturedBefore + " captured before the pull, "
                + sent.size() + " sent to the client after it");

        // The failover's own recording: every connection, the wire before the pull, the TUN and the wire after.
        List<String> all = tshark(recorded.get(), "-T", "fields", "-E", "separator=|", "-e", "frame.time_epoch", "-e",
                "frame.interface_id", "-e", "tcp.flags.str", "-e", "frame.comment");
        long allBefore = all.stream().filter(f -> f.contains("wire: captured") && micros(f) < pulledMicros).count();
        long allSyns = all.stream().filter(f -> f.contains("tun: MigWare to the replica") && f.split("\\|")[2].contains("S")
                && !f.split("\\|")[2].contains("A")).count();
        long allSent = all.stream().filter(f -> f.contains("wire: sent by MigWare") && micros(f) > pulledMicros).count();
        String head = String.join("\n", all.subList(0, Math.min(all.size(), 40)));
        assertTrue(allBefore > 0, () -> "the recording holds the wire before the pull\n" + head);
        assertEquals(5, allSyns, () -> "the recording holds the forged SYN of each of the 5 connections\n" + head);
        assertTrue(allSent > 0, () -> "the recording holds what MigWare sent to the clients after\n" + head);
        System.out.println("[pcap] the failover's recording: " + all.size() + " frames, " + allBefore + " captured before the pull, "
                + allSyns + " forged SYNs, " + allSent + " sent to the clients after");
    }

    private static long micros(String fields) {
        String epoch = fields.split("\\|")[0];
        int dot = epoch.indexOf('.');
        return Long.parseLong(epoch.substring(0, dot)) * 1_000_000L + Long.parseLong((epoch.substring(dot + 1) + "000000").substring(0, 6));
    }

    private static List<String> tshark(Path file, String... arguments) {
        List<String> command = new java.util.ArrayList<>(List.of("tshark", "-r", file.toString()));
        command.addAll(List.of(arguments));
        ExecResult result = Commands.run(Duration.ofSeconds(60), command.toArray(String[]::new));
        assertTrue(result.ok(), () -> "tshark: " + result.stderr());
        return result.stdout().lines().filter(line -> !line.isBlank()).toList();
    }
}
