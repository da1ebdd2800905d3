package org.migware.proxy.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.client;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.primary;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.Endpoint;
import org.migware.api.connection.TcpState;
import org.migware.parser.internal.PacketParserComponent;
import org.migware.testing.TcpFrame;
import org.migware.proxy.internal.keeper.ClientStreamKeeper;
import org.migware.proxy.internal.keeper.ClientStreamKeeperTest;
import org.migware.proxy.internal.keeper.RecordFraming;
import org.migware.proxy.internal.mapping.MappingExpiry;
import org.migware.proxy.internal.recovery.ShadowEndpoints;
import org.migware.proxy.internal.wire.Ipv4TcpWriter;
import org.migware.proxy.internal.wire.PacketPort;
import org.migware.proxy.internal.wire.TunBatch;
import org.migware.proxy.internal.translation.ReplicaToClient;
import org.migware.proxy.internal.wire.TcpSegment;
import org.migware.proxy.internal.wire.WirePort;
import org.migware.api.wire.TcpHeader;

/**
 * One connection through RECOVERY and PROXY with the TUN and the wire replaced by lists: what
 * MigWare writes towards the replica and towards the client, field by field, read back by
 * {@link TcpSegment} (independent of the writer).
 */
class MigrationEngineTest {

    private static final int ISN = 999;
    private static final int PRIMARY_ISN = 5000;
    private static final int REPLICA_ISN = 70_000;
    private static final long CLIENT_TSVAL = 4_000_000_000L;
    private static final int PRIMARY_TSVAL = 77;
    private static final int REPLICA_TSVAL = 1234;
    private static final int CLIENT_SHIFT = 7;
    private static final int PRIMARY_SHIFT = 10;
    private static final int REPLICA_SHIFT = 9;
    private static final int CLIENT = TcpFrame.CLIENT_IP;
    private static final int CLIENT_PORT = TcpFrame.CLIENT_PORT;
    private static final int PRIMARY = TcpFrame.SERVER_IP;
    private static final int SERVICE_PORT = TcpFrame.SERVICE_PORT;
    private static final int REPLICA = 0x0a4d_0003; // 10.77.0.3

    private final List<byte[]> toReplica = new ArrayList<>();
    private final List<byte[]> toClient = new ArrayList<>();
    private final AtomicReference<String> finished = new AtomicReference<>();
    private ClientStreamKeeper keeper;
    private MigrationEngine engine;
    private long now = TimeUnit.SECONDS.toNanos(1);
    /** The wall clock, in milliseconds since the epoch: what a closed tuple's linger is measured against across a restart. */
    private long wallMillis = 1_796_601_600_000L; // 2026-12-07

    /** The mapping table's bounds of the engines {@link #newEngine} makes. */
    private MappingExpiry.Bounds bounds = MappingExpiry.Bounds.DEFAULTS;

    @BeforeEach
    void setUp() {
        engine = newEngine();
    }

    private MigrationEngine newEngine() {
        return newEngine((packet, offset, length) -> toReplica.add(Arrays.copyOfRange(packet, offset, offset + length)),
                (frame, offset, length) -> toClient.add(Arrays.copyOfRange(frame, offset, offset + length)));
    }

    private MigrationEngine newEngine(PacketPort tun, WirePort wire) {
        keeper = ClientStreamKeeperTest.keeper(RecordFraming.NEWLINE, 1 << 20);
        PacketParserComponent parser = new PacketParserComponent();
        return new MigrationEngine(new MigrationEngine.Settings(REPLICA, 0, 64, TimeUnit.MILLISECONDS.toNanos(200), 3, bounds),
                new ShadowEndpoints(0xc612_0000, 15), keeper, tun, wire,
                parser.newRewritableView(), parser.newRewritableView(), () -> now, () -> wallMillis);
    }

    /** The wire before failover: a handshake, one record, half of the next acknowledged, its end in flight. */
    private void passiveTraffic() {
        capture(TcpFrame.fromClient(CLIENT_PORT).seq(ISN).flags(TcpHeader.SYN).synOptions(1460, CLIENT_SHIFT, true).timestamps(CLIENT_TSVAL - 10, 0));
        capture(primary(PRIMARY_ISN, ISN + 1).flags(TcpHeader.SYN | TcpHeader.ACK)
                .synOptions(1460, PRIMARY_SHIFT, true).timestamps(PRIMARY_TSVAL - 5, (int) CLIENT_TSVAL - 10));
        capture(client(1000, PRIMARY_ISN + 1).payload("c1 r1 aaa\n").timestamps(CLIENT_TSVAL - 5, PRIMARY_TSVAL - 5));
        capture(primary(PRIMARY_ISN + 1, 1010).timestamps(PRIMARY_TSVAL - 2, (int) CLIENT_TSVAL - 5));
        capture(client(1010, PRIMARY_ISN + 1).payload("c1 r2 bb").timestamps(CLIENT_TSVAL - 2, PRIMARY_TSVAL - 2));
        capture(primary(PRIMARY_ISN + 1, 1018).timestamps(PRIMARY_TSVAL, (int) CLIENT_TSVAL - 2));
        capture(client(1018, PRIMARY_ISN + 1).payload("b\n").timestamps(CLIENT_TSVAL, PRIMARY_TSVAL));
    }

    /** The VLAN the mirror's frames carry in a test ({@link #onMirror}), -1 untagged. */
    private int mirrorVlan = -1;

    /** @return {@code frame} as a tagged mirror port delivers it: with an 802.1Q tag of {@link #mirrorVlan} after the MACs */
    private byte[] onMirror(byte[] frame) {
        if (mirrorVlan < 0) {
            return frame;
        }
        byte[] tagged = new byte[frame.length + 4];
        System.arraycopy(frame, 0, tagged, 0, 12);
        tagged[12] = (byte) 0x81;
        tagged[13] = 0x00;
        tagged[14] = (byte) (0x20 | mirrorVlan >>> 8); // PCP 1: the priority is not MigWare's to keep
        tagged[15] = (byte) mirrorVlan;
        System.arraycopy(frame, 12, tagged, 16, frame.length - 12);
        return tagged;
    }

    /** @return the VLAN id of {@code frame}'s 802.1Q tag, -1 when it has none */
    private static int vlanOf(byte[] frame) {
        return (frame[12] & 0xff) == 0x81 && frame[13] == 0 ? ((frame[14] & 0x0f) << 8 | frame[15] & 0xff) : -1;
    }

    /** @return {@code frame} without its 802.1Q tag */
    private static byte[] untagged(byte[] frame) {
        byte[] plain = new byte[frame.length - 4];
        System.arraycopy(frame, 0, plain, 0, 12);
        System.arraycopy(frame, 16, plain, 12, plain.length - 12);
        return plain;
    }

    private void capture(TcpFrame segment) {
        byte[] frame = onMirror(segment.build());
        assertTrue(!engine.active());
        keeper.observe(frame, 0, frame.length);
    }

    /** What the tracker would report for that traffic. */
    private static ConnectionSnapshot snapshot() throws Exception {
        return snapshot(0, 0);
    }

    /** The same with the ECN flags of the client's SYN and the primary's SYN-ACK. */
    private static ConnectionSnapshot snapshot(int clientSynEcn, int primarySynEcn) throws Exception {
        return new ConnectionSnapshot(
                new Endpoint(InetAddress.getByName("10.77.0.1"), CLIENT_PORT, "02:00:00:00:00:01"),
                new Endpoint(InetAddress.getByName("10.77.0.2"), SERVICE_PORT, "02:00:00:00:00:02"),
                new DirectionState(ISN, 1460, CLIENT_SHIFT, true, true, PRIMARY_ISN + 1, 1020, CLIENT_TSVAL, 502, 20, 4, 0, 0,
                        clientSynEcn),
                new DirectionState(PRIMARY_ISN, 1460, PRIMARY_SHIFT, true, true, 1018, PRIMARY_ISN + 1, PRIMARY_TSVAL, 509, 0, 3, 0, 0,
                        primarySynEcn),
                TcpState.ESTABLISHED, true, Instant.EPOCH, Instant.EPOCH);
    }

    /** Reads a packet MigWare wrote, its checksums checked; the replay tests read theirs with it too. */
    static TcpSegment read(byte[] packet) {
        TcpSegment segment = readUnchecked(packet);
        assertTrue(segment.ipChecksumValid() && segment.tcpChecksumValid(), "checksums");
        return segment;
    }

    /** Reads a packet MigWare wrote whose checksums carry a client frame's own (issue 10: damage stays damage). */
    static TcpSegment readUnchecked(byte[] packet) {
        TcpSegment segment = TcpSegment.parse(packet, packet.length);
        assertNotNull(segment, "an IPv4 TCP packet");
        return segment;
    }

    /**
     * @return whether a client frame is IPv4 TCP with both checksums right (read by the parser: the test's own
     *     {@link TcpSegment} is for well-formed packets and loops on a zero option length)
     */
    static boolean checksumsRight(byte[] frame, int length) {
        org.migware.parser.internal.FlyweightParsedPacket parsed = new org.migware.parser.internal.FlyweightParsedPacket();
        return parsed.parse(frame, 0, length) == org.migware.api.packet.ParseResult.TCP && parsed.isIpv4HeaderChecksumValid()
                && parsed.isTcpChecksumValid();
    }

