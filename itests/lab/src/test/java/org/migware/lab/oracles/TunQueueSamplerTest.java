package org.migware.lab.oracles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class TunQueueSamplerTest {

    /** iproute2 6.x's {@code ip -s link show mig0}: the TX line's packets and dropped, not the RX line's. */
    @Test
    void theTransmitCountsAreReadFromIpsOutput() {
        String output = """
                23: mig0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UNKNOWN mode DEFAULT group default qlen 10000
                    link/none\s
                    RX:  bytes packets errors dropped  missed   mcast          \s
                       4512640   70510      0       7       0       0\s
                    TX:  bytes packets errors dropped carrier collsns          \s
                       6012838   93943      0    5466       0       0\s
                """;
        TunQueueSampler.Sample s = TunQueueSampler.parse(42, output);
        assertEquals(42, s.epochMillis());
        assertEquals(93943, s.txPackets());
        assertEquals(5466, s.txDropped());
    }

    @Test
    void noDeviceNoSample() {
        assertNull(TunQueueSampler.parse(0, "Device \"mig0\" does not exist.\n"));
    }
}
