package org.migware.proxy.internal.recorder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.migware.api.connection.Endpoint;
import org.migware.api.failover.MappingSnapshot;
import org.migware.testing.TcpFrame;

/**
 * The pcapng the recorder writes, read by tshark (the oracle, not our own reader): the client's
 * wire frames on interface 0 as Ethernet, its shadow connection's TUN packets on interface 1 as
 * raw IPv4, each with its direction and side, and nobody else's frames.
 */
class PcapExportTest {

    @TempDir
    Path folder;

    @Test
    void oneClientsFramesOpenInTsharkWithTheirSides() throws Exception {
        FrameRing ring = new FrameRing(1 << 20, 2048);
        long t = 1_700_000_000_000_000_000L;
        ring.record(FrameRing.Side.WIRE_CAPTURED, TcpFrame.fromClient(40000).seq(1).payload(10).build(), 0,
                TcpFrame.fromClient(40000).seq(1).payload(10).build().length, t);
        byte[] other = TcpFrame.fromClient(40001).seq(1).payload(10).build();
        ring.record(FrameRing.Side.WIRE_CAPTURED, other, 0, other.length, t + 1_000);
        // the forged SYN to the replica: shadow 198.18.0.5:1024 -> 10.77.0.3:7000 (as the TUN sees it, no Ethernet header)
        byte[] syn = TcpFrame.fromClient(1024).from(0xc612_0005, 1024).to(0x0a4d_0003, 7000).flags(0x02).seq(1).buildIpv4();
        ring.record(FrameRing.Side.TUN_TO_REPLICA, syn, 0, syn.length, t + 2_000);
        byte[] sent = TcpFrame.fromServer(40000).seq(500).ack(11).payload(5).build();
        ring.record(FrameRing.Side.WIRE_SENT, sent, 0, sent.length, t + 3_000);

        MappingSnapshot mapping = new MappingSnapshot(new Endpoint(java.net.InetAddress.getByName("10.77.0.1"), 40000, null),
                new Endpoint(java.net.InetAddress.getByName("198.18.0.5"), 1024, null),
                new Endpoint(java.net.InetAddress.getByName("10.77.0.3"), 7000, null), MappingSnapshot.State.ESTABLISHED, null,
                MappingSnapshot.Ecn.NOT_NEGOTIATED, 1, 0, 0, 0);
        FrameFilter filter = new FrameFilter("10.77.0.1:40000", List.of(mapping));
        Path file = folder.resolve("one.pcapng");
        try (OutputStream out = Files.newOutputStream(file); PcapngWriter writer = new PcapngWriter(out, 65535, "wire", "tun")) {
            ring.forEach((side, time, original, bytes, offset, length) -> {
                if (filter.matches(bytes, offset, length, side.ethernet())) {
                    try {
                        writer.write(side, time, original, bytes, offset, length);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
        }

        String fields = tshark(file, "-T", "fields", "-E", "separator=|", "-e", "frame.interface_id", "-e", "ip.src", "-e",
                "tcp.srcport", "-e", "tcp.dstport", "-e", "frame.p2p_dir", "-e", "frame.comment");
        assertEquals(String.join("\n",
                // p2p_dir from epb_flags: 1 received (inbound), 0 sent (outbound)
                "0|10.77.0.1|40000|7000|1|wire: captured",
                "1|198.18.0.5|1024|7000|0|tun: MigWare to the replica",
                "0|10.77.0.2|7000|40000|0|wire: sent by MigWare to the client"), normalise(fields));
    }

    private static String normalise(String fields) {
        // Older tsharks print the comment field as pkt_comment: either way one comment per line.
        return fields.strip().lines().map(String::strip).reduce((a, b) -> a + "\n" + b).orElse("");
    }

    private static String tshark(Path file, String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("tshark", "-r", file.toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(60, TimeUnit.SECONDS);
        assertEquals(0, process.exitValue(), () -> "tshark: " + err);
        return out;
    }
}