    /**
     * A client segment sent with checksum offload (a veth or bridge, as in the lab) or merged by GRO on
     * the capturing interface carries a partial checksum, the pseudo-header's sum alone: MigWare
     * completes it, as the NIC or the receiving stack would have, instead of carrying it.
     */
    @Test
    void aPartialChecksumIsCompletedNotCarried() throws Exception {
        recover();
        toReplica.clear();
        byte[] frame = client(1020, PRIMARY_ISN + 1).payload("c1 r3 offloaded\n").timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL).build();
        int tcpOffset = 14 + 20;
        int partial = org.migware.api.wire.InternetChecksum.tcpIpv4PseudoHeaderSum(frame, 14, frame.length - tcpOffset);
        frame[tcpOffset + 16] = (byte) (partial >>> 8);
        frame[tcpOffset + 17] = (byte) partial;
        assertFalse(checksumsRight(frame, frame.length), "as captured: partial");
        engine.fromClient(frame, 0, frame.length);
        assertEquals("c1 r3 offloaded\n", new String(read(toReplica.get(0)).payload(), StandardCharsets.US_ASCII),
                "completed: both checksums right at the replica");
    }

    /**
     * A client segment damaged before the capture saw it (issue 10): the primary's stack would have
     * dropped it, and the replica's must too. Its checksum is carried through the translation, not
     * recomputed (RFC 1624), so it stays wrong by exactly the damage: undoing the damaged byte in
     * what reached the replica makes it right. The same segment undamaged reaches it right.
     */
    @Test
    void aDamagedClientSegmentReachesTheReplicaWithItsChecksumStillWrong() throws Exception {
        recover();
        toReplica.clear();
        byte[] frame = client(1020, PRIMARY_ISN + 1).payload("c1 r3 damaged on the way\n").timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL).build();
        int damagedAt = frame.length - 5; // a payload byte
        frame[damagedAt] ^= 0x20;
        assertFalse(checksumsRight(frame, frame.length));
        engine.fromClient(frame, 0, frame.length);
        assertEquals(1, toReplica.size(), "forwarded: MigWare does not judge checksums, the replica's stack does");
        byte[] packet = toReplica.get(0);
        TcpSegment damaged = readUnchecked(packet);
        assertTrue(damaged.ipChecksumValid(), "the IPv4 header was not damaged: still right after its addresses changed");
        assertFalse(damaged.tcpChecksumValid(), "the damage is not made valid");
        assertEquals(REPLICA, damaged.destination());
        packet[packet.length - 5] ^= 0x20; // the same byte, 14 bytes earlier without the Ethernet header
        assertTrue(readUnchecked(packet).tcpChecksumValid(), "wrong by exactly the damage");

        toReplica.clear();
        frame[damagedAt] ^= 0x20;
        engine.fromClient(frame, 0, frame.length);
        assertEquals("c1 r3 damaged on the way\n", new String(read(toReplica.get(0)).payload(), StandardCharsets.US_ASCII),
                "undamaged: its checksums right");
    }

    private static byte[] replicaPacket(TcpSegment to, int seq, int ack, int flags, String payload, long tsval, int tsecr, int window) {
        // ack() sets the ACK flag too: every packet the replica sends here has it
        TcpFrame s = TcpFrame.fromServer(to.sourcePort()).from(REPLICA, SERVICE_PORT).to(to.source(), to.sourcePort())
                .seq(seq).ack(ack).flags(flags).window(window);
        if ((flags & TcpHeader.SYN) != 0) {
            s.synOptions(1460, REPLICA_SHIFT, true);
        }
        return s.timestamps(tsval, tsecr).payload(payload).buildIpv4();
    }

    private void fromReplica(byte[] packet) {
        engine.fromReplica(packet, 0, packet.length);
    }

    private void fromClient(TcpFrame segment) {
        byte[] frame = onMirror(segment.build());
        engine.fromClient(frame, 0, frame.length);
    }

    /** Recovery up to PROXY; returns the forged SYN. */
    private TcpSegment recover() throws Exception {
        passiveTraffic();
        engine.startRecovery(List.of(snapshot()), finished::set);
        assertEquals(1, toReplica.size(), "one forged SYN");
        TcpSegment syn = read(toReplica.get(0));
        fromReplica(replicaPacket(syn, REPLICA_ISN, syn.seq() + 1, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL, (int) syn.tsval(), 64_240));
        engine.pace();
        probe = toClient.isEmpty() ? null : toClient.get(0);
        toClient.clear(); // the probe for the client's acknowledgement: see its own test
        return syn;
    }

    /** What the handshake sent the client: the probe for its acknowledgement. */
    private byte[] probe;

    /**
     * At its handshake a resumed connection's client is asked for its acknowledgement: a segment of
     * no data from the primary, one byte before the client's next expected byte as the capture saw
     * it (old data to the client, which answers it with an ACK of its true next expected byte).
     */
    @Test
    void theClientIsAskedForItsAcknowledgementAtTheHandshake() throws Exception {
        recover();
        assertNotNull(probe, "a probe to the client");
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, Arrays.copyOf(probe, 12), "client MAC <- primary MAC");
        TcpSegment p = read(Arrays.copyOfRange(probe, 14, probe.length));
        assertEquals(PRIMARY, p.source());
        assertEquals(SERVICE_PORT, p.sourcePort());
        assertEquals(CLIENT, p.destination());
        assertEquals(CLIENT_PORT, p.destinationPort());
        assertEquals(TcpHeader.ACK, p.flags());
        assertEquals(0, p.payload().length);
        assertEquals(PRIMARY_ISN, p.seq(), "one before the client's next expected byte, PRIMARY_ISN + 1");
        assertEquals(1018, p.ack(), "the primary's last acknowledgement of the client");
    }

    @Test
    void theForgedSynCarriesTheClientsOptionsAndStartsAtTheRecordInProgress() throws Exception {
        TcpSegment syn = recover();
        assertTrue(syn.has(TcpHeader.SYN) && !syn.has(TcpHeader.ACK));
        assertEquals(1009, syn.seq(), "one before the head of record 2 (1010), not the resume point 1018");
        assertEquals(REPLICA, syn.destination());
        assertEquals(SERVICE_PORT, syn.destinationPort());
        assertEquals(0xc6, syn.source() >>> 24 & 0xff, "from the shadow network 198.18.0.0/15");
        assertEquals(1460, syn.mss());
        assertEquals(CLIENT_SHIFT, syn.windowScale());
        assertTrue(syn.sackPermitted());
        assertEquals(CLIENT_TSVAL, syn.tsval(), "the client's clock, so PAWS accepts its later segments");
    }

    /** The status records say what the words say: the core formats them for migware:status and migware:connections. */
    @Test
    void theStatusRecordsCarryTheCountersAndEachMapping() throws Exception {
        org.migware.api.failover.MigrationProgress ready = engine.progress();
        assertEquals(org.migware.api.failover.MigrationPhase.READY, ready.phase());
        assertNull(ready.recoveryStarted());
        recover();
        org.migware.api.failover.MigrationProgress done = engine.progress();
        assertEquals(org.migware.api.failover.MigrationPhase.RECOVERED, done.phase());
        assertEquals(1, done.recovered());
        assertEquals(0, done.pending());
        assertNotNull(done.recoveryStarted());
        assertNotNull(done.recoveryFinished());
        assertTrue(engine.summary().startsWith(done.recovered() + " recovered, " + done.failed() + " failed, "
                + done.pending() + " pending, " + done.notRecoverable() + " not recoverable"), engine.summary());
        List<org.migware.api.failover.MappingSnapshot> mappings = engine.mappingSnapshots();
        assertEquals(1, mappings.size());
        org.migware.api.failover.MappingSnapshot m = mappings.get(0);
        String line = engine.describeMappings().get(0);
        assertEquals(org.migware.api.failover.MappingSnapshot.State.ESTABLISHED, m.state());
        assertTrue(line.startsWith(m.client().hostAndPort() + " (shadow " + m.shadow().hostAndPort() + ") state=ESTABLISHED d2="
                + m.translation().d2() + " tsOffset=" + m.translation().timestampOffset()), line);
        assertTrue(line.endsWith(" streamStart=" + m.streamStart() + " handOverLeft=" + m.handOverBytesLeft()
                + " toReplica=" + m.packetsToReplica() + " toClient=" + m.packetsToClient()), line);
        assertNotNull(m.client().mac(), "the client's MAC: frames to it need it");
    }

    /** RFC 3168: the ECN-setup SYN is SYN|ECE|CWR; the replica agrees with ECE alone on its SYN-ACK. */
    @Test
    void theForgedSynAsksForEcnOnlyWhenClientAndPrimaryHadAgreed() throws Exception {
        int ecnFlags = TcpHeader.ECE | TcpHeader.CWR;
        passiveTraffic();
        engine.startRecovery(List.of(snapshot(ecnFlags, TcpHeader.ECE)), finished::set);
        TcpSegment syn = read(toReplica.get(0));
        assertEquals(TcpHeader.SYN | ecnFlags, syn.flags());
        // A replica whose kernel does not do ECN answers a plain SYN-ACK: the connection goes on, and says so.
        fromReplica(replicaPacket(syn, REPLICA_ISN, syn.seq() + 1, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL,
                (int) syn.tsval(), 64_240));
        assertTrue(engine.describeMappings().get(0).contains(" ecn=refused-by-replica"), engine.describeMappings().toString());
        assertTrue(engine.summary().contains("ECN refused by the replica for 1"), engine.summary());

        toReplica.clear();
        MigrationEngine plain = newEngine();
        plain.startRecovery(List.of(snapshot()), finished::set);
        assertEquals(TcpHeader.SYN, read(toReplica.get(0)).flags(), "no ECN asked when the client did not ask the primary");
        assertTrue(!plain.describeMappings().get(0).contains("ecn="), plain.describeMappings().toString());
    }

    /**
     * Fuzz: in PROXY, random bytes and mutated copies of real frames from the wire and from the
     * replica. Nothing throws, and everything MigWare writes — to the replica or to a client —
     * is a well-formed packet with valid checksums (ARP answers aside), whatever it was fed.
     */
    @Test
    void randomAndMutatedFramesFromEitherSideNeverThrowAndNeverMakeABadPacket() throws Exception {
        TcpSegment syn = recover();
        byte[] clientFrame = client(1020, PRIMARY_ISN + 1).payload("c1 r3 cc\n").timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL).build();
        byte[] replicaData = replicaPacket(syn, REPLICA_ISN + 1, 1020, 0, "answer\n", REPLICA_TSVAL + 1, (int) CLIENT_TSVAL, 500);
        byte[] arpRequest = java.util.HexFormat.of().parseHex("ffffffffffff020000000001080600010800060400010200000000010a4d0001"
                + "0000000000000a4d0002");
        java.util.Random random = new java.util.Random(20261130);
        for (int i = 0; i < 200_000; i++) {
            byte[] input = switch (i % 4) {
                case 0 -> mutate(clientFrame, random);
                case 1 -> mutate(replicaData, random);
                case 2 -> mutate(arpRequest, random);
                default -> randomBytes(random);
            };
            int length = random.nextInt(8) == 0 ? random.nextInt(input.length + 1) : input.length; // cut short too
            boolean wentToReplica = i % 4 == 3 && random.nextBoolean();
            if (i % 4 == 1 || wentToReplica) {
                engine.fromReplica(input, 0, length);
            } else {
                engine.fromClient(input, 0, length);
            }
            if ((i & 1023) == 0) {
                engine.pace();
            }
            // A client frame's wrong checksum is carried to the replica (see the damaged-segment test); a right one stays right.
            boolean mayCarryDamage = i % 4 != 1 && !(i % 4 == 3 && wentToReplica) && !checksumsRight(input, length);
            for (byte[] packet : toReplica) {
                TcpSegment segment = TcpSegment.parse(packet, packet.length);
                assertNotNull(segment, "to the replica: an IPv4 TCP packet");
                assertTrue(mayCarryDamage || segment.ipChecksumValid() && segment.tcpChecksumValid(), "checksums of what goes to the replica");
                assertEquals(REPLICA, segment.destination());
            }
            for (byte[] frame : toClient) {
                if (frame[12] == 0x08 && frame[13] == 0x06) {
                    continue; // an ARP answer
                }
                byte[] packet = Arrays.copyOfRange(frame, 14, frame.length);
                int ipLength = (packet[2] & 0xff) << 8 | (packet[3] & 0xff);
                final int n = i;
                assertEquals(packet.length, ipLength, () -> "IP length of a frame to a client, input " + n + " ("
                        + (n % 4) + ", " + length + " of " + input.length + " bytes): "
                        + java.util.HexFormat.of().formatHex(frame) + " from " + java.util.HexFormat.of().formatHex(input, 0, length));
                TcpSegment segment = TcpSegment.parse(packet, packet.length);
                assertNotNull(segment, "to a client: an IPv4 TCP packet");
                assertTrue(segment.ipChecksumValid() && segment.tcpChecksumValid(), "checksums of what goes to a client");
            }
            toReplica.clear();
            toClient.clear();
        }
        // Still answering, and the counters add up to something.
        assertTrue(engine.summary().startsWith("1 recovered, 0 failed"), engine.summary());
    }

    private static byte[] mutate(byte[] original, java.util.Random random) {
        byte[] copy = original.clone();
        int flips = 1 + random.nextInt(4);
        for (int f = 0; f < flips; f++) {
            copy[random.nextInt(copy.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return copy;
    }

    private static byte[] randomBytes(java.util.Random random) {
        byte[] bytes = new byte[random.nextInt(1600)];
        random.nextBytes(bytes);
        if (bytes.length > 14 && random.nextBoolean()) {
            bytes[12] = 0x08; // mostly IPv4, so that the parser gets past Ethernet
            bytes[13] = 0x00;
            bytes[14] = 0x45;
        }
        return bytes;
    }

    @Test
    void afterTheHandshakeTheRecordHeadAndTheUnacknowledgedBytesAreHandedOver() throws Exception {
        recover();
        TcpSegment ack = read(toReplica.get(1));
        assertEquals(TcpHeader.ACK, ack.flags());
        assertEquals(1010, ack.seq());
        assertEquals(REPLICA_ISN + 1, ack.ack());
        assertEquals(REPLICA_TSVAL, ack.tsecr());
        TcpSegment data = read(toReplica.get(2));
        assertEquals(1010, data.seq());
        assertEquals("c1 r2 bbb\n", new String(data.payload(), StandardCharsets.US_ASCII), "the whole record: no torn first record");
        assertTrue(data.has(TcpHeader.PSH));
        assertEquals(3, toReplica.size());
        assertNotNull(finished.get());
        assertTrue(finished.get().startsWith("1 recovered, 0 failed, 0 pending"), finished.get());
        assertTrue(finished.get().contains("1 record heads prepended"), finished.get());
    }

    @Test
    void aHandOverSegmentTheReplicaLostIsWrittenAgain() throws Exception {
        TcpSegment syn = recover();
        toReplica.clear();
        // The replica acknowledges only its SYN-ACK's ACK, twice: the data never arrived.
        fromReplica(replicaPacket(syn, REPLICA_ISN + 1, 1010, TcpHeader.ACK, "", REPLICA_TSVAL + 1, (int) CLIENT_TSVAL, 500));
        fromReplica(replicaPacket(syn, REPLICA_ISN + 1, 1010, TcpHeader.ACK, "", REPLICA_TSVAL + 1, (int) CLIENT_TSVAL, 500));
        List<TcpSegment> again = toReplica.stream().map(MigrationEngineTest::read).filter(s -> s.payload().length > 0).toList();
        assertEquals(1, again.size(), "written again once");
        assertEquals(1010, again.get(0).seq());
        assertEquals("c1 r2 bbb\n", new String(again.get(0).payload(), StandardCharsets.US_ASCII));
    }

    @Test
    void bothDirectionsAreTranslated() throws Exception {
        TcpSegment syn = recover();
        toReplica.clear();
        // The client retransmits its unacknowledged bytes (its timer knows nothing of the failover).
        fromClient(client(1018, PRIMARY_ISN + 1).payload("b\n").timestamps(CLIENT_TSVAL + 5, PRIMARY_TSVAL));
        TcpSegment up = read(toReplica.get(0));
        assertEquals(syn.source(), up.source());
        assertEquals(syn.sourcePort(), up.sourcePort());
        assertEquals(REPLICA, up.destination());
        assertEquals(1018, up.seq(), "client sequence numbers pass unchanged");
        assertEquals(REPLICA_ISN + 1, up.ack(), "the client's ack moved into the replica's space (+d2)");
        assertEquals(CLIENT_TSVAL + 5, up.tsval());
        assertEquals(REPLICA_TSVAL, up.tsecr(), "the echo of the primary's clock back on the replica's");

        // The replica answers the record: to the client it must look like the primary's next bytes.
        fromReplica(replicaPacket(syn, REPLICA_ISN + 1, 1020, TcpHeader.ACK | TcpHeader.PSH, "ok c1 r2\n",
                REPLICA_TSVAL + 6, (int) CLIENT_TSVAL + 5, 100));
        assertEquals(1, toClient.size());
        byte[] frame = toClient.get(0);
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, Arrays.copyOf(frame, 12), "client MAC <- primary MAC");
        TcpSegment down = read(Arrays.copyOfRange(frame, 14, frame.length));
        assertEquals(PRIMARY, down.source());
        assertEquals(SERVICE_PORT, down.sourcePort());
        assertEquals(CLIENT, down.destination());
        assertEquals(CLIENT_PORT, down.destinationPort());
        assertEquals(PRIMARY_ISN + 1, down.seq(), "continues the primary's sequence space");
        assertEquals(1020, down.ack());
        assertEquals(PRIMARY_TSVAL + 6, down.tsval(), "continues the primary's clock");
        assertEquals(CLIENT_TSVAL + 5, down.tsecr());
        assertEquals((100 << REPLICA_SHIFT) >> PRIMARY_SHIFT, down.window(), "rescaled, rounded down");
        assertEquals("ok c1 r2\n", new String(down.payload(), StandardCharsets.US_ASCII));
    }

    /**
     * Issue 10, a VLAN-tagged mirror or trunk: the tagged frames are taken as the untagged ones, and
     * everything MigWare sends to the client (the acknowledgement probe, the replica's translated
     * answer, an ARP reply, a reset) carries the tag its service address was seen with (a switch
     * drops an untagged frame on a trunk port), and is otherwise the same frame.
     */
    @Test
    void onATaggedMirrorEverythingSentToTheClientCarriesTheServicesVlan() throws Exception {
        mirrorVlan = 100;
        TcpSegment syn = recover();
        assertEquals(100, vlanOf(probe), "the probe tagged");
        assertEquals(PRIMARY_ISN, read(Arrays.copyOfRange(probe, 18, probe.length)).seq());
        toReplica.clear();
        fromClient(client(1018, PRIMARY_ISN + 1).payload("b\n").timestamps(CLIENT_TSVAL + 5, PRIMARY_TSVAL));
        TcpSegment up = read(toReplica.get(0));
        assertEquals(REPLICA, up.destination(), "the tagged client segment reached the replica, untagged (an IP packet)");
        assertEquals(REPLICA_ISN + 1, up.ack());
        fromReplica(replicaPacket(syn, REPLICA_ISN + 1, 1020, TcpHeader.ACK | TcpHeader.PSH, "ok c1 r2\n",
                REPLICA_TSVAL + 6, (int) CLIENT_TSVAL + 5, 100));
        assertEquals(1, toClient.size());
        byte[] frame = toClient.get(0);
        assertEquals(100, vlanOf(frame), "the answer tagged");
        assertEquals(0, frame[14] >>> 5, "priority 0: MigWare's own frames");
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, Arrays.copyOf(frame, 12), "client MAC <- primary MAC");
        TcpSegment down = read(Arrays.copyOfRange(frame, 18, frame.length));
        assertEquals(PRIMARY, down.source());
        assertEquals(PRIMARY_ISN + 1, down.seq());
        assertEquals("ok c1 r2\n", new String(down.payload(), StandardCharsets.US_ASCII));

        toClient.clear();
        byte[] arpRequest = onMirror(java.util.HexFormat.of().parseHex("ffffffffffff020000000001080600010800060400010200000000010a4d0001"
                + "0000000000000a4d0002"));
        engine.fromClient(arpRequest, 0, arpRequest.length);
        assertEquals(1, toClient.size(), "the tagged ARP request answered");
        byte[] reply = toClient.get(0);
        assertEquals(100, vlanOf(reply), "the ARP reply tagged");
        byte[] plainReply = untagged(reply);
        assertEquals(0x0806, (plainReply[12] & 0xff) << 8 | plainReply[13] & 0xff);
        assertEquals(2, plainReply[21], "a reply");
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 2, 0x0a, 0x4d, 0, 2}, Arrays.copyOfRange(plainReply, 22, 32),
                "the service address at the primary's MAC");

        toClient.clear();
        fromClient(TcpFrame.fromClient(CLIENT_PORT + 1).seq(5).ack(6).flags(TcpHeader.ACK));
        assertEquals(1, toClient.size(), "a segment of no connection is answered with a reset");
        assertEquals(100, vlanOf(toClient.get(0)), "the reset tagged");
        assertEquals(TcpHeader.RST, read(Arrays.copyOfRange(toClient.get(0), 18, toClient.get(0).length)).flags() & TcpHeader.RST);
    }

    /**
     * The VLAN is learned from the clients' frames in PROXY too: a restarted MigWare (the primary
     * sends nothing any more) or a mirror moved to a trunk learns it from the next client frame.
     */
    @Test
    void theVlanIsLearnedFromTheClientsFramesInProxy() throws Exception {
        TcpSegment syn = recover(); // untagged before the failover
        mirrorVlan = 200;
        fromClient(client(1018, PRIMARY_ISN + 1).payload("b\n").timestamps(CLIENT_TSVAL + 5, PRIMARY_TSVAL));
        fromReplica(replicaPacket(syn, REPLICA_ISN + 1, 1020, TcpHeader.ACK | TcpHeader.PSH, "ok c1 r2\n",
                REPLICA_TSVAL + 6, (int) CLIENT_TSVAL + 5, 100));
        assertEquals(1, toClient.size());
        assertEquals(200, vlanOf(toClient.get(0)), "the client's VLAN, learned in PROXY");
        mirrorVlan = -1;
        toClient.clear();
        fromClient(client(1020, PRIMARY_ISN + 10).payload("c1 r3\n").timestamps(CLIENT_TSVAL + 6, PRIMARY_TSVAL + 6));
        fromReplica(replicaPacket(syn, REPLICA_ISN + 10, 1026, TcpHeader.ACK | TcpHeader.PSH, "ok c1 r3\n",
                REPLICA_TSVAL + 7, (int) CLIENT_TSVAL + 6, 100));
        assertEquals(1, toClient.size());
        assertEquals(-1, vlanOf(toClient.get(0)), "untagged again once the client's frames are");
    }

    /**
     * Issue 10: a connection whose handshake's final ACK the capture missed, with nothing sent
     * since (the tracker holds it in HANDSHAKE). Nothing is forged for it at the failover (the primary
     * answers spoofed SYNs with SYN-ACKs too); a segment that does not prove the client holds the
     * SYN-ACK is reset as before; the client's first segment acknowledging exactly the primary's
     * ISN + 1 at its own ISN + 1 re-creates it, and that segment reaches the replica translated.
     */
    @Test
    void aHandshakeWhoseFinalAckTheCaptureMissedIsReCreatedAtItsClientsFirstSegment() throws Exception {
        capture(TcpFrame.fromClient(CLIENT_PORT).seq(ISN).flags(TcpHeader.SYN).synOptions(1460, CLIENT_SHIFT, true).timestamps(CLIENT_TSVAL - 10, 0));
        capture(primary(PRIMARY_ISN, ISN + 1).flags(TcpHeader.SYN | TcpHeader.ACK)
                .synOptions(1460, PRIMARY_SHIFT, true).timestamps(PRIMARY_TSVAL - 5, (int) CLIENT_TSVAL - 10));
        ConnectionSnapshot handshake = new ConnectionSnapshot(
                new Endpoint(InetAddress.getByName("10.77.0.1"), CLIENT_PORT, "02:00:00:00:00:01"),
                new Endpoint(InetAddress.getByName("10.77.0.2"), SERVICE_PORT, "02:00:00:00:00:02"),
                new DirectionState(ISN, 1460, CLIENT_SHIFT, true, true, DirectionState.UNKNOWN, ISN + 1, CLIENT_TSVAL - 10, 502, 0, 1, 0, 0,
                        0, DirectionState.UNKNOWN),
                new DirectionState(PRIMARY_ISN, 1460, PRIMARY_SHIFT, true, true, ISN + 1, PRIMARY_ISN + 1, PRIMARY_TSVAL - 5, 509, 0, 1, 0,
                        0, 0, DirectionState.UNKNOWN),
                TcpState.HANDSHAKE, true, Instant.EPOCH, Instant.EPOCH);
        engine.startRecovery(List.of(handshake), finished::set);
        engine.pace();
        assertTrue(toReplica.isEmpty(), "nothing forged at the failover");

        fromClient(client(ISN + 1, PRIMARY_ISN + 9).payload("c1 r1 aaa\n").timestamps(CLIENT_TSVAL, PRIMARY_TSVAL - 5));
        assertTrue(toReplica.isEmpty(), "an ACK of what the primary never sent proves nothing");
        assertEquals(1, toClient.size(), "answered with a reset");
        assertEquals(TcpHeader.RST, read(Arrays.copyOfRange(toClient.get(0), 14, toClient.get(0).length)).flags() & TcpHeader.RST);
        toClient.clear();

        fromClient(client(ISN + 1, PRIMARY_ISN + 1).payload("c1 r1 aaa\n").timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL - 5));
        engine.pace();
        assertEquals(1, toReplica.size(), "a forged SYN once the client proved it holds the SYN-ACK");
        TcpSegment syn = read(toReplica.get(0));
        assertEquals(TcpHeader.SYN, syn.flags() & (TcpHeader.SYN | TcpHeader.ACK));
        assertEquals(ISN, syn.seq(), "the client's own ISN: its stream starts where it started");
        toReplica.clear();
        fromReplica(replicaPacket(syn, REPLICA_ISN, syn.seq() + 1, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL, (int) syn.tsval(),
                64_240));
        engine.pace();
        TcpSegment request = toReplica.stream().map(MigrationEngineTest::read).filter(t -> t.payload().length > 0).findFirst()
                .orElseThrow(() -> new AssertionError("the client's first segment never reached the replica: " + toReplica.size()));
        assertEquals("c1 r1 aaa\n", new String(request.payload(), StandardCharsets.US_ASCII));
        assertEquals(ISN + 1, request.seq());
        assertEquals(REPLICA_ISN + 1, request.ack(), "the client's ACK of the primary's ISN + 1 moved to the replica's");
        assertTrue(toClient.stream().noneMatch(f -> (read(Arrays.copyOfRange(f, 14, f.length)).flags() & TcpHeader.RST) != 0),
                "no reset once confirmed");
    }

    @Test
    void anUnknownTupleIsDroppedAndAClientResetEndsOnlyItsMapping() throws Exception {
        recover();
        toReplica.clear();
        long droppedBefore = engine.dropped();
        TcpFrame spoofed = TcpFrame.fromClient(CLIENT_PORT + 1).seq(1018).flags(TcpHeader.RST);
        fromClient(spoofed);
        assertEquals(droppedBefore + 1, engine.dropped());
        assertEquals(0, toReplica.size(), "nothing of it reaches the replica");
        assertEquals(0, toClient.size(), "a reset is never answered");
        assertEquals(1, engine.describeMappings().size());

        // Data for a connection MigWare does not have (one whose handshake was missed): reset at once.
        TcpFrame orphan = TcpFrame.fromClient(CLIENT_PORT + 2).seq(777).ack(888).payload("lost?");
        fromClient(orphan);
        assertEquals(1, toClient.size());
        byte[] frame = toClient.get(0);
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, Arrays.copyOf(frame, 12), "to the client, from the primary's MAC");
        TcpSegment reset = read(Arrays.copyOfRange(frame, 14, frame.length));
        assertEquals(TcpHeader.RST, reset.flags());
        assertEquals(888, reset.seq(), "the client's own ack: exactly what it expects, so it takes the reset");
        assertEquals(PRIMARY, reset.source());
        assertEquals(SERVICE_PORT, reset.sourcePort());
        assertEquals(CLIENT_PORT + 2, reset.destinationPort());
        assertEquals(0, toReplica.size());
        toClient.clear();

        fromClient(TcpFrame.fromClient(CLIENT_PORT).seq(1020).flags(TcpHeader.RST));
        assertEquals(1, toReplica.size(), "the client's own reset goes to the replica");
        assertTrue(read(toReplica.get(0)).has(TcpHeader.RST));
        assertEquals(0, engine.describeMappings().size(), "and ends its mapping");
    }

    /**
     * A SYN flood in PROXY (issue 10): the table holds no more than its bound, the carried
     * connection is never ended to make room, SYNs beyond the bound are dropped (not passed to the
     * replica), the spoofed half-open connections end after their time, and a real new connection
     * then gets in; a passed-through connection whose client completed its handshake stays.
     */
    @Test
    void aSynFloodInProxyIsBoundedAndNeverEndsACarriedConnection() throws Exception {
        bounds = new MappingExpiry.Bounds(4, TimeUnit.SECONDS.toNanos(60), TimeUnit.HOURS.toNanos(1));
        engine = newEngine();
        recover();
        fromClient(TcpFrame.fromClient(41_000).seq(5).flags(TcpHeader.SYN).synOptions(1460, 7, true));
        fromClient(TcpFrame.fromClient(41_000).seq(6).ack(1)); // its client goes on: not half-open
        toReplica.clear();
        for (int port = 50_000; port < 50_100; port++) {
            fromClient(TcpFrame.fromClient(port).seq(port).flags(TcpHeader.SYN).synOptions(1460, 7, true));
        }
        assertEquals(4, engine.describeMappings().size(), "the carried one, the completed one and two spoofed: the bound");
        assertEquals(2, toReplica.size(), "only the SYNs that got a mapping reach the replica");
        fromClient(client(1020, PRIMARY_ISN + 1).payload("c1 r3\n").timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL));
        assertEquals("c1 r3\n", new String(read(toReplica.get(toReplica.size() - 1)).payload(), StandardCharsets.US_ASCII),
                "the carried connection still reaches the replica");

        now += TimeUnit.SECONDS.toNanos(61);
        engine.pace();
        List<String> left = engine.describeMappings();
        assertEquals(2, left.size(), "the half-open ones ended: " + left);
        assertTrue(left.get(0).startsWith("10.77.0.1:" + CLIENT_PORT + " "), left.get(0));
        assertTrue(left.get(1).startsWith("10.77.0.1:41000 "), left.get(1));
        toReplica.clear();
        fromClient(TcpFrame.fromClient(42_000).seq(9).flags(TcpHeader.SYN).synOptions(1460, 7, true));
        assertTrue(read(toReplica.get(0)).has(TcpHeader.SYN), "a real new connection gets in again");
        assertTrue(engine.summary().contains("mappings: 2 half-open and 0 idle ended, 98 new connections refused (table full)"),
                engine.summary());
    }

    /**
     * A client RST in PROXY that is not at the replica's next expected byte (issue 10, point 3):
     * passed on (the replica's own stack answers it with a challenge ACK), but the mapping stays
     * and the connection carries on; the client's exact reset then ends it.
     */
    @Test
    void aResetNotAtTheNextByteLeavesTheMappingInProxy() throws Exception {
        recover();
        toReplica.clear();
        fromClient(TcpFrame.fromClient(CLIENT_PORT).seq(1020 + 3000).flags(TcpHeader.RST));
        assertEquals(1, toReplica.size(), "the replica's stack judges it");
        assertEquals(1, engine.describeMappings().size(), "the mapping stays");
        fromClient(client(1020, PRIMARY_ISN + 1).payload("c1 r3\n").timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL));
        assertEquals("c1 r3\n", new String(read(toReplica.get(toReplica.size() - 1)).payload(), StandardCharsets.US_ASCII),
                "the connection carries on");
        fromReplica(replicaPacket(read(toReplica.get(toReplica.size() - 1)), REPLICA_ISN + 1, 1026, 0, "", REPLICA_TSVAL + 1,
                (int) CLIENT_TSVAL + 1, 500));
        fromClient(TcpFrame.fromClient(CLIENT_PORT).seq(1026).flags(TcpHeader.RST));
        assertEquals(0, engine.describeMappings().size(), "the exact reset ends it");
    }

    /**
     * A client segment fragmented on its path (issue 10, point 10): its first fragment parses as
     * TCP but holds only a part of the payload. Nothing reaches the replica until every fragment
     * came; then the whole segment, once.
     */
    @Test
    void aFragmentedClientSegmentReachesTheReplicaWholeOrNotAtAll() throws Exception {
        recover();
        toReplica.clear();
        byte[] whole = client(1020, PRIMARY_ISN + 1).payload("c1 r3 and a record long enough for three fragments\n")
                .timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL).build();
        whole[14 + 6] = 0; // DF clear
        java.util.List<byte[]> parts = org.migware.proxy.internal.translation.Ipv4ReassemblyTest.fragments(whole, 32);
        assertEquals(3, parts.size());
        engine.fromClient(parts.get(0), 0, parts.get(0).length);
        engine.fromClient(parts.get(2), 0, parts.get(2).length);
        assertEquals(0, toReplica.size(), "no part of a segment reaches the replica");
        engine.fromClient(parts.get(1), 0, parts.get(1).length);
        assertEquals(1, toReplica.size());
        assertEquals("c1 r3 and a record long enough for three fragments\n",
                new String(read(toReplica.get(0)).payload(), StandardCharsets.US_ASCII), "the whole segment, its checksums right");
        assertTrue(engine.summary().contains("IP fragments from clients: 3 seen, 1 segments put together, 0 given up"), engine.summary());
    }

    /** A mapping that sees no segment either way for the idle time ends; one that does, stays. */
    @Test
    void anIdleMappingEndsAfterItsIdleTime() throws Exception {
        bounds = new MappingExpiry.Bounds(100, TimeUnit.SECONDS.toNanos(60), TimeUnit.SECONDS.toNanos(600));
        engine = newEngine();
        recover();
        now += TimeUnit.SECONDS.toNanos(599);
        engine.pace();
        assertEquals(1, engine.describeMappings().size(), "not idle long enough");
        fromClient(client(1020, PRIMARY_ISN + 1).payload("c1 r3\n").timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL));
        now += TimeUnit.SECONDS.toNanos(599);
        engine.pace();
        assertEquals(1, engine.describeMappings().size(), "a segment restarts its idle time");
        now += TimeUnit.SECONDS.toNanos(2);
        engine.pace();
        assertEquals(0, engine.describeMappings().size(), "idle for 601 s");
    }

    @Test
    void aSynAfterFailoverIsANewConnectionPassedToTheReplica() throws Exception {
        recover();
        toReplica.clear();
        TcpFrame syn = TcpFrame.fromClient(41_000).seq(123_456).flags(TcpHeader.SYN).synOptions(1460, 7, true);
        fromClient(syn);
        TcpSegment forwarded = read(toReplica.get(0));
        assertTrue(forwarded.has(TcpHeader.SYN));
        assertEquals(123_456, forwarded.seq(), "a new connection keeps its own numbers");
        assertEquals(REPLICA, forwarded.destination());
        assertEquals(1, engine.passedThrough());
    }

    /**
     * The direct path: once this host owns the service address, a new SYN, a segment of no carried
     * connection and an ARP request for the address are the kernel's (nothing passed, reset or
     * answered); the carried connection still passes, and is the one tuple the nftables set gets.
     */
    @Test
    void withTheServiceAddressLocalNewConnectionsSegmentsOfNoConnectionAndArpAreTheKernels() throws Exception {
        recover();
        assertEquals(List.of(new org.migware.proxy.internal.direct.CarriedTuple(CLIENT, CLIENT_PORT, PRIMARY, SERVICE_PORT)),
                engine.carriedTuples());
        byte[] arpRequest = java.util.HexFormat.of().parseHex("ffffffffffff020000000001080600010800060400010200000000010a4d0001"
                + "0000000000000a4d0002");
        toClient.clear();
        engine.fromClient(arpRequest, 0, arpRequest.length);
        assertEquals(1, toClient.size(), "before: MigWare answers ARP for the service address");

        engine.serviceAddressLocal(true);
        toReplica.clear();
        toClient.clear();
        engine.fromClient(arpRequest, 0, arpRequest.length);
        fromClient(TcpFrame.fromClient(41_000).seq(123_456).flags(TcpHeader.SYN).synOptions(1460, 7, true));
        fromClient(TcpFrame.fromClient(41_001).seq(7).ack(9).flags(TcpHeader.ACK).payload("kernel's\n"));
        assertTrue(toReplica.isEmpty(), "nothing of the kernel's connections goes to the TUN");
        assertTrue(toClient.isEmpty(), "no ARP answer, no reset for the kernel's segments");
        assertEquals(0, engine.passedThrough());
        fromClient(client(1020, PRIMARY_ISN + 1).payload("c1 r3\n").timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL));
        assertEquals(1, toReplica.size(), "the carried connection still passes MigWare");
    }
    private MigrationEngine restartedFrom(MigrationEngine old) throws Exception {
        return restoredFrom(saved(old));
    }

    /** An update of the proxy bundle in PROXY: the new engine translates exactly as the old one did. */
    @Test
    void theMappingsOutliveARestartOfTheProxy() throws Exception {
        TcpSegment syn = recover();
        TcpFrame retransmission = client(1018, PRIMARY_ISN + 1).payload("b\n").timestamps(CLIENT_TSVAL + 5, PRIMARY_TSVAL);
        toReplica.clear();
        fromClient(retransmission);
        byte[] before = toReplica.get(0);
        String summaryBefore = engine.summary();

        engine = restartedFrom(engine);
        assertTrue(engine.active());
        assertTrue(engine.recoveryFinished());
        assertEquals(summaryBefore.replaceAll("in \\d+ ms", ""), engine.summary().replaceAll("in \\d+ ms", ""));
        toReplica.clear();
        fromClient(retransmission);
        assertArrayEquals(before, toReplica.get(0), "the same packet to the replica");

        toClient.clear();
        fromReplica(replicaPacket(syn, REPLICA_ISN + 1, 1020, TcpHeader.ACK, "ok\n", REPLICA_TSVAL + 9, (int) CLIENT_TSVAL + 5, 100));
        TcpSegment down = read(Arrays.copyOfRange(toClient.get(0), 14, toClient.get(0).length));
        assertEquals(PRIMARY_ISN + 1, down.seq());
        assertEquals(PRIMARY_TSVAL + 9, down.tsval());
        assertEquals(PRIMARY, down.source());

        // A new connection after the restart gets a shadow endpoint of its own, not a restored one's.
        TcpFrame newSyn = TcpFrame.fromClient(41_000).seq(5).flags(TcpHeader.SYN);
        toReplica.clear();
        fromClient(newSyn);
        TcpSegment passed = read(toReplica.get(0));
        assertTrue(passed.source() != syn.source() || passed.sourcePort() != syn.sourcePort());
    }

    /** Restarted in the middle of RECOVERY: the unanswered handshake is sent again, from the same shadow endpoint. */
    @Test
    void aHandshakeInFlightIsSentAgainAfterARestart() throws Exception {
        passiveTraffic();
        engine.startRecovery(List.of(snapshot()), finished::set);
        TcpSegment first = read(toReplica.get(0));
        engine = restartedFrom(engine);
        toReplica.clear();
        engine.pace();
        TcpSegment again = read(toReplica.get(0));
        assertTrue(again.has(TcpHeader.SYN));
        assertEquals(first.seq(), again.seq());
        assertEquals(first.source(), again.source());
        assertEquals(first.sourcePort(), again.sourcePort());
        fromReplica(replicaPacket(again, REPLICA_ISN, again.seq() + 1, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL, (int) again.tsval(), 64_240));
        engine.pace();
        assertNotNull(finished.get(), "the restored engine reports the end of recovery");
        assertTrue(finished.get().startsWith("1 recovered, 0 failed"), finished.get());
        TcpSegment handOver = read(toReplica.get(toReplica.size() - 1));
        assertEquals("c1 r2 bbb\n", new String(handOver.payload(), StandardCharsets.US_ASCII), "the hand-over survived too");
    }
    /** Starts recovering one connection; returns the state the component's checkpoint writes before the first forged SYN. */
    private byte[] startRecoverySavingBeforeTheFirstSyn(ConnectionSnapshot connection) {
        java.io.ByteArrayOutputStream beforeFirstSyn = new java.io.ByteArrayOutputStream();
        MigrationEngine crashing = engine;
        engine.startRecovery(List.of(connection), finished::set, () -> {
            try (java.io.DataOutputStream out = new java.io.DataOutputStream(beforeFirstSyn)) {
                crashing.save(out);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return beforeFirstSyn.toByteArray();
    }

    /**
     * A crash of the whole process in RECOVERY, after the replica answered a forged SYN and got our
     * ACK and the hand-over, but before the next snapshot: the snapshot taken before the first SYN
     * shows the connection still queued. With the journal, the restarted engine completes the same
     * handshake again (the same ACK, the same hand-over bytes at the same sequence numbers: duplicates
     * to the replica) and forges no second connection; without it, it would forge one.
     */
    @Test
    void aCrashAfterTheReplicaAnsweredNeitherForgesTheConnectionAgainNorLosesIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path folder)
            throws Exception {
        passiveTraffic();
        engine.journal(new org.migware.proxy.internal.state.HandshakeJournal(folder));
        byte[] beforeFirstSyn = startRecoverySavingBeforeTheFirstSyn(snapshot());
        TcpSegment syn = read(toReplica.get(0));
        toReplica.clear();
        fromReplica(replicaPacket(syn, REPLICA_ISN, syn.seq() + 1, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL, (int) syn.tsval(), 64_240));
        List<byte[]> answeredBefore = new ArrayList<>(toReplica);
        assertTrue(answeredBefore.size() >= 2, "the ACK and the hand-over");

        // kill -9: nothing more is saved. The control: the snapshot alone forges the connection again.
        MigrationEngine withoutJournal = newEngine();
        withoutJournal.restore(new java.io.DataInputStream(new java.io.ByteArrayInputStream(beforeFirstSyn)), summary -> { });
        toReplica.clear();
        withoutJournal.pace();
        assertTrue(read(toReplica.get(0)).has(TcpHeader.SYN), "without the journal a second SYN would go");

        engine = newEngine();
        engine.journal(new org.migware.proxy.internal.state.HandshakeJournal(folder));
        finished.set(null);
        engine.restore(new java.io.DataInputStream(new java.io.ByteArrayInputStream(beforeFirstSyn)), finished::set);
        toReplica.clear();
        assertEquals(1, engine.replayJournal());
        assertEquals(answeredBefore.size(), toReplica.size(), "the same answers again");
        for (int i = 0; i < answeredBefore.size(); i++) {
            assertArrayEquals(answeredBefore.get(i), toReplica.get(i), "the same packet " + i + " to the replica");
        }
        toReplica.clear();
        engine.pace();
        assertEquals(0, sentSyns().size(), "no second connection");
        assertNotNull(finished.get(), "the restored engine reports the end of recovery");
        assertTrue(finished.get().startsWith("1 recovered, 0 failed"), finished.get());
    }

    /**
     * Issue 14: the snapshot takes the engine's lock in parts of {@value MigrationEngine#SAVE_CHUNK}
     * mappings, and a packet handled between two parts changes what the later parts write. More
     * mappings than two parts, one new connection's SYN-ACK handled by a second thread while the
     * snapshot runs: the file still reads back whole, every mapping of the list in it.
     */
    @Test
    void aSnapshotInPartsReadsBackWholeWhilePacketsArrive() throws Exception {
        recover();
        int newConnections = 2 * MigrationEngine.SAVE_CHUNK + 17;
        for (int i = 0; i < newConnections; i++) {
            fromClient(TcpFrame.fromClient(CLIENT_PORT + 100 + i).seq(ISN + i).flags(TcpHeader.SYN).synOptions(1460, CLIENT_SHIFT, true)
                    .timestamps(CLIENT_TSVAL, 0));
        }
        List<byte[]> syns = new ArrayList<>(toReplica);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        Thread answers = new Thread(() -> {
            try {
                go.await();
            } catch (InterruptedException e) {
                return;
            }
            for (byte[] packet : syns) {
                TcpSegment syn = TcpSegment.parse(packet, packet.length);
                if (syn != null && (syn.flags() & TcpHeader.SYN) != 0) {
                    fromReplica(replicaPacket(syn, REPLICA_ISN, syn.seq() + 1, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL,
                            (int) syn.tsval(), 64_240));
                }
            }
        });
        answers.start();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            go.countDown();
            engine.save(out);
        }
        answers.join();
        MigrationEngine fresh = newEngine();
        int read = fresh.restore(new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())), summary -> { });
        assertEquals(1 + newConnections, read, "the carried connection and every new one");
    }

    /**
     * A state file left by a crash may be truncated anywhere, or corrupted: restoring it gives an
     * exception the component logs, or mappings, never an Error (no allocation from a bad length
     * or count, closed tuples' included).
     */
    @Test
    void aTruncatedOrCorruptMappingsFileNeverBreaksTheRestart() throws Exception {
        passiveTraffic();
        // a mapping and two closed tuples (state version 4)
        engine.startRecovery(List.of(snapshot(), closedBothWays(CLIENT_PORT + 7), closedBothWays(CLIENT_PORT + 8)), finished::set);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            engine.save(out);
        }
        byte[] valid = bytes.toByteArray();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.Random random = new java.util.Random(5961);
        for (int round = 0; round < valid.length + 2000; round++) {
            byte[] damaged;
            if (round < valid.length) {
                damaged = Arrays.copyOf(valid, round);
            } else {
                damaged = valid.clone();
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    damaged[random.nextInt(damaged.length)] = (byte) random.nextInt(256);
                }
            }
            MigrationEngine fresh = newEngine();
            long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
            try {
                fresh.restore(new java.io.DataInputStream(new java.io.ByteArrayInputStream(damaged)), summary -> { });
            } catch (java.io.IOException | RuntimeException expected) {
                // logged by the component, which then starts without the mappings
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
            assertTrue(allocated < (4 << 20), "restoring " + damaged.length + " bytes allocated " + allocated + " bytes (round " + round + ")");
        }
    }

    /** PROXY's traffic for /metrics: segments and payload bytes each way, and why a packet was not carried. */
    @Test
    void theTrafficEachWayAndTheDropsByReasonAreCounted() throws Exception {
        TcpSegment syn = recover();
        fromClient(client(1020, PRIMARY_ISN + 1).payload("c1 r3\n").timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL));
        fromReplica(replicaPacket(syn, REPLICA_ISN + 1, 1020, TcpHeader.ACK, "ok\n", REPLICA_TSVAL + 9, (int) CLIENT_TSVAL + 1, 100));
        // to a shadow endpoint no mapping holds
        fromReplica(TcpFrame.fromServer(9).from(REPLICA, SERVICE_PORT).to(syn.source(), syn.sourcePort() + 1).seq(1).ack(1)
                .payload("x").buildIpv4());
        org.migware.api.failover.ProxyTraffic traffic = engine.progress().traffic();
        assertTrue(traffic.packetsToReplica() >= 1, traffic::toString);
        assertTrue(traffic.bytesToReplica() >= 6, traffic::toString);
        assertEquals(1, traffic.packetsToClient(), traffic::toString);
        assertEquals(3, traffic.bytesToClient(), traffic::toString);
        assertEquals(java.util.Map.of("no_mapping", 1L), traffic.droppedByReason());
    }

    /** Connections waiting in the replica's accept queue count as handshakes in flight: its backlog never overflows. */
    @Test
    void thePacerLeavesRoomForTheReplicasAcceptQueue() throws Exception {
        int[] waiting = {0};
        engine.replicaAcceptQueue(port -> waiting[0]);
        List<ConnectionSnapshot> many = new ArrayList<>();
        ConnectionSnapshot one = snapshot();
        for (int i = 0; i < 100; i++) {
            many.add(new ConnectionSnapshot(new Endpoint(one.client().address(), 20_000 + i, one.client().mac()),
                    one.server(), one.clientToServer(), one.serverToClient(), one.state(), true, Instant.EPOCH, Instant.EPOCH));
        }
        engine.startRecovery(many, finished::set);
        List<TcpSegment> syns = sentSyns();
        assertEquals(64, syns.size(), "handshakesInFlight");

        engine.pace(); // reads the queue: empty
        answer(syns.subList(0, 4));
        assertEquals(0, sentSyns().size(), "a completed handshake waits in the accept queue until the pacer reads it again");
        engine.pace(); // the application has accepted those four
        assertEquals(4, sentSyns().size());

        waiting[0] = 62; // the replica's application is slow to accept
        engine.pace();
        answer(syns.subList(4, 6));
        assertEquals(0, sentSyns().size(), "64 in flight or waiting to be accepted: no new SYN");

        waiting[0] = 0; // it accepted them all
        engine.pace();
        assertEquals(2, sentSyns().size());
    }

    private List<TcpSegment> sentSyns() {
        List<TcpSegment> syns = toReplica.stream().map(MigrationEngineTest::read).filter(s -> s.has(TcpHeader.SYN)).toList();
        toReplica.clear();
        return syns;
    }

    private void answer(List<TcpSegment> syns) {
        for (TcpSegment syn : syns) {
            fromReplica(replicaPacket(syn, REPLICA_ISN, syn.seq() + 1, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL,
                    (int) syn.tsval(), 64_240));
        }
    }
    /** The client's FIN, then the replica's, of the connection recovered by {@link #recover()}. */
    private void bothSidesClose(TcpSegment syn) {
        fromClient(client(1020, PRIMARY_ISN + 1).flags(TcpHeader.FIN | TcpHeader.ACK));
        fromReplica(replicaPacket(syn, REPLICA_ISN + 1, 1021, TcpHeader.FIN | TcpHeader.ACK, "", REPLICA_TSVAL + 3,
                (int) CLIENT_TSVAL, 500));
    }

    /** A connection closed by both sides keeps its mapping a while (the last ACK), then loses it. */
    @Test
    void bothFinsEndTheMappingAfterALinger() throws Exception {
        TcpSegment syn = recover();
        bothSidesClose(syn);
        engine.pace();
        assertEquals(1, engine.describeMappings().size(), "the last ACK must still be translated");
        toReplica.clear();
        fromClient(client(1021, PRIMARY_ISN + 2));
        assertEquals(1, toReplica.size(), "the client's last ACK reaches the replica");
        now += MigrationEngine.CLOSED_LINGER_NANOS;
        engine.pace();
        assertEquals(0, engine.describeMappings().size(), "gone after the linger");
    }

    /**
     * Issue 10, point 7 (RFC 6191): the client reuses its port for a new connection after both
     * sides closed the carried one, while its mapping lingers. The SYN, beyond the old stream, is a
     * new connection passed through on a new shadow endpoint (the replica's TIME_WAIT holds the old
     * one); it never lands in the old connection.
     */
    @Test
    void aPortReusedAfterBothSidesClosedStartsANewConnection() throws Exception {
        TcpSegment syn = recover();
        bothSidesClose(syn);
        fromClient(client(1021, PRIMARY_ISN + 2));
        toReplica.clear();
        fromClient(TcpFrame.fromClient(CLIENT_PORT).seq(90_000).flags(TcpHeader.SYN).synOptions(1460, 7, true));
        assertEquals(1, toReplica.size());
        TcpSegment forwarded = read(toReplica.get(0));
        assertTrue(forwarded.has(TcpHeader.SYN) && !forwarded.has(TcpHeader.ACK));
        assertEquals(90_000, forwarded.seq(), "a new connection keeps its own numbers");
        assertTrue(forwarded.source() != syn.source() || forwarded.sourcePort() != syn.sourcePort(), "a new shadow endpoint");
        assertEquals(1, engine.passedThrough());
        assertEquals(1, engine.describeMappings().size(), "the old mapping is gone, the new one is there");
    }

    /**
     * Issue 10, point 7, delivery resume: the client sent its last record and half-closed; the
     * primary acknowledged both (its ACK is one beyond the FIN). The forged SYN still ends at the
     * FIN (the replica's stream starts there), and once the replica's handshake completes MigWare
     * writes the client's FIN at its own sequence number, so that the replica's application reads
     * EOF. Nothing else is handed over: the primary had acknowledged every byte.
     */
    @Test
    void aResumedClientThatHalfClosedHasItsFinHandedToTheReplica() throws Exception {
        engine.startRecovery(List.of(halfClosedTraffic()), finished::set);
        assertEquals(1, toReplica.size(), "one forged SYN");
        TcpSegment syn = read(toReplica.get(0));
        assertEquals(1019, syn.seq(), "the replica's stream starts at the client's FIN");
        toReplica.clear();
        fromReplica(replicaPacket(syn, REPLICA_ISN, 1020, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL, (int) syn.tsval(), 64_240));
        List<TcpSegment> written = toReplica.stream().map(MigrationEngineTest::read).toList();
        List<TcpSegment> fins = written.stream().filter(x -> x.has(TcpHeader.FIN)).toList();
        assertEquals(1, fins.size(), written::toString);
        assertEquals(1020, fins.get(0).seq());
        assertEquals(0, fins.get(0).payload().length);
        assertEquals(0, written.stream().mapToInt(x -> x.payload().length).sum(), "no byte handed over");
        toReplica.clear();
        fromReplica(replicaPacket(syn, REPLICA_ISN + 1, 1021, TcpHeader.ACK, "", REPLICA_TSVAL + 1, (int) CLIENT_TSVAL, 64_240));
        now += TimeUnit.SECONDS.toNanos(1);
        engine.pace();
        assertEquals(0, toReplica.stream().map(MigrationEngineTest::read).filter(x -> x.has(TcpHeader.FIN)).count(),
                "acknowledged: not written again");
    }

    /**
     * The wire before failover of a client that sent its last record and half-closed, the primary
     * having acknowledged both; returns what the tracker would report.
     */
    private ConnectionSnapshot halfClosedTraffic() throws Exception {
        passiveTraffic();
        capture(client(1020, PRIMARY_ISN + 1).flags(TcpHeader.FIN).timestamps(CLIENT_TSVAL, PRIMARY_TSVAL));
        capture(primary(PRIMARY_ISN + 1, 1021).timestamps(PRIMARY_TSVAL, (int) CLIENT_TSVAL));
        return new ConnectionSnapshot(
                new Endpoint(InetAddress.getByName("10.77.0.1"), CLIENT_PORT, "02:00:00:00:00:01"),
                new Endpoint(InetAddress.getByName("10.77.0.2"), SERVICE_PORT, "02:00:00:00:00:02"),
                new DirectionState(ISN, 1460, CLIENT_SHIFT, true, true, PRIMARY_ISN + 1, 1021, CLIENT_TSVAL, 502, 20, 5, 0, 0, 0, 1020),
                new DirectionState(PRIMARY_ISN, 1460, PRIMARY_SHIFT, true, true, 1021, PRIMARY_ISN + 1, PRIMARY_TSVAL, 509, 0, 4, 0, 0, 0,
                        DirectionState.UNKNOWN),
                TcpState.CLOSING, true, Instant.EPOCH, Instant.EPOCH);
    }

    /** The FINs MigWare wrote to the replica since the list was last cleared; clears it. */
    private List<TcpSegment> finsToReplica() {
        List<TcpSegment> fins = toReplica.stream().map(MigrationEngineTest::read).filter(x -> x.has(TcpHeader.FIN)).toList();
        toReplica.clear();
        return fins;
    }

    /** Saved by {@code old} now, restored by a new engine after a restart of MigWare that took {@code downMillis}. */
    private MigrationEngine restartedFrom(MigrationEngine old, long downMillis) throws Exception {
        byte[] state = saved(old);
        processRestarts(downMillis);
        return restoredFrom(state);
    }

    /** A restart of MigWare: the next process's nanoTime starts anywhere (here: earlier), the wall clock went on. */
    private void processRestarts(long downMillis) {
        now = TimeUnit.MILLISECONDS.toNanos(3) + TimeUnit.SECONDS.toNanos(1);
        wallMillis += downMillis;
    }

    /**
     * Issue 10, point 7, across a restart (kill -9 in PROXY): the half-closed client's FIN, written
     * to the replica and lost there (never acknowledged), is still owed after the restart. The
     * restored engine writes it again at the next pace, from the same shadow endpoint at the same
     * sequence number, and keeps writing it every 200 ms until the replica acknowledges it; then no
     * more. Before state version 4 the restored mapping had forgotten it: the replica's application
     * never read EOF and the client never got its answer.
     */
    @Test
    void aHalfClosedClientsFinNotYetAcknowledgedIsWrittenAgainAfterARestart() throws Exception {
        engine.startRecovery(List.of(halfClosedTraffic()), finished::set);
        TcpSegment syn = read(toReplica.get(0));
        toReplica.clear();
        fromReplica(replicaPacket(syn, REPLICA_ISN, 1020, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL, (int) syn.tsval(), 64_240));
        TcpSegment before = finsToReplica().get(0);
        // the FIN is lost on its way to the replica; MigWare is killed before its repeat

        engine = restartedFrom(engine, 1_500);
        engine.pace();
        List<TcpSegment> again = finsToReplica();
        assertEquals(1, again.size(), "the FIN written again at the first pace after the restart");
        TcpSegment fin = again.get(0);
        assertEquals(TcpHeader.FIN | TcpHeader.ACK, fin.flags());
        assertEquals(1020, fin.seq(), "at the client's FIN");
        assertEquals(0, fin.payload().length);
        assertEquals(List.of(before.source(), before.sourcePort(), before.destination(), before.destinationPort(), before.ack()),
                List.of(fin.source(), fin.sourcePort(), fin.destination(), fin.destinationPort(), fin.ack()),
                "the same shadow endpoint, replica and acknowledgement as before the restart");
        now += TimeUnit.MILLISECONDS.toNanos(200);
        engine.pace();
        assertEquals(1, finsToReplica().size(), "unacknowledged: again 200 ms later");

        fromReplica(replicaPacket(syn, REPLICA_ISN + 1, 1021, TcpHeader.ACK, "", REPLICA_TSVAL + 1, (int) CLIENT_TSVAL, 64_240));
        now += TimeUnit.SECONDS.toNanos(1);
        engine.pace();
        assertEquals(0, finsToReplica().size(), "acknowledged: not written again");
    }

    /**
     * The same when MigWare is killed in RECOVERY, before the half-closed client's connection was
     * re-created (the snapshot taken before the first forged SYN): after the restart its forged
     * handshake completes, and the FIN follows it.
     */
    @Test
    void aHalfClosedClientRestoredBeforeItsHandshakeHasItsFinHandedOver() throws Exception {
        byte[] beforeFirstSyn = startRecoverySavingBeforeTheFirstSyn(halfClosedTraffic());
        processRestarts(1_500);
        engine = restoredFrom(beforeFirstSyn);
        toReplica.clear();
        engine.pace();
        TcpSegment syn = read(toReplica.get(0));
        assertTrue(syn.has(TcpHeader.SYN));
        toReplica.clear();
        fromReplica(replicaPacket(syn, REPLICA_ISN, 1020, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL, (int) syn.tsval(), 64_240));
        List<TcpSegment> fins = finsToReplica();
        assertEquals(1, fins.size(), "the FIN follows the handshake");
        assertEquals(1020, fins.get(0).seq());
    }

    /** A connection that had closed both ways (the primary in TIME_WAIT, the client in LAST_ACK) when the primary failed. */
    private static ConnectionSnapshot closedBothWays(int clientPort) throws Exception {
        return new ConnectionSnapshot(
                new Endpoint(InetAddress.getByName("10.77.0.1"), clientPort, "02:00:00:00:00:01"),
                new Endpoint(InetAddress.getByName("10.77.0.2"), SERVICE_PORT, "02:00:00:00:00:02"),
                new DirectionState(ISN, 1460, CLIENT_SHIFT, true, true, PRIMARY_ISN + 32, 1021, CLIENT_TSVAL, 502, 20, 6, 0, 0, 0, 1020),
                new DirectionState(PRIMARY_ISN, 1460, PRIMARY_SHIFT, true, true, 1020, PRIMARY_ISN + 32, PRIMARY_TSVAL, 509, 30, 5, 0, 0,
                        0, PRIMARY_ISN + 31),
                TcpState.CLOSING, true, Instant.EPOCH, Instant.EPOCH);
    }

    /**
     * Issue 10, point 7: a client whose connection had closed both ways at the failover sends its
     * FIN again (the primary's ACK of it never came). It gets the ACK the primary's TIME_WAIT would
     * send, never a reset; a bare ACK gets nothing; after 60 s (TIME_WAIT) the tuple is forgotten.
     * A SYN on such a tuple is a new connection.
     */
    @Test
    void aConnectionClosedBothWaysAtTheFailoverIsAnsweredAsTimeWaitWouldThenForgotten() throws Exception {
        passiveTraffic();
        engine.startRecovery(List.of(snapshot(), closedBothWays(CLIENT_PORT + 7), closedBothWays(CLIENT_PORT + 8)), finished::set);
        toReplica.clear();
        toClient.clear();
        fromClient(TcpFrame.fromClient(CLIENT_PORT + 7).seq(1020).ack(PRIMARY_ISN + 32).flags(TcpHeader.FIN));
        assertEquals(1, toClient.size(), "one answer");
        byte[] frame = toClient.get(0);
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, Arrays.copyOf(frame, 12), "to the client, from the primary's MAC");
        TcpSegment ack = read(Arrays.copyOfRange(frame, 14, frame.length));
        assertEquals(TcpHeader.ACK, ack.flags(), "an ACK, not a reset");
        assertEquals(PRIMARY_ISN + 32, ack.seq(), "after the primary's FIN");
        assertEquals(1021, ack.ack(), "acknowledging the client's FIN");
        assertEquals(PRIMARY, ack.source());
        assertEquals(CLIENT_PORT + 7, ack.destinationPort());
        toClient.clear();
        fromClient(TcpFrame.fromClient(CLIENT_PORT + 7).seq(1021).ack(PRIMARY_ISN + 32));
        assertEquals(0, toClient.size(), "a last ACK needs no answer");
        assertEquals(0, toReplica.size(), "nothing of it reaches the replica");

        fromClient(TcpFrame.fromClient(CLIENT_PORT + 8).seq(70_000).flags(TcpHeader.SYN).synOptions(1460, 7, true));
        assertEquals(1, toReplica.size(), "a SYN on a closed tuple is a new connection");
        assertEquals(70_000, read(toReplica.get(0)).seq());
        assertEquals(1, engine.passedThrough());

        now += TimeUnit.SECONDS.toNanos(60);
        engine.pace();
        fromClient(TcpFrame.fromClient(CLIENT_PORT + 7).seq(1020).ack(PRIMARY_ISN + 32).flags(TcpHeader.FIN));
        assertEquals(1, toClient.size());
        assertTrue(readFrame(toClient.get(0)).has(TcpHeader.RST), "forgotten after TIME_WAIT: a segment of no connection");
    }

    /** A client of a tuple closed both ways sends its FIN again; returns what MigWare answered, {@code null} for nothing. */
    private TcpSegment finAgainOnClosedTuple(int clientPort) {
        toClient.clear();
        fromClient(TcpFrame.fromClient(clientPort).seq(1020).ack(PRIMARY_ISN + 32).flags(TcpHeader.FIN));
        assertTrue(toClient.size() <= 1, "one answer at most");
        return toClient.isEmpty() ? null : readFrame(toClient.get(0));
    }

    /**
     * Issue 10, point 7, across a restart: a tuple closed both ways at the failover is still answered
     * as the primary's TIME_WAIT would after MigWare is killed and restarted in PROXY 20 s later,
     * for what is left of its 60 s by the wall clock (the 2 s MigWare was down count), then
     * forgotten. Before state version 4 the restarted engine had forgotten it: the client's FIN
     * sent again got a reset.
     */
    @Test
    void aClosedTupleIsStillAnsweredAfterARestartForTheRestOfItsLinger() throws Exception {
        passiveTraffic();
        engine.startRecovery(List.of(snapshot(), closedBothWays(CLIENT_PORT + 7)), finished::set);
        TcpSegment syn = read(toReplica.get(0));
        fromReplica(replicaPacket(syn, REPLICA_ISN, syn.seq() + 1, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL, (int) syn.tsval(), 64_240));
        now += TimeUnit.SECONDS.toNanos(20);
        wallMillis += 20_000;

        engine = restartedFrom(engine, 2_000);
        toReplica.clear();
        TcpSegment ack = finAgainOnClosedTuple(CLIENT_PORT + 7);
        assertNotNull(ack, "answered after the restart");
        assertEquals(TcpHeader.ACK, ack.flags(), "an ACK, not a reset");
        assertEquals(PRIMARY_ISN + 32, ack.seq(), "after the primary's FIN");
        assertEquals(1021, ack.ack(), "acknowledging the client's FIN");
        assertEquals(PRIMARY, ack.source());
        assertEquals(CLIENT_PORT + 7, ack.destinationPort());
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}, Arrays.copyOf(toClient.get(0), 12),
                "to the client, from the primary's MAC");
        assertEquals(0, toReplica.size(), "nothing of it reaches the replica");

        now += TimeUnit.SECONDS.toNanos(37); // 59 s after the failover
        engine.pace();
        assertEquals(TcpHeader.ACK, finAgainOnClosedTuple(CLIENT_PORT + 7).flags(), "still in its TIME_WAIT");
        now += TimeUnit.SECONDS.toNanos(1); // 60 s
        engine.pace();
        assertTrue(finAgainOnClosedTuple(CLIENT_PORT + 7).has(TcpHeader.RST), "forgotten once its 60 s are over");
    }

    /**
     * A closed tuple whose linger ended while MigWare was down is not taken back; one whose end
     * the wall clock puts more than 60 s ahead (the clock was set back while MigWare was down, or
     * the file was forged) lingers 60 s, never longer.
     */
    @Test
    void aClosedTuplesLingerAfterARestartIsMeasuredByTheWallClockAndNeverLonger() throws Exception {
        passiveTraffic();
        engine.startRecovery(List.of(snapshot(), closedBothWays(CLIENT_PORT + 7)), finished::set);
        java.io.ByteArrayOutputStream saved = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(saved)) {
            engine.save(out);
        }
        long wallAtSave = wallMillis;

        processRestarts(60_000);
        engine = restoredFrom(saved.toByteArray());
        assertTrue(finAgainOnClosedTuple(CLIENT_PORT + 7).has(TcpHeader.RST), "down 60 s: its TIME_WAIT was over");

        wallMillis = wallAtSave - TimeUnit.HOURS.toMillis(1);
        processRestarts(1_000);
        engine = restoredFrom(saved.toByteArray());
        assertEquals(TcpHeader.ACK, finAgainOnClosedTuple(CLIENT_PORT + 7).flags(), "the clock went back an hour: still answered");
        now += org.migware.proxy.internal.mapping.ClosedTuples.LINGER_NANOS;
        engine.pace();
        assertTrue(finAgainOnClosedTuple(CLIENT_PORT + 7).has(TcpHeader.RST), "forgotten after 60 s, not after an hour");
    }

    /**
     * Issue 10, point 7: a handshake under way at the failover (the primary's SYN-ACK seen, never
     * the client's ACK: the client did not get the SYN-ACK). The connection is not re-created; the
     * client's SYN, sent again after the failover, is a new connection passed to the replica, whose
     * SYN-ACK reaches the client. No reset.
     */
    @Test
    void aSynSentAgainForAHandshakeTheFailoverCutIsANewConnection() throws Exception {
        passiveTraffic();
        ConnectionSnapshot handshake = new ConnectionSnapshot(
                new Endpoint(InetAddress.getByName("10.77.0.1"), CLIENT_PORT + 9, "02:00:00:00:00:01"),
                new Endpoint(InetAddress.getByName("10.77.0.2"), SERVICE_PORT, "02:00:00:00:00:02"),
                new DirectionState(30_000, 1460, CLIENT_SHIFT, true, true, DirectionState.UNKNOWN, 30_001, CLIENT_TSVAL, 502, 0, 1, 0, 0, 0,
                        DirectionState.UNKNOWN),
                new DirectionState(PRIMARY_ISN, 1460, PRIMARY_SHIFT, true, true, 30_001, PRIMARY_ISN + 1, PRIMARY_TSVAL, 509, 0, 1, 0, 0,
                        0, DirectionState.UNKNOWN),
                TcpState.HANDSHAKE, true, Instant.EPOCH, Instant.EPOCH);
        engine.startRecovery(List.of(snapshot(), handshake), finished::set);
        toReplica.clear();
        toClient.clear();
        fromClient(TcpFrame.fromClient(CLIENT_PORT + 9).seq(30_000).flags(TcpHeader.SYN).synOptions(1460, CLIENT_SHIFT, true)
                .timestamps(CLIENT_TSVAL + 1000, 0));
        assertEquals(1, toReplica.size(), "the SYN sent again reaches the replica");
        TcpSegment forwarded = read(toReplica.get(0));
        assertTrue(forwarded.has(TcpHeader.SYN) && !forwarded.has(TcpHeader.ACK));
        assertEquals(30_000, forwarded.seq());
        assertEquals(1, engine.passedThrough());
        fromReplica(replicaPacket(forwarded, REPLICA_ISN, 30_001, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL,
                (int) (CLIENT_TSVAL + 1000), 64_240));
        List<TcpSegment> toTheClient = toClient.stream().map(MigrationEngineTest::readFrame).toList();
        assertEquals(1, toTheClient.size(), toTheClient::toString);
        assertTrue(toTheClient.get(0).has(TcpHeader.SYN) && toTheClient.get(0).has(TcpHeader.ACK), "the replica's SYN-ACK, no reset");
        assertEquals(30_001, toTheClient.get(0).ack());
        assertEquals(CLIENT_PORT + 9, toTheClient.get(0).destinationPort());
    }

    private static TcpSegment readFrame(byte[] frame) {
        return read(Arrays.copyOfRange(frame, 14, frame.length));
    }

    /**
     * In PROXY, translating a segment either way allocates nothing (the JVM's per-thread
     * allocation counter says so): log lines wait in the deferred log only when there is
     * something to say, and an empty one costs nothing to flush.
     */
    @Test
    void translatingInProxyAllocatesNothing() throws Exception {
        com.sun.management.ThreadMXBean counter = allocationCounter();
        long[] written = new long[2];
        TcpSegment syn = recover();
        engine = restoredWithPorts(engine, (packet, offset, length) -> written[0] += length, (frame, offset, length) -> written[1] += length);
        byte[] request = client(1020, PRIMARY_ISN + 1).payload("c1 r3 cc\n").timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL).build();
        byte[] answer = replicaPacket(syn, REPLICA_ISN + 1, 1029, 0, "answer\n", REPLICA_TSVAL + 1, (int) CLIENT_TSVAL + 1, 500);

        translateBothWays(request, answer, 20_000);
        long threadId = Thread.currentThread().getId();
        long before = counter.getThreadAllocatedBytes(threadId);
        translateBothWays(request, answer, 100_000);
        long allocated = counter.getThreadAllocatedBytes(threadId) - before;

        assertTrue(written[0] > 0 && written[1] > 0, "both directions were written");
        // one allocation per packet would be at least 16 bytes each; allow the counter's own noise
        assertTrue(allocated < 16 * 1024, () -> allocated + " bytes allocated for 200,000 packets");
    }

    /**
     * The TUN reader's path (issue 14: it fell behind the replica): a batch of what the kernel had
     * queued, taken under one acquisition of the lock, allocates nothing either.
     */
    @Test
    void translatingABatchFromTheTunAllocatesNothing() throws Exception {
        com.sun.management.ThreadMXBean counter = allocationCounter();
        long[] toClientBytes = new long[1];
        TcpSegment syn = recover();
        engine = restoredWithPorts(engine, (packet, offset, length) -> { }, (frame, offset, length) -> toClientBytes[0] += length);
        byte[] request = client(1020, PRIMARY_ISN + 1).payload("c1 r3 cc\n").timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL).build();
        engine.fromClient(request, 0, request.length); // the client's acknowledgement: the replica's data goes straight on
        byte[] answer = replicaPacket(syn, REPLICA_ISN + 1, 1029, 0, "answer\n", REPLICA_TSVAL + 1, (int) CLIENT_TSVAL + 1, 500);
        RepeatingTun tun = new RepeatingTun(answer, 5);
        TunBatch batch = new TunBatch();

        for (int i = 0; i < 4_000; i++) {
            batch.fill(tun);
            engine.fromReplica(batch);
        }
        long threadId = Thread.currentThread().getId();
        long before = counter.getThreadAllocatedBytes(threadId);
        long sentBefore = toClientBytes[0];
        for (int i = 0; i < 20_000; i++) {
            assertEquals(5, batch.fill(tun));
            engine.fromReplica(batch);
        }
        long allocated = counter.getThreadAllocatedBytes(threadId) - before;

        assertEquals(100_000L * (ReplicaToClient.ETHERNET_HEADER + answer.length), toClientBytes[0] - sentBefore,
                "every packet of every batch reached the client");
        assertTrue(allocated < 16 * 1024, () -> allocated + " bytes allocated for 100,000 packets in 20,000 batches");
    }

    /** The replica's segments in one batch reach the client in the order the kernel queued them. */
    @Test
    void aBatchFromTheTunIsTranslatedInItsOrder() throws Exception {
        TcpSegment syn = recover();
        fromClient(client(1018, PRIMARY_ISN + 1).payload("b\n").timestamps(CLIENT_TSVAL + 5, PRIMARY_TSVAL));
        RepeatingTun tun = new RepeatingTun(3,
                replicaPacket(syn, REPLICA_ISN + 1, 1020, TcpHeader.ACK, "one\n", REPLICA_TSVAL + 6, (int) CLIENT_TSVAL + 5, 100),
                replicaPacket(syn, REPLICA_ISN + 5, 1020, TcpHeader.ACK, "two\n", REPLICA_TSVAL + 6, (int) CLIENT_TSVAL + 5, 100),
                replicaPacket(syn, REPLICA_ISN + 9, 1020, TcpHeader.ACK | TcpHeader.PSH, "three\n", REPLICA_TSVAL + 6,
                        (int) CLIENT_TSVAL + 5, 100));
        TunBatch batch = new TunBatch();
        assertEquals(3, batch.fill(tun));
        engine.fromReplica(batch);
        List<String> payloads = new ArrayList<>();
        List<Integer> seqs = new ArrayList<>();
        for (byte[] frame : toClient) {
            TcpSegment down = read(Arrays.copyOfRange(frame, ReplicaToClient.ETHERNET_HEADER, frame.length));
            payloads.add(new String(down.payload(), StandardCharsets.US_ASCII));
            seqs.add(down.seq());
        }
        assertEquals(List.of("one\n", "two\n", "three\n"), payloads);
        assertEquals(List.of(PRIMARY_ISN + 1, PRIMARY_ISN + 5, PRIMARY_ISN + 9), seqs, "the primary's numbers, in the replica's order");
    }

    /** A TUN whose queue holds the given packets over and over, {@code perFill} at a time; copies only into the reader's buffer. */
    private static final class RepeatingTun implements org.migware.proxy.internal.wire.ReadOnlyTun {
        private final byte[][] packets;
        private final int perFill;
        private int next;
        private int taken;

        RepeatingTun(byte[] packet, int perFill) {
            this(perFill, packet);
        }

        RepeatingTun(int perFill, byte[]... packets) {
            this.packets = packets;
            this.perFill = perFill;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            taken = 0;
            return take(buffer, offset);
        }

        @Override
        public int readIfQueued(byte[] buffer, int offset, int length) {
            return taken < perFill ? take(buffer, offset) : 0;
        }

        private int take(byte[] buffer, int offset) {
            byte[] p = packets[next];
            next = (next + 1) % packets.length;
            taken++;
            System.arraycopy(p, 0, buffer, offset, p.length);
            return p.length;
        }
    }

    /** @return the current thread's allocation counter; the test is skipped on a JVM without one */
    private static com.sun.management.ThreadMXBean allocationCounter() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
        org.junit.jupiter.api.Assumptions.assumeTrue(counter.isThreadAllocatedMemorySupported() && counter.isThreadAllocatedMemoryEnabled());
        return counter;
    }

    /** @return the same connections as {@code recovered}'s, in a new engine with other ports (ones that keep nothing) */
    private MigrationEngine restoredWithPorts(MigrationEngine recovered, PacketPort tun, WirePort wire) throws Exception {
        MigrationEngine restored = newEngine(tun, wire);
        restored.restore(new java.io.DataInputStream(new java.io.ByteArrayInputStream(saved(recovered))), summary -> { });
        return restored;
    }

    private void translateBothWays(byte[] request, byte[] answer, int rounds) {
        for (int i = 0; i < rounds; i++) {
            engine.fromClient(request, 0, request.length);
            engine.fromReplica(answer, 0, answer.length);
        }
    }

    // ---- against what the code wrote before the proxy was split into packages ----

    private static byte[] fixture(String name) throws Exception {
        try (java.io.InputStream in = MigrationEngineTest.class.getResourceAsStream("/org/migware/proxy/internal/state/" + name)) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }

    private static String fixtureText(String name) throws Exception {
        return new String(fixture(name), StandardCharsets.UTF_8);
    }

    private static byte[] saved(MigrationEngine e) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            e.save(out);
        }
        return bytes.toByteArray();
    }

    /**
     * A version 3 file of one mapping as version 4 writes it: the version changed, the mapping's
     * half-close fields after it (no FIN owed, both ends 0, as a version 3 mapping has them) and no
     * closed tuple (see {@code MappingsCodecTest}).
     */
    private static byte[] asVersion4(byte[] v3) {
        byte[] v4 = Arrays.copyOf(v3, v3.length + 1 + 4 + 1 + 4 + 4 + 4);
        v4[7] = 4;
        return v4;
    }

    private MigrationEngine restoredFrom(byte[] state) throws Exception {
        MigrationEngine fresh = newEngine();
        finished.set(null);
        try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(state))) {
            assertEquals(1, fresh.restore(in, finished::set));
        }
        return fresh;
    }

    /**
     * A state file written in PROXY by the code before the split (version 3, kept in the test
     * resources): it restores, writes back byte for byte (as version 4), and the restored engine
     * sends the replica the very packet the old one sent.
     */
    @Test
    void aStateSavedInProxyByTheOldCodeRestores() throws Exception {
        byte[] state = fixture("proxy-v3.state");
        engine = restoredFrom(state);
        assertArrayEquals(asVersion4(state), saved(engine), "written back the same, as version 4");
        toReplica.clear();
        fromClient(client(1018, PRIMARY_ISN + 1).payload("b\n").timestamps(CLIENT_TSVAL + 5, PRIMARY_TSVAL));
        assertArrayEquals(fixture("proxy-v3.retransmission-to-replica"), toReplica.get(0));
        assertEquals(fixtureText("proxy-v3.summary"), engine.summary());
        assertEquals(fixtureText("proxy-v3.mappings"), String.join("\n", engine.describeMappings()));
    }

    /** The same for a state written during a handshake, with a client frame waiting for it. */
    @Test
    void aStateSavedDuringAHandshakeByTheOldCodeRestores() throws Exception {
        byte[] state = fixture("proxy-v3-handshaking.state");
        engine = restoredFrom(state);
        assertArrayEquals(asVersion4(state), saved(engine), "written back the same, as version 4");
        assertEquals(fixtureText("proxy-v3-handshaking.summary"), engine.summary());
        assertEquals(fixtureText("proxy-v3-handshaking.mappings"), String.join("\n", engine.describeMappings()));
        toReplica.clear();
        engine.pace();
        TcpSegment again = read(toReplica.get(0));
        assertTrue(again.has(TcpHeader.SYN), "the handshake in flight is sent again");
        toReplica.clear();
        fromReplica(replicaPacket(again, REPLICA_ISN, again.seq() + 1, TcpHeader.SYN | TcpHeader.ACK, "", REPLICA_TSVAL, (int) again.tsval(), 64_240));
        // That frame was written by the test's frame builder of the day, with both checksums 0: they are carried as
        // they are now (issue 10), so it is read without checking them.
        assertEquals("c1 r3\n", new String(readUnchecked(toReplica.get(toReplica.size() - 1)).payload(), StandardCharsets.US_ASCII),
                "the client frame that waited for the handshake reaches the replica last");
    }

    /**
     * Everything the engine writes to the replica and to clients for 60,000 seeded inputs (real,
     * mutated and random frames from both sides, new connections, time passing) hashes to a pinned
     * value: the wire changes only on purpose. Pinned at the proxy's split into rooms (the same
     * bytes as the code before it); the probe for the client's acknowledgement at the handshake,
     * added since, is left out of it (see its own test). Changed on purpose since: mutated frames to
     * another address are no longer taken for the connection's (it is keyed by both addresses),
     * first fragments are dropped instead of passed on in part, and a mutated client frame's wrong
     * checksum is carried to the replica instead of recomputed (issue 10).
     */
    @Test
    void theWireTranscriptIsPinned() throws Exception {
        assertEquals(fixtureText("transcript.sha256"), transcript());
    }

    private String transcript() throws Exception {
        java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
        TcpSegment syn = recover();
        byte[] clientFrame = client(1020, PRIMARY_ISN + 1).payload("c1 r3 cc\n").timestamps(CLIENT_TSVAL + 1, PRIMARY_TSVAL).build();
        byte[] replicaData = replicaPacket(syn, REPLICA_ISN + 1, 1020, 0, "answer\n", REPLICA_TSVAL + 1, (int) CLIENT_TSVAL, 500);
        byte[] arpRequest = java.util.HexFormat.of().parseHex("ffffffffffff020000000001080600010800060400010200000000010a4d0001"
                + "0000000000000a4d0002");
        byte[] newSyn = TcpFrame.fromClient(CLIENT_PORT + 1).seq(ISN).flags(TcpHeader.SYN).synOptions(1460, CLIENT_SHIFT, true)
                .timestamps(CLIENT_TSVAL - 10, 0).build();
        java.util.Random random = new java.util.Random(42);
        int outputs = 0;
        for (int i = 0; i < 60_000; i++) {
            byte[] input = switch (i % 5) {
                case 0 -> mutate(clientFrame, random);
                case 1 -> mutate(replicaData, random);
                case 2 -> mutate(arpRequest, random);
                case 3 -> random.nextInt(50) == 0 ? newSyn : clientFrame;
                default -> randomBytes(random);
            };
            int length = random.nextInt(8) == 0 ? random.nextInt(input.length + 1) : input.length;
            if (i % 5 == 1 || (i % 5 == 4 && random.nextBoolean())) {
                engine.fromReplica(input, 0, length);
            } else {
                engine.fromClient(input, 0, length);
            }
            if ((i & 255) == 0) {
                now += random.nextInt(1 << 28);
                engine.pace();
            }
            for (byte[] packet : toReplica) {
                digest.update((byte) 'R');
                digest.update(packet);
                outputs++;
            }
            for (byte[] frame : toClient) {
                digest.update((byte) 'C');
                digest.update(frame);
                outputs++;
            }
            toReplica.clear();
            toClient.clear();
        }
        return outputs + " " + java.util.HexFormat.of().formatHex(digest.digest()) + "\n"
                + engine.summary().replaceAll("in \\d+ ms", "") + "\n" + String.join("\n", engine.describeMappings());
    }
}
