package org.migware.lab.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.migware.lab.Await;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.JavaCommand;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.workloads.BulkReceiver;
import org.migware.lab.workloads.BulkSender;

/**
 * The backup's link made an 802.1Q trunk of VLAN 100 by the wire box ({@link LabNetwork#trunk}), on a
 * real lab, with tshark on the backup and on the client as the oracles: the client-primary
 * conversation (a broadcast ARP request and its reply, a TCP stream) reaches the backup
 * tagged, every byte of it; frames the backup writes tagged reach the client untagged and are
 * answered, the answers again tagged at the backup; the same frames written untagged never reach
 * the client. Root required; skipped without it.
 */
@Timeout(60)
class VlanTrunkLabTest {

    private static final int VLAN = 100;
    private static final int PORT = 5001;
    /** The ICMP identifiers of the backup's echo requests: sent tagged, and the same one sent untagged. */
    private static final int TAGGED_ID = 0x7a01;
    private static final int UNTAGGED_ID = 0x7a02;
    /** The target hardware address of the backup's ARP requests (ignored in a request): which one arrived. */
    private static final String TAGGED_ARP_MARK = "00:00:00:00:00:64";
    private static final String UNTAGGED_ARP_MARK = "00:00:00:00:00:65";
    private static final Duration START = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @BeforeEach
    void needsRoot() {
        assumeTrue(LabNetwork.prerequisitesMissing().isEmpty(), () -> LabNetwork.prerequisitesMissing().orElse(""));
    }

