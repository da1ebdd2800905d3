package org.migware.proxy.internal.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.client;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.handshake;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.keeper;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.primary;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.retained;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.see;

import org.junit.jupiter.api.Test;
import org.migware.proxy.internal.keeper.ClientStreamKeeper;
import org.migware.proxy.internal.keeper.RecordFraming;

/** The client streams kept across an update of the proxy bundle in NORMAL. */
class StreamsCodecTest {

    /** What an update of the proxy bundle in NORMAL does to the keeper. */
    private static ClientStreamKeeper saveAndRestore(ClientStreamKeeper keeper, RecordFraming framing) throws java.io.IOException {
        return org.migware.proxy.internal.keeper.ClientStreamKeeperPropertiesTest.saveAndRestore(keeper, framing);
    }

    /**
     * After an update of the proxy bundle in NORMAL, a length-prefixed stream still knows where its
     * record in progress began (without the kept state it could not find its records again).
     */
    @Test
    void theStreamsOutliveARestartOfTheProxyAndRefuseAnotherFraming() throws Exception {
        ClientStreamKeeper before = keeper(RecordFraming.LENGTH_PREFIXED_2, 1 << 20);
        handshake(before);
        see(before, client(1000, 5001).payload(new byte[] {0, 3, 'a', 'b', 'c', 0, 4, 'd'}));
        see(before, primary(5001, 1007));
        ClientStreamKeeper after = saveAndRestore(before, RecordFraming.LENGTH_PREFIXED_2);
        see(after, client(1008, 5001).payload(new byte[] {'e', 'f', 'g', 0, 1}));
        see(after, primary(5001, 1009)); // inside record 2 (1005-1010), which began before the restart
        ClientStreamKeeper.Retained r = retained(after, 1009);
        assertNull(r.headProblem(), "the record that began before the restart is still known");
        assertEquals(1005, r.firstSeq());
        assertArrayEquals(new byte[] {0, 4, 'd', 'e', 'f', 'g', 0, 1}, r.bytes());

        java.io.ByteArrayOutputStream saved = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(saved)) {
            StreamsCodec.write(out, after);
        }
        java.io.IOException otherFraming = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> StreamsCodec.read(new java.io.DataInputStream(new java.io.ByteArrayInputStream(saved.toByteArray())), keeper(RecordFraming.NEWLINE, 1 << 20)));
        assertEquals("kept for framing length-prefixed-2, now newline", otherFraming.getMessage());
        byte[] cut = java.util.Arrays.copyOf(saved.toByteArray(), saved.size() - 3);
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> StreamsCodec.read(new java.io.DataInputStream(new java.io.ByteArrayInputStream(cut)), keeper(RecordFraming.LENGTH_PREFIXED_2, 1 << 20)));
    }

    /** A stream state written by the code before the proxy was split (version 1, in the test resources) restores. */
    @Test
    void aStreamStateSavedByTheOldCodeRestores() throws Exception {
        byte[] state;
        try (java.io.InputStream in = StreamsCodecTest.class.getResourceAsStream("/org/migware/proxy/internal/state/streams-v1.state")) {
            state = in.readAllBytes();
        }
        ClientStreamKeeper after = keeper(RecordFraming.LENGTH_PREFIXED_2, 1 << 20);
        assertEquals(1, StreamsCodec.read(new java.io.DataInputStream(new java.io.ByteArrayInputStream(state)), after));
        java.io.ByteArrayOutputStream again = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(again)) {
            StreamsCodec.write(out, after);
        }
        ClientStreamKeeper twice = keeper(RecordFraming.LENGTH_PREFIXED_2, 1 << 20);
        assertEquals(1, StreamsCodec.read(new java.io.DataInputStream(new java.io.ByteArrayInputStream(again.toByteArray())), twice));
        java.io.ByteArrayOutputStream third = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(third)) {
            StreamsCodec.write(out, twice);
        }
        assertArrayEquals(again.toByteArray(), third.toByteArray(), "written back as version 2, the same each time");
        see(after, client(1008, 5001).payload(new byte[] {'e', 'f', 'g', 0, 1}));
        see(after, primary(5001, 1009));
        ClientStreamKeeper.Retained r = retained(after, 1009);
        assertNull(r.headProblem(), "the record that began before the restart is still known");
        assertEquals(1005, r.firstSeq());
        assertArrayEquals(new byte[] {0, 4, 'd', 'e', 'f', 'g', 0, 1}, r.bytes());
    }
}
