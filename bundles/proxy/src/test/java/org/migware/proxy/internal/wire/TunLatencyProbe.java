package org.migware.proxy.internal.wire;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.migware.api.wire.TcpHeader;

/**
 * Not a test: measures the TUN's costs on this machine (CONVENTIONS.md 14: benchmarks are not
 * tests). Run as root inside a namespace whose loopback carries 192.0.2.1, e.g.
 * {@code ip netns exec <ns> java -cp <test classpath> org.migware.proxy.internal.TunLatencyProbe}.
 * Prints the open time, the first write after open, write cost, and the round trip of an ACK to a
 * closed port (written to the TUN) and the RST the stack answers (read from the TUN).
 */
public final class TunLatencyProbe {

    private static final int ROUNDS = 20_000;

    private TunLatencyProbe() {
    }

    public static void main(String[] args) throws Exception {
        int replica = Ipv4Address.parse("192.0.2.1");
        long openStarted = System.nanoTime();
        try (TunDevice tun = TunDevice.open("mig0", ShadowNetwork.parse(ShadowNetwork.DEFAULT))) {
            long openNanos = System.nanoTime() - openStarted;
            int shadow = tun.network().firstEndpointAddress();
            Ipv4TcpWriter writer = new Ipv4TcpWriter();
            byte[] packet = new byte[1500];
            byte[] in = new byte[1500];
            // an ACK to a port nobody listens on: the stack answers with a RST to the shadow endpoint
            int length = writer.begin(packet, 0).source(shadow, 40000).destination(replica, 9).sequence(1)
                    .acknowledgement(1).flags(TcpHeader.ACK).window(1000).finish();
            long firstStarted = System.nanoTime();
            tun.write(packet, 0, length);
            long firstWrite = System.nanoTime() - firstStarted;
            tun.read(in, 0, in.length);

            long[] writes = new long[ROUNDS];
            long[] roundTrips = new long[ROUNDS];
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < ROUNDS; i++) {
                long started = System.nanoTime();
                tun.write(packet, 0, length);
                long written = System.nanoTime();
                tun.read(in, 0, in.length);
                long read = System.nanoTime();
                writes[i] = written - started;
                roundTrips[i] = read - started;
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
            System.out.printf("open (ip commands + warm-up): %.1f ms%n", openNanos / 1e6);
            System.out.printf("first write after open: %.1f µs%n", firstWrite / 1e3);
            print("write", writes);
            print("write ACK -> read RST", roundTrips);
            System.out.printf("allocated on the packet path: %d bytes for %d writes and reads%n", allocated, ROUNDS);
        }
    }

    private static void print(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("%s over %d: p50 %.1f µs, p99 %.1f µs, max %.1f µs%n", what, sorted.length,
                sorted[sorted.length / 2] / 1e3, sorted[sorted.length * 99 / 100] / 1e3, sorted[sorted.length - 1] / 1e3);
    }
}