    @Test
    void theBackupSeesTheHubTaggedAndOnlyItsTaggedFramesReachTheClient() {
        String prefix = LabTestSupport.uniquePrefix();
        try (LabNetwork lab = LabNetwork.builder().prefix(prefix).workDir(dir).create()) {
            LabProcess receiver = lab.startJava(Role.PRIMARY, "bulk-receiver", BulkReceiver.class,
                    new BulkReceiver.Options().bind("0.0.0.0").port(PORT).report(dir.resolve("receiver.tsv")).toArgs());
            receiver.awaitOutput(BulkReceiver.LISTENING, START);
            ImpairedLink trunk = lab.trunk(Role.BACKUP, VLAN);
            assertEquals(VLAN, trunk.trunkVlan().getAsInt());
            Tcpdump atBackup = Tcpdump.on(lab, Role.BACKUP).pcap(dir.resolve("backup.pcap")).name("tcpdump-backup").start();
            Tcpdump atClient = Tcpdump.on(lab, Role.CLIENT).pcap(dir.resolve("client.pcap")).name("tcpdump-client").start();

            // (1) the client-primary conversation: a TCP stream, after a broadcast ARP request (the client forgot the primary)
            lab.exec(Role.CLIENT, "ip", "neigh", "flush", "all").requireSuccess();
            LabProcess sender = lab.startJava(Role.CLIENT, "bulk-sender", BulkSender.class, new BulkSender.Options()
                    .host(lab.address(Role.PRIMARY)).port(PORT).durationMillis(1000).rateMbps(100)
                    .report(dir.resolve("sender.tsv")).toArgs());
            assertTrue(sender.waitFor(Duration.ofSeconds(20)), sender.stderr());
            assertEquals(0, sender.exitCode().getAsInt(), sender.stderr());

            // (2) the backup writes an ARP request and an echo request to the client: untagged, then tagged
            String backupMac = lab.macAddress(Role.BACKUP);
            String clientMac = lab.macAddress(Role.CLIENT);
            String backupIp = lab.address(Role.BACKUP);
            String clientIp = lab.address(Role.CLIENT);
            ExecResult sent = lab.exec(Role.BACKUP, Duration.ofSeconds(20), JavaCommand.of(FrameSender.class, List.of(),
                    List.of(ImpairedLink.jnaClasspath()), List.of(LabNetwork.ROLE_INTERFACE,
                            arpRequest(-1, backupMac, backupIp, UNTAGGED_ARP_MARK, clientIp),
                            echoRequest(-1, clientMac, backupMac, backupIp, clientIp, UNTAGGED_ID),
                            arpRequest(VLAN, backupMac, backupIp, TAGGED_ARP_MARK, clientIp),
                            echoRequest(VLAN, clientMac, backupMac, backupIp, clientIp, TAGGED_ID))).toArray(String[]::new));
            assertTrue(sent.stdout().contains(FrameSender.SENT + 4), sent.toString());
            Await.sleep(500);
            atBackup.stop();
            atClient.stop();
            TrunkCounters counters = trunk.trunkCounters();
            System.out.println("VLAN " + VLAN + " trunk on the backup's link: " + counters);

            // (1) at the backup: everything from the client and the primary tagged with VLAN 100
            List<Frame> backupSaw = frames(atBackup.pcap());
            List<Frame> fromHub = backupSaw.stream().filter(f -> !f.source.equals(backupMac)).toList();
            assertTrue(fromHub.size() > 50, "the backup saw the conversation: " + fromHub.size());
            assertEquals(List.of(), fromHub.stream().filter(f -> f.vlan != VLAN).toList(), "every frame from the hub tagged " + VLAN);
            assertTrue(fromHub.stream().anyMatch(f -> f.arpOpcode == 1 && f.destination.equals("ff:ff:ff:ff:ff:ff")
                    && f.source.equals(clientMac) && f.arpTargetIp.equals(lab.address(Role.PRIMARY))),
                    "the client's broadcast ARP request for the primary, tagged: " + fromHub);
            assertTrue(fromHub.stream().anyMatch(f -> f.arpOpcode == 2 && f.source.equals(lab.macAddress(Role.PRIMARY))
                    && f.destination.equals(clientMac)), "the primary's ARP reply, tagged: " + fromHub);
            // every byte of the stream, seen leaving the client, seen tagged at the backup; the tag in the right place
            long clientSent = tcpPayload(frames(atClient.pcap()).stream().filter(f -> f.source.equals(clientMac)).toList());
            long backupGot = tcpPayload(fromHub.stream().filter(f -> f.source.equals(clientMac)).toList());
            long tso = fromHub.stream().filter(f -> f.tcpPayload > 1500).count();
            System.out.printf("TCP payload client -> primary: %d bytes left the client, %d seen tagged at the backup (%d frames"
                    + " longer than the MTU, TSO)%n", clientSent, backupGot, tso);
            assertTrue(clientSent > 1_000_000, "the stream ran: " + clientSent);
            assertEquals(clientSent, backupGot, "every byte the client sent reached the backup");
            assertEquals(List.of(), fromHub.stream().filter(f -> f.ipLength > 0 && f.length != 18 + f.ipLength).toList(),
                    "each frame 18 bytes (Ethernet with the tag) longer than its IP packet");

            // (2) at the client: the tagged requests arrived untagged, the untagged ones never
            List<Frame> fromBackup = frames(atClient.pcap()).stream().filter(f -> f.source.equals(backupMac)).toList();
            assertEquals(2, fromBackup.size(), "the backup's two tagged frames and nothing else: " + fromBackup);
            assertTrue(fromBackup.stream().allMatch(f -> f.vlan < 0), "untagged at the client: " + fromBackup);
            assertTrue(fromBackup.stream().anyMatch(f -> f.arpOpcode == 1 && f.arpTargetMac.equals(TAGGED_ARP_MARK)), fromBackup.toString());
            assertTrue(fromBackup.stream().anyMatch(f -> f.icmpType == 8 && f.icmpId == TAGGED_ID), fromBackup.toString());
            assertFalse(fromBackup.stream().anyMatch(f -> f.icmpId == UNTAGGED_ID || f.arpTargetMac.equals(UNTAGGED_ARP_MARK)));
            // ... and the client answered both, the answers tagged at the backup
            assertTrue(backupSaw.stream().anyMatch(f -> f.vlan == VLAN && f.arpOpcode == 2 && f.source.equals(clientMac)
                    && f.destination.equals(backupMac) && f.arpTargetIp.equals(backupIp)), "the client's ARP reply, tagged");
            assertTrue(backupSaw.stream().anyMatch(f -> f.vlan == VLAN && f.icmpType == 0 && f.icmpId == TAGGED_ID
                    && f.source.equals(clientMac)), "the client's echo reply, tagged");

            // the box's own account agrees: two frames passed from the backup, the untagged ones dropped
            assertEquals(2, counters.untagged(), counters.toString());
            assertTrue(counters.droppedUntagged() >= 2, counters.toString());
            assertEquals(0, counters.droppedOtherVlan(), counters.toString());
            // not more: a TSO frame the box sends may leave the kernel as several segments (see the class comment of WireBox)
            assertTrue(counters.tagged() > 0, counters.toString());
            lab.clearImpairment(Role.BACKUP);
            assertTrue(lab.impairment(Role.BACKUP).isEmpty());
            assertFalse(trunk.process().isAlive(), "the box ended");
        }
        assertEquals(List.of(), LabTestSupport.netnsWithPrefix(prefix));
    }

