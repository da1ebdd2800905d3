package org.migware.proxy.internal.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.migware.api.wire.TcpHeader.ACK;
import static org.migware.api.wire.TcpHeader.PSH;
import static org.migware.api.wire.TcpHeader.SYN;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.api.testing.TestNamespace;
import org.migware.api.wire.TcpHeader;

/**
 * The TUN device against the real Linux stack, in a namespace made for each test (see
 * {@link #namespace()}): the oracle is the kernel (it answers a forged SYN, accepts the connection)
 * and the bytes the application really receives and sends.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TunDeviceTest {

    /** TEST-NET-1 (RFC 5737), on the namespace's loopback: it plays the replica's (backup's) address. */
    private static final String REPLICA_ADDRESS = "192.0.2.1";

    private static final long WAIT_SECONDS = 10;
    private static final int SHADOW_PORT = 40000;
    /** Close below 2^32, so the client's data wraps the sequence space. */
    private static final int CLIENT_ISN = 0xffff_fff0;
    /** Close below 2^32 too: the replica must echo it unchanged. */
    private static final int CLIENT_TSVAL = 0xffff_ff00;
    private static final int CLIENT_WINDOW_SHIFT = 7;
    private static final int CLIENT_MSS = 1460;

    @Test
    void forgedHandshakeAndDataBothWaysThroughTheTun() throws Exception {
        assumeTrue(TestNamespace.available(), "needs root and iproute2");
        try (TestNamespace lab = namespace()) {
            int replica = Ipv4Address.parse(REPLICA_ADDRESS);
            ShadowNetwork network = ShadowNetwork.parse(ShadowNetwork.DEFAULT);
            int shadow = network.firstEndpointAddress();
            ServerSocket listener = listen(lab);
            TunDevice tun = lab.inNamespace(() -> TunDevice.open("mig0", network));
            TunReader reader = new TunReader(tun);
            try (listener; tun) {
                assertTrue(lab.ip("addr", "show", "dev", "mig0").contains("198.18.0.1/32"), "the device address");
                assertTrue(lab.ip("route", "show", "dev", "mig0").contains("198.18.0.0/15"), "the shadow route");
                assertTrue(lab.ip("link", "show", "dev", "mig0").contains("UP"), "the device is up");
                // TUNSETOWNER: the device belongs to the user that created it (root here; -1 would mean no owner)
                assertEquals("0", lab.exec("cat", "/sys/class/net/mig0/owner").trim(), "the device's owner");
                assertEquals(Integer.toString(TunDevice.TX_QUEUE_PACKETS), lab.exec("cat", "/sys/class/net/mig0/tx_queue_len").trim(),
                        "the replica's packets queued for the reader (the kernel's default 500 overflowed at failovers)");
                int port = listener.getLocalPort();
                Ipv4TcpWriter writer = new Ipv4TcpWriter();
                byte[] packet = new byte[TunDevice.MAX_PACKET_LENGTH];

                // SYN with the options a Linux client sends, in Linux's order
                int length = writer.begin(packet, 0).source(shadow, SHADOW_PORT).destination(replica, port)
                        .sequence(CLIENT_ISN).flags(SYN).window(64240).mss(CLIENT_MSS).sackPermitted()
                        .timestamps(CLIENT_TSVAL, 0).nop().windowScale(CLIENT_WINDOW_SHIFT).finish();
                tun.write(packet, 0, length);

                TcpSegment synAck = reader.next(s -> s.has(SYN), shadow, port);
                assertTrue(synAck.has(ACK), "SYN-ACK");
                assertEquals(CLIENT_ISN + 1, synAck.ack());
                assertTrue(synAck.mss() > 0, "MSS");
                assertTrue(synAck.sackPermitted(), "SACK permitted");
                assertTrue(synAck.windowScale() >= 0, "window scale");
                assertEquals(CLIENT_TSVAL & 0xffff_ffffL, synAck.tsecr(), "the replica echoes our TSval");
                assertTrue(synAck.ipChecksumValid() && synAck.tcpChecksumValid(), "the kernel's own checksums");
                int replicaNext = synAck.seq() + 1;
                int clientNext = CLIENT_ISN + 1;
                long replicaTsval = synAck.tsval();

                length = writer.begin(packet, 0).source(shadow, SHADOW_PORT).destination(replica, port)
                        .sequence(clientNext).acknowledgement(replicaNext).flags(ACK).window(502).nop().nop()
                        .timestamps(CLIENT_TSVAL + 1, (int) replicaTsval).finish();
                tun.write(packet, 0, length);

                listener.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
                try (Socket application = listener.accept()) {
                    assertEquals(InetAddress.getByAddress(Ipv4Address.bytes(shadow)), application.getInetAddress());
                    assertEquals(SHADOW_PORT, application.getPort());
                    application.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));

                    // client -> application, across the 2^32 wrap of the client's sequence space
                    byte[] request = "hello from a shadow endpoint, across the sequence wrap\n".getBytes(StandardCharsets.US_ASCII);
                    length = writer.begin(packet, 0).source(shadow, SHADOW_PORT).destination(replica, port)
                            .sequence(clientNext).acknowledgement(replicaNext).flags(PSH | ACK).window(502).nop().nop()
                            .timestamps(CLIENT_TSVAL + 2, (int) replicaTsval).payload(request, 0, request.length)
                            .finish();
                    tun.write(packet, 0, length);
                    clientNext += request.length;
                    InputStream in = application.getInputStream();
                    assertArrayEquals(request, in.readNBytes(request.length));
                    TcpSegment ackOfRequest = reader.next(s -> s.ack() == CLIENT_ISN + 1 + request.length, shadow, port);
                    assertEquals(0, ackOfRequest.payload().length, "a pure ACK of the request");

                    // application -> client
                    byte[] reply = "reply from the application\n".getBytes(StandardCharsets.US_ASCII);
                    application.getOutputStream().write(reply);
                    application.getOutputStream().flush();
                    ByteArrayOutputStream received = new ByteArrayOutputStream();
                    while (received.size() < reply.length) {
                        TcpSegment data = reader.next(s -> s.payload().length > 0, shadow, port);
                        assertEquals(replicaNext + received.size(), data.seq(), "in order, no gap");
                        assertTrue(data.tcpChecksumValid(), "a full TCP checksum (no offload on a TUN)");
                        received.write(data.payload());
                    }
                    assertArrayEquals(reply, received.toByteArray());
                    replicaNext += reply.length;
                    length = writer.begin(packet, 0).source(shadow, SHADOW_PORT).destination(replica, port)
                            .sequence(clientNext).acknowledgement(replicaNext).flags(ACK).window(502).nop().nop()
                            .timestamps(CLIENT_TSVAL + 3, (int) replicaTsval).finish();
                    tun.write(packet, 0, length);

                    assertEquals(0, in.available(), "the application received exactly the request");
                }
            }
            assertTrue(reader.endedWithinSeconds(WAIT_SECONDS), "close() wakes the blocked reader, which sees -1");
            assertFalse(lab.ipSucceeds("link", "show", "dev", "mig0"), "the device is gone");
            assertFalse(lab.ip("route", "show").contains("198.18."), "the shadow route is gone");
            assertEquals(0, tun.skippedPackets(), "IPv6 is off on the device: nothing but IPv4 came out");
            assertEquals(0, reader.notTcp, "the warm-up packet is dropped silently: no ICMP answer came back");
        }
    }

    /**
     * The kernel is the oracle: SYNs to a listener from shadow endpoints queue its SYN-ACKs in the
     * device's transmit queue (the stack answers within the write); the reader's look for more
     * finds nothing on an empty device without waiting, and a batch takes the queued answers in
     * far fewer waiting reads than packets, each whole.
     */
    @Test
    void queuedAnswersAreTakenInBatchesWithoutWaiting() throws Exception {
        assumeTrue(TestNamespace.available(), "needs root and iproute2");
        try (TestNamespace lab = namespace(); ServerSocket listener = listen(lab);
                TunDevice tun = lab.inNamespace(() -> TunDevice.open("mig0", ShadowNetwork.parse(ShadowNetwork.DEFAULT)))) {
            int replica = Ipv4Address.parse(REPLICA_ADDRESS);
            int shadow = tun.network().firstEndpointAddress();
            byte[] packet = new byte[TunDevice.MAX_PACKET_LENGTH];
            long started = System.nanoTime();
            assertEquals(0, tun.readIfQueued(packet, 0, packet.length), "nothing queued yet");
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(1), "and no wait for it");

            int answers = 2 * TunBatch.MAX_PACKETS;
            Ipv4TcpWriter writer = new Ipv4TcpWriter();
            for (int i = 0; i < answers; i++) {
                int length = writer.begin(packet, 0).source(shadow, SHADOW_PORT + i).destination(replica, listener.getLocalPort())
                        .sequence(CLIENT_ISN).flags(SYN).window(64240).mss(CLIENT_MSS).finish();
                tun.write(packet, 0, length);
            }
            TunBatch batch = new TunBatch();
            java.util.Set<Integer> answered = new java.util.TreeSet<>();
            int fills = 0;
            while (answered.size() < answers && fills < answers) {
                int count = batch.fill(tun);
                fills++;
                for (int i = 0; i < count; i++) {
                    byte[] one = Arrays.copyOfRange(batch.buffer(), batch.offset(i), batch.offset(i) + batch.length(i));
                    TcpSegment segment = TcpSegment.parse(one, one.length);
                    if (segment != null && segment.has(SYN) && segment.has(ACK) && segment.destination() == shadow) {
                        assertTrue(segment.ipChecksumValid() && segment.tcpChecksumValid(), "whole, as the kernel wrote it");
                        answered.add(segment.destinationPort());
                    }
                }
            }
            assertEquals(answers, answered.size(), "every SYN answered once");
            int waitingReads = fills;
            assertTrue(waitingReads < answers, () -> "waiting reads: " + waitingReads + " for " + answers + " queued answers");
        }
    }

    @Test
    void aSecondDeviceWithTheSameNameIsRefused() throws Exception {
        assumeTrue(TestNamespace.available(), "needs root and iproute2");
        try (TestNamespace lab = namespace()) {
            ShadowNetwork network = ShadowNetwork.parse("198.18.7.0/24");
            try (TunDevice first = lab.inNamespace(() -> TunDevice.open("mig0", network))) {
                TunUnavailableException again = lab.inNamespace(() -> assertThrows(TunUnavailableException.class,
                        () -> TunDevice.open("mig0", ShadowNetwork.parse("198.18.8.0/24"))));
                assertEquals("network interface mig0 already exists: configure another name, or remove the old one "
                        + "(ip link del mig0) if nothing uses it", again.getMessage());
                assertTrue(lab.ip("route", "show").contains("198.18.7.0/24 dev mig0"), "the first device keeps its route");
                assertFalse(lab.ip("route", "show").contains("198.18.8.0"), "the refused one added nothing");
            }
            TunUnavailableException loopback = lab.inNamespace(() -> assertThrows(TunUnavailableException.class,
                    () -> TunDevice.open("lo", network)));
            assertTrue(loopback.getMessage().startsWith("network interface lo already exists"), loopback.getMessage());
            assertFalse(lab.ipSucceeds("link", "show", "dev", "mig0"), "closing the first removed it");
        }
    }

    @Test
    void withoutCapNetAdminTheMessageSaysSo() throws Exception {
        assumeTrue(TestNamespace.available() && Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs root and setpriv");
        try (TestNamespace lab = namespace()) {
            // a root JVM without CAP_NET_ADMIN: dropped from the bounding set, so execve does not grant it
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String output = lab.exec("/usr/bin/setpriv", "--bounding-set", "-net_admin", java,
                    "-cp", System.getProperty("java.class.path"), TunOpenProbe.class.getName(), "mig0");
            assertTrue(output.contains("creating TUN device mig0 needs CAP_NET_ADMIN: run MigWare as root or grant it "
                    + "CAP_NET_ADMIN"), output);
            assertFalse(lab.ipSucceeds("link", "show", "dev", "mig0"));
        }
    }

    @Test
    void aMissingCloneDeviceSaysHowToGetOne() {
        TunUnavailableException missing = assertThrows(TunUnavailableException.class,
                () -> TunDevice.open("/nonexistent/net/tun", "mig0", ShadowNetwork.parse(ShadowNetwork.DEFAULT)));
        assertTrue(missing.getMessage().startsWith("/nonexistent/net/tun is missing: load the tun module (modprobe tun)"),
                missing.getMessage());
        assertEquals(0, missing.getStackTrace().length, "one line for the log, no stack trace");
    }

    @Test
    void unusableNamesAreRefusedBeforeAnythingIsCreated() {
        for (String name : new String[] {"", "mig%d", "a/b", "eth0:1", "sixteen-chars-xx", "with space"}) {
            TunUnavailableException refused = assertThrows(TunUnavailableException.class,
                    () -> TunDevice.open("/nonexistent/net/tun", name, ShadowNetwork.parse(ShadowNetwork.DEFAULT)));
            assertTrue(refused.getMessage().startsWith("not a usable interface name"), refused.getMessage());
        }
    }

    /**
     * A namespace of the test's own, so the TUN device, its route and the test's listener never
     * touch the host's networking; its loopback is up and carries {@link #REPLICA_ADDRESS}.
     */
    /** @return the replica's application: a listener on the replica's address in the namespace */
    private static ServerSocket listen(TestNamespace lab) throws Exception {
        return lab.inNamespace(() -> {
            ServerSocket socket = new ServerSocket();
            socket.bind(new InetSocketAddress(REPLICA_ADDRESS, 0), 2 * TunBatch.MAX_PACKETS);
            return socket;
        });
    }

    private static TestNamespace namespace() throws Exception {
        return TestNamespace.builder("mwproxy").loopback(REPLICA_ADDRESS).create();
    }

    /** Reads the TUN on its own thread until the device is closed; the test takes packets with a timeout. */
    private static final class TunReader {

        private final BlockingQueue<TcpSegment> segments = new LinkedBlockingQueue<>();
        private final Thread thread;
        private volatile boolean sawEnd;
        private volatile int notTcp;

        TunReader(TunDevice tun) {
            thread = new Thread(() -> {
                byte[] buffer = new byte[TunDevice.MAX_PACKET_LENGTH];
                try {
                    int length;
                    while ((length = tun.read(buffer, 0, buffer.length)) >= 0) {
                        TcpSegment segment = TcpSegment.parse(buffer, length);
                        if (segment != null) {
                            segments.add(segment);
                        } else {
                            notTcp++; // only this thread writes it
                        }
                    }
                    sawEnd = true;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, "tun-reader");
            thread.setDaemon(true);
            thread.start();
        }

        /** @return the next segment to the shadow endpoint from the replica port that matches, skipping others */
        TcpSegment next(Predicate<TcpSegment> wanted, int shadow, int replicaPort) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            List<TcpSegment> skipped = new ArrayList<>();
            while (true) {
                TcpSegment segment = segments.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                assertNotNull(segment, "no matching segment on the TUN; skipped " + skipped);
                if (segment.destination() == shadow && segment.destinationPort() == SHADOW_PORT
                        && segment.sourcePort() == replicaPort && wanted.test(segment)) {
                    return segment;
                }
                skipped.add(segment);
            }
        }

        boolean endedWithinSeconds(long seconds) throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(seconds));
            return !thread.isAlive() && sawEnd;
        }
    }
}
