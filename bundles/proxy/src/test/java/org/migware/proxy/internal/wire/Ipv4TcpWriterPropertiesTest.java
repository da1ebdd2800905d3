package org.migware.proxy.internal.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Any header values and payload: the checksums are right and every field reads back. */
class Ipv4TcpWriterPropertiesTest {

    @Property
    void everyPacketCarriesValidChecksums(@ForAll int source, @ForAll int destination,
            @ForAll @IntRange(max = 65535) int sourcePort, @ForAll @IntRange(max = 65535) int destinationPort,
            @ForAll int seq, @ForAll int ack, @ForAll @IntRange(max = 255) int flags,
            @ForAll @IntRange(max = 65535) int window, @ForAll @Size(max = 1400) byte[] payload,
            @ForAll boolean withTimestamps) {
        byte[] packet = new byte[1500];
        Ipv4TcpWriter writer = new Ipv4TcpWriter().begin(packet, 0).source(source, sourcePort)
                .destination(destination, destinationPort).sequence(seq).acknowledgement(ack).flags(flags).window(window);
        if (withTimestamps) {
            writer.nop().nop().timestamps(seq ^ ack, ack);
        }
        int length = writer.payload(payload, 0, payload.length).finish();
        TcpSegment segment = TcpSegment.parse(packet, length);
        assertTrue(segment.ipChecksumValid(), "IPv4 header checksum");
        assertTrue(segment.tcpChecksumValid(), "TCP checksum");
        assertEquals(source, segment.source());
        assertEquals(destinationPort, segment.destinationPort());
        assertEquals(seq, segment.seq());
        assertEquals(ack, segment.ack());
        assertEquals(window, segment.window());
        assertArrayEquals(payload, segment.payload());
    }
}
