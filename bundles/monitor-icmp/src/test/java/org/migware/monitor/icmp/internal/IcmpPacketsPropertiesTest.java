package org.migware.monitor.icmp.internal;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Whatever arrives on the raw socket, matching answers or says "not ours"; it never throws. */
class IcmpPacketsPropertiesTest {

    @Property
    void everyTruncationOfAnUnreachableIsAnswerOrNothing(@ForAll @IntRange(max = 56) int length,
                                                         @ForAll @IntRange(max = 55) int corrupted, @ForAll byte value) {
        byte[] quoted = IcmpPacketsTest.ipv4(IcmpPacketsTest.BACKUP, IcmpPacketsTest.PRIMARY, IcmpPacketsTest.echo(8, 0x1234, 7));
        byte[] error = new byte[8 + 28];
        error[0] = 3;
        System.arraycopy(quoted, 0, error, 8, 28);
        byte[] packet = IcmpPacketsTest.ipv4(IcmpPacketsTest.ROUTER, IcmpPacketsTest.BACKUP, error);
        packet[corrupted] = value;
        IcmpPackets.match(packet, length, false, null, IcmpPacketsTest.PRIMARY, 0x1234, 7);
    }

    @Property
    void anyBytesAreAnswerOrNothingNeverAnException(@ForAll @Size(max = 200) byte[] bytes,
                                                    @ForAll @IntRange(max = 200) int length,
                                                    @ForAll boolean ipv6) {
        int usable = Math.min(length, bytes.length);
        IcmpPackets.match(bytes, usable, ipv6, new byte[16], ipv6 ? new byte[16] : IcmpPacketsTest.PRIMARY, 0, 0);
    }
}
