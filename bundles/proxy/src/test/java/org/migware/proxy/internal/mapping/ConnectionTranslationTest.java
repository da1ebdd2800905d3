package org.migware.proxy.internal.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.migware.proxy.internal.wire.Ipv4Address;

/** The translation arithmetic with concrete numbers, each worked out by hand in its comment. */
class ConnectionTranslationTest {

    private static final int CLIENT = Ipv4Address.parse("10.0.0.10");
    private static final int SERVICE = Ipv4Address.parse("10.0.0.1");
    private static final int SHADOW = Ipv4Address.parse("198.18.0.2");
    private static final int REPLICA = Ipv4Address.parse("10.0.0.2");

    /** As MigWare forges: SYN seq = c_resume - 1, so d1 = 0. */
    private static ConnectionTranslation forged(int clientResume, int replicaIsn, int clientAck) {
        return ConnectionTranslation.builder().client(CLIENT, 51000).service(SERVICE, 7000).shadow(SHADOW, 40000)
                .replica(REPLICA, 7000).clientSequence(clientResume - 1, clientResume)
                .serverSequence(replicaIsn, clientAck).build();
    }

    @Test
    void serverSequenceNumbersMoveByD2() {
        // c_ack = 1000 (the client expects server byte 1000), replica ISN 5000: its first byte is 5001
        ConnectionTranslation t = forged(777, 5000, 1000);
        assertEquals(4001, t.d2()); // (5000 + 1) - 1000
        assertEquals(1000, t.replicaToClientSeq(5001)); // the replica's first byte is the one the client expects
        assertEquals(1100, t.replicaToClientSeq(5101));
        assertEquals(5101, t.clientToReplicaAck(1100)); // the client acks 100 bytes; the replica hears its own numbers
    }

    @Test
    void serverSequenceNumbersWrapAround() {
        // c_ack = 0xfffffff0, replica ISN 0x10: d2 = 0x11 - 0xfffffff0 = 0x21 (mod 2^32)
        ConnectionTranslation t = forged(1, 0x10, 0xffff_fff0);
        assertEquals(0x21, t.d2());
        assertEquals(0xffff_fff0, t.replicaToClientSeq(0x11));
        assertEquals(0x0000_0004, t.replicaToClientSeq(0x25)); // 20 bytes on: past 2^32 on the client's side
        assertEquals(0x25, t.clientToReplicaAck(0x0000_0004));
        // and the other way round: the replica's numbers wrap, the client's do not
        ConnectionTranslation u = forged(1, 0xffff_ffff, 0x1000);
        assertEquals(0x1000, u.replicaToClientSeq(0)); // ISN 0xffffffff: the first byte is seq 0
        assertEquals(0, u.clientToReplicaAck(0x1000));
    }

    @Test
    void clientSequenceNumbersPassUnchangedAsMigWareForges() {
        ConnectionTranslation t = forged(0x8000_0000, 5000, 1000);
        assertEquals(0, t.d1());
        assertEquals(0x8000_0000, t.clientToReplicaSeq(0x8000_0000));
        assertEquals(0x8000_0123, t.replicaToClientAck(0x8000_0123));
    }

    @Test
    void sackBlocksMoveWithTheSequenceSpaceTheyDescribe() {
        ConnectionTranslation t = forged(2_000_000, 5000, 1000); // d1 = 0, d2 = 4001
        // the client received server bytes [1200, 1300) out of order: in the replica's numbers [5201, 5301)
        assertEquals(5201, t.clientToReplicaSackEdge(1200));
        assertEquals(5301, t.clientToReplicaSackEdge(1300));
        // the replica received client bytes [2_000_500, 2_000_600): client numbers, which are not shifted
        assertEquals(2_000_500, t.replicaToClientSackEdge(2_000_500));
        assertEquals(2_000_600, t.replicaToClientSackEdge(2_000_600));
    }