    @Test
    void theTrunkComposesWithTheBoxsDelayAndDuplication() {
        String prefix = LabTestSupport.uniquePrefix();
        try (LabNetwork lab = LabNetwork.builder().prefix(prefix).workDir(dir).create()) {
            ImpairedLink link = lab.trunk(Role.BACKUP, VLAN, new Impairment(Duration.ofMillis(30), 0, 100), Impairment.NONE);
            assertEquals(VLAN, link.trunkVlan().getAsInt());
            Tcpdump atBackup = Tcpdump.on(lab, Role.BACKUP).pcap(dir.resolve("backup.pcap")).name("tcpdump-backup").start();
            Tcpdump atClient = Tcpdump.on(lab, Role.CLIENT).pcap(dir.resolve("client.pcap")).name("tcpdump-client").start();
            String clientMac = lab.macAddress(Role.CLIENT);
            List<String> requests = new ArrayList<>(List.of(LabNetwork.ROLE_INTERFACE));
            for (int i = 0; i < 20; i++) {
                requests.add(arpRequest(-1, clientMac, lab.address(Role.CLIENT), "00:00:00:00:00:00", "10.77.0." + (200 + i)));
            }
            ExecResult sent = lab.exec(Role.CLIENT, Duration.ofSeconds(20), JavaCommand.of(FrameSender.class, List.of(),
                    List.of(ImpairedLink.jnaClasspath()), requests).toArray(String[]::new));
            assertTrue(sent.stdout().contains(FrameSender.SENT + 20), sent.toString());
            Await.sleep(300);
            atBackup.stop();
            atClient.stop();

            List<Frame> left = frames(atClient.pcap()).stream().filter(f -> f.source.equals(clientMac) && f.arpOpcode == 1
                    && f.arpTargetIp.startsWith("10.77.0.2")).toList();
            assertEquals(20, left.size(), "the client's capture: " + left);
            for (Frame request : left) {
                List<Frame> copies = frames(atBackup.pcap()).stream().filter(f -> f.arpOpcode == 1
                        && f.arpTargetIp.equals(request.arpTargetIp)).toList();
                assertEquals(2, copies.size(), "duplicated: " + copies);
                for (Frame copy : copies) {
                    assertEquals(VLAN, copy.vlan, "each copy tagged: " + copy);
                    assertTrue(copy.time - request.time >= 0.029, "delayed 30 ms: " + (copy.time - request.time) + " s");
                }
            }
            TrunkCounters counters = link.trunkCounters();
            System.out.println("trunk with 30 ms and 100 % duplicated towards the backup: " + counters + ", " + link.counters());
        }
        assertEquals(List.of(), LabTestSupport.netnsWithPrefix(prefix));
    }

    /** One frame as tshark decodes it; -1 or "" for a field the frame does not have. */
    private record Frame(String source, String destination, int vlan, int length, int ipLength, int tcpPayload,
            int arpOpcode, String arpTargetMac, String arpTargetIp, int icmpType, int icmpId, double time) {
    }

