package org.migware.proxy.internal.keeper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.migware.testing.TcpFrame;
import org.migware.proxy.internal.state.StreamsCodec;
import org.migware.proxy.internal.wire.Ipv4TcpWriter;
import org.migware.api.wire.TcpHeader;

/**
 * For any stream of records, cut into any segments (some sent twice, as retransmissions), and
 * any progress of the primary's acknowledgements, what the keeper hands over is exactly the
 * client's stream from the last record start at or before the resume point to the last byte
 * sent — also across sequence-number wrap-around.
 */
public class ClientStreamKeeperPropertiesTest {

    /**
     * ... also when the proxy bundle is updated at any point before failover ({@code restarted}):
     * the keeper then saves its streams and a fresh one restores them, and nothing is lost.
     */
    @Property(tries = 300)
    void theHandOverIsTheStreamFromTheRecordStartOn(@ForAll long seed, @ForAll("framings") RecordFraming framing,
            @ForAll @IntRange(min = 1, max = 40) int records, @ForAll int isn, @ForAll boolean restarted) throws Exception {
        Random random = new Random(seed);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        List<Integer> recordStarts = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            recordStarts.add(stream.size());
            int body = random.nextInt(framing == RecordFraming.LENGTH_PREFIXED_2 ? 300 : 3000);
            switch (framing) {
                case NEWLINE -> {
                    for (int b = 0; b < body; b++) {
                        stream.write('a' + random.nextInt(26));
                    }
                    stream.write('\n');
                }
                case LENGTH_PREFIXED_2 -> {
                    stream.write(body >>> 8);
                    stream.write(body);
                    stream.write(new byte[body], 0, body);
                }
                case LENGTH_PREFIXED_4, NONE -> {
                    stream.write(0);
                    stream.write(body >>> 16);
                    stream.write(body >>> 8);
                    stream.write(body);
                    byte[] bytes = new byte[body];
                    random.nextBytes(bytes);
                    stream.write(bytes, 0, body);
                }
                default -> throw new IllegalStateException();
            }
        }
        byte[] all = stream.toByteArray();

        ClientStreamKeeper keeper = ClientStreamKeeperTest.keeper(framing, 1 << 20);
        see(keeper, TcpFrame.fromClient(TcpFrame.CLIENT_PORT).seq(isn).flags(TcpHeader.SYN));
        int first = isn + 1;
        int sent = 0;
        int acked = 0;
        int restartAt = restarted ? random.nextInt(all.length) : -1;
        while (sent < all.length) {
            if (restartAt >= 0 && sent >= restartAt) {
                keeper = saveAndRestore(keeper, framing);
                restartAt = -1;
            }
            int length = 1 + random.nextInt(Math.min(1460, all.length - sent));
            see(keeper, ClientStreamKeeperTest.client(first + sent, 1).payload(Arrays.copyOfRange(all, sent, sent + length)));
            if (random.nextInt(4) == 0) {
                // a retransmission of something already sent (partly overlapping what follows, never beyond)
                int from = random.nextInt(sent + length);
                int to = from + random.nextInt(sent + length - from + 1);
                see(keeper, ClientStreamKeeperTest.client(first + from, 1).payload(Arrays.copyOfRange(all, from, to)));
            }
            sent += length;
            if (random.nextBoolean()) {
                acked += random.nextInt(sent - acked + 1);
                see(keeper, ClientStreamKeeperTest.primary(1, first + acked));
            }
        }
        int resume = acked;
        int expectedStart = resume;
        if (framing != RecordFraming.NONE) {
            for (int start : recordStarts) {
                if (start <= resume) {
                    expectedStart = start;
                }
            }
            if (resume == all.length) {
                expectedStart = all.length; // the stream ended on a record boundary
            }
        }
        ClientStreamKeeper.Retained r = keeper.retained(TcpFrame.CLIENT_IP, TcpFrame.CLIENT_PORT, TcpFrame.SERVER_IP, TcpFrame.SERVICE_PORT, first + resume);
        assertNull(r.headProblem());
        assertEquals(first + expectedStart, r.firstSeq(), "starts at the record in progress");
        assertArrayEquals(Arrays.copyOfRange(all, expectedStart, all.length), r.bytes());
        assertEquals(0, keeper.gaps());
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<RecordFraming> framings() {
        return net.jqwik.api.Arbitraries.of(RecordFraming.values());
    }

    private static void see(ClientStreamKeeper keeper, TcpFrame segment) {
        byte[] frame = segment.build();
        keeper.observe(frame, 0, frame.length);
    }

    /** What an update of the proxy bundle in NORMAL does to the keeper. */
    public static ClientStreamKeeper saveAndRestore(ClientStreamKeeper keeper, RecordFraming framing) throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            StreamsCodec.write(out, keeper);
        }
        ClientStreamKeeper fresh = ClientStreamKeeperTest.keeper(framing, 1 << 20);
        assertEquals(keeper.connections(), StreamsCodec.read(new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())), fresh));
        return fresh;
    }
}