    @Test
    void aNonZeroD1ShiftsEveryClientSpaceField() {
        // a SYN forged 10 below c_resume - 1 (not what MigWare does): d1 = (990 + 1) - 1001 = -10
        ConnectionTranslation t = ConnectionTranslation.builder().clientSequence(990, 1001).serverSequence(0, 0).build();
        assertEquals(-10, t.d1());
        assertEquals(991, t.clientToReplicaSeq(1001));
        assertEquals(1001, t.replicaToClientAck(991));
        assertEquals(1001, t.replicaToClientSackEdge(991));
    }

    @Test
    void timestampsContinueThePrimarysClock() {
        // the primary's last TSval 3_000_000, the replica's SYN-ACK TSval 500: offset 2_999_500
        int offset = ConnectionTranslation.timestampOffset(3_000_000, 500);
        assertEquals(2_999_500, offset);
        ConnectionTranslation t = ConnectionTranslation.builder().timestampOffset(offset).build();
        assertEquals(3_000_000, t.replicaToClientTsval(500));
        assertEquals(3_000_042, t.replicaToClientTsval(542)); // 42 ms later on both clocks
        assertEquals(542, t.clientToReplicaTsecr(3_000_042)); // the echo goes back to the replica's clock
        // wrap: primary at 0x00000010, replica at 0xfffffff0: offset 0x20
        ConnectionTranslation w = ConnectionTranslation.builder()
                .timestampOffset(ConnectionTranslation.timestampOffset(0x10, 0xffff_fff0)).build();
        assertEquals(0x20, w.tsOffset());
        assertEquals(0x10, w.replicaToClientTsval(0xffff_fff0));
        assertEquals(0xffff_fff0, w.clientToReplicaTsecr(0x10));
    }

    @Test
    void windowsAreRescaledFromTheReplicasShiftToThePrimarys() {
        // replica shift 9, primary shift 7: 1000 * 512 bytes = 512000 bytes = 4000 * 128
        assertEquals(4000, shifts(7, 9).replicaToClientWindow(1000));
        // replica shift 7, primary shift 9: 1001 * 128 = 128128 bytes; 128128 / 512 = 250.25, rounded down to 250
        assertEquals(250, shifts(9, 7).replicaToClientWindow(1001));
        // the same shifts: unchanged
        assertEquals(1001, shifts(7, 7).replicaToClientWindow(1001));
        // replica shift 14, primary 0: 65535 << 14 bytes do not fit 16 bits: clamped to 65535
        assertEquals(65535, shifts(0, 14).replicaToClientWindow(65535));
        // 3 bytes announced with shift 1 would mean 2 or 4 bytes: 2, never more than the replica has
        assertEquals(1, shifts(1, 0).replicaToClientWindow(3));
        // a window smaller than one unit of the primary's scale rounds down to 0 (the client probes)
        assertEquals(0, shifts(14, 0).replicaToClientWindow(16383));
        // only the 16-bit field counts
        assertEquals(0xffff, shifts(0, 0).replicaToClientWindow(0x1_ffff));
    }

    @Test
    void invalidValuesAreRefusedAtBuildTime() {
        assertThrows(IllegalArgumentException.class, () -> ConnectionTranslation.builder().windowShifts(15, 0));
        assertThrows(IllegalArgumentException.class, () -> ConnectionTranslation.builder().windowShifts(0, -1));
        assertThrows(IllegalArgumentException.class, () -> ConnectionTranslation.builder().client(CLIENT, 65536));
    }

    @Test
    void endpointsAndConstantsAreReported() {
        ConnectionTranslation t = forged(100, 5000, 1000);
        assertEquals(CLIENT, t.clientAddress());
        assertEquals(51000, t.clientPort());
        assertEquals(SERVICE, t.serviceAddress());
        assertEquals(7000, t.servicePort());
        assertEquals(SHADOW, t.shadowAddress());
        assertEquals(40000, t.shadowPort());
        assertEquals(REPLICA, t.replicaAddress());
        assertEquals(7000, t.replicaPort());
        assertTrue(t.toString().contains("10.0.0.10:51000 -> 10.0.0.1:7000 as 198.18.0.2:40000 -> 10.0.0.2:7000"),
                t.toString());
    }

    private static ConnectionTranslation shifts(int primary, int replica) {
        return ConnectionTranslation.builder().windowShifts(primary, replica).build();
    }
}