    private static List<Frame> frames(Path pcap) {
        ExecResult fields = Commands.run(Duration.ofSeconds(30), Commands.tool("tshark", "tshark"), "-n", "-r", pcap.toString(),
                "-T", "fields", "-E", "occurrence=f", "-e", "eth.src", "-e", "eth.dst", "-e", "vlan.id", "-e", "frame.len",
                "-e", "ip.len", "-e", "tcp.len", "-e", "arp.opcode", "-e", "arp.dst.hw_mac", "-e", "arp.dst.proto_ipv4",
                "-e", "icmp.type", "-e", "icmp.ident", "-e", "frame.time_epoch").requireSuccess();
        List<Frame> frames = new ArrayList<>();
        for (String line : fields.stdout().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            frames.add(new Frame(f[0], f[1], number(f[2]), number(f[3]), number(f[4]), number(f[5]), number(f[6]), f[7], f[8],
                    number(f[9]), number(f[10]), Double.parseDouble(f[11])));
        }
        return frames;
    }

    private static int number(String field) {
        if (field.isEmpty()) {
            return -1;
        }
        return field.startsWith("0x") ? Integer.parseInt(field.substring(2), 16) : Integer.parseInt(field);
    }

    private static long tcpPayload(List<Frame> frames) {
        return frames.stream().filter(f -> f.tcpPayload > 0).mapToLong(Frame::tcpPayload).sum();
    }

    /** An Ethernet header, tagged with {@code vlan} unless it is -1. */
    private static void ethernet(ByteArrayOutputStream out, int vlan, String destination, String source, int etherType) {
        out.writeBytes(mac(destination));
        out.writeBytes(mac(source));
        if (vlan >= 0) {
            out.writeBytes(new byte[] {(byte) 0x81, 0x00, (byte) (vlan >>> 8), (byte) vlan});
        }
        out.writeBytes(new byte[] {(byte) (etherType >>> 8), (byte) etherType});
    }

    private static String arpRequest(int vlan, String senderMac, String senderIp, String targetMac, String targetIp) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ethernet(out, vlan, "ff:ff:ff:ff:ff:ff", senderMac, 0x0806);
        out.writeBytes(new byte[] {0, 1, 8, 0, 6, 4, 0, 1}); // Ethernet, IPv4, lengths 6 and 4, request
        out.writeBytes(mac(senderMac));
        out.writeBytes(ip(senderIp));
        out.writeBytes(mac(targetMac));
        out.writeBytes(ip(targetIp));
        return HexFormat.of().formatHex(out.toByteArray());
    }

    private static String echoRequest(int vlan, String destinationMac, String sourceMac, String sourceIp, String destinationIp,
            int id) {
        byte[] icmp = {8, 0, 0, 0, (byte) (id >>> 8), (byte) id, 0, 1, 'm', 'i', 'g', 'w', 'a', 'r', 'e', '!'};
        int sum = checksum(icmp);
        icmp[2] = (byte) (sum >>> 8);
        icmp[3] = (byte) sum;
        byte[] ipHeader = new byte[20];
        ipHeader[0] = 0x45;
        ipHeader[3] = (byte) (20 + icmp.length);
        ipHeader[4] = (byte) (id >>> 8);
        ipHeader[5] = (byte) id;
        ipHeader[8] = 64; // TTL
        ipHeader[9] = 1; // ICMP
        System.arraycopy(ip(sourceIp), 0, ipHeader, 12, 4);
        System.arraycopy(ip(destinationIp), 0, ipHeader, 16, 4);
        sum = checksum(ipHeader);
        ipHeader[10] = (byte) (sum >>> 8);
        ipHeader[11] = (byte) sum;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ethernet(out, vlan, destinationMac, sourceMac, 0x0800);
        out.writeBytes(ipHeader);
        out.writeBytes(icmp);
        return HexFormat.of().formatHex(out.toByteArray());
    }

    /** The Internet checksum (RFC 1071) of an even number of bytes. */
    private static int checksum(byte[] bytes) {
        int sum = 0;
        for (int i = 0; i < bytes.length; i += 2) {
            sum += (bytes[i] & 0xff) << 8 | bytes[i + 1] & 0xff;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return ~sum & 0xffff;
    }

    private static byte[] mac(String mac) {
        return HexFormat.ofDelimiter(":").parseHex(mac);
    }

    private static byte[] ip(String ipv4) {
        String[] parts = ipv4.split("\\.");
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) Integer.parseInt(parts[i]);
        }
        return b;
    }
}
