package org.migware.capture.ring.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.testing.FakeBundleContext;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.packet.CaptureStatistics;
import org.migware.api.packet.PacketListener;
import org.migware.api.packet.PacketSender;
import org.migware.api.packet.PacketSource;
import org.migware.api.packet.PacketSubscription;
import org.migware.api.testing.TestNamespace;
import org.migware.capture.pcap4j.internal.Pcap4jPacketSender;
import org.migware.capture.pcap4j.internal.Pcap4jPacketSource;
import org.migware.capture.shared.internal.BpfFilter;
import org.migware.capture.shared.internal.CaptureException;
import org.migware.capture.shared.internal.CaptureSettings;
import org.migware.capture.shared.internal.DropReasons;
import org.migware.capture.shared.internal.InvalidConfigurationException;
import org.migware.testing.Configs;
import org.migware.testing.FrameBuilder;

/**
 * Real capture and injection on a veth pair into a namespace of the test's own (needs root, as CI
 * has). The other backend is the oracle's instrument: what the ring captures was sent by libpcap
 * (pcap4j's sender), and what the ring sends is captured by libpcap; the bad frames go to both
 * backends at once, and what each delivers and counts is compared with what was sent and with the
 * other. The marker frame, sent last, says that everything before it has been delivered (one
 * sender, one wire, capture order).
 */
@Timeout(120)
class RingLiveCaptureTest {

    private static final String SERVICE = "10.77.0.2";
    private static final String CLIENT = "10.77.0.10";
    private static final String OTHER_HOST = "10.77.0.99";
    private static final int PORT = 7000;
    private static final int MARKER_PORT = 65000;
    private static final RingGeometry SMALL_RING = new RingGeometry(256 * 1024, 16, 1);

    @BeforeAll
    static void needsRoot() {
        assumeTrue(TestNamespace.available(), "live capture needs root and iproute2");
    }

    @Test
    void capturesTheServicesTcpAndArpPromiscuouslyAndNothingElse() throws Exception {
        try (TestNamespace lab = veth()) {
            long before = System.currentTimeMillis() * 1_000_000L;
            try (RingPacketSource source = RingPacketSource.open(settings(lab.rootEnd(), 65535), SMALL_RING)) {
                source.start();
                Recorder all = new Recorder();
                Recorder second = new Recorder();
                PacketSubscription first = source.subscribe(all);
                source.subscribe(second);
                source.subscribe((frame, offset, length, ts) -> {
                    throw new IllegalStateException("a broken listener must not stop the capture");
                });

                lab.inNamespace(() -> {
                    try (Pcap4jPacketSender wire = Pcap4jPacketSender.open(lab.namespaceEnd())) {
                        for (int i = 0; i < 40; i++) { // client -> service: captured
                            send(wire, tcp(CLIENT, SERVICE, 40000 + i, PORT, 7));
                        }
                        for (int i = 0; i < 10; i++) { // service -> client: captured
                            send(wire, tcp(SERVICE, CLIENT, PORT, 40000 + i, 7));
                        }
                        for (int i = 0; i < 15; i++) { // another port of the service: not ours
                            send(wire, tcp(CLIENT, SERVICE, 41000 + i, 8000, 7));
                        }
                        for (int i = 0; i < 15; i++) { // the port on another host: not ours
                            send(wire, tcp(CLIENT, OTHER_HOST, 42000 + i, PORT, 7));
                        }
                        for (int i = 0; i < 5; i++) { // who has the service address: captured
                            send(wire, arpRequest(SERVICE));
                        }
                        for (int i = 0; i < 5; i++) { // who has someone else: not ours
                            send(wire, arpRequest(OTHER_HOST));
                        }
                        send(wire, marker());
                        assertEquals(91, wire.sent());
                    }
                    return null;
                });

                assertTrue(all.marker.await(30, TimeUnit.SECONDS), "the marker frame arrived");
                assertTrue(second.marker.await(30, TimeUnit.SECONDS));
                long after = System.currentTimeMillis() * 1_000_000L;

                assertEquals(56, all.frames.size(), "40 + 10 TCP, 5 ARP, 1 marker");
                assertEquals(40, all.count(f -> etherType(f) == 0x0800 && port(f, 36) == PORT && port(f, 34) != MARKER_PORT));
                assertEquals(10, all.count(f -> etherType(f) == 0x0800 && port(f, 34) == PORT));
                assertEquals(5, all.count(f -> etherType(f) == 0x0806));
                assertEquals(all.frames.size(), second.frames.size(), "every subscriber gets every frame");
                for (long timestamp : all.timestamps) {
                    assertTrue(timestamp >= before - 1_000_000_000L && timestamp <= after + 1_000_000_000L,
                            "a capture time from now, in nanoseconds: " + timestamp);
                }
                assertTrue(all.timestamps.stream().anyMatch(t -> t % 1000 != 0), "nanosecond precision");

                CaptureStatistics statistics = source.statistics();
                assertEquals(56, statistics.received());
                assertEquals(Map.of(DropReasons.LISTENER_FAILED, 56L), statistics.droppedByUs());
                assertEquals(0, statistics.droppedByKernel());
                assertTrue(statistics.running());

                first.close();
                first.close(); // twice is harmless
                assertEquals(2, source.subscriberCount());
            }
        }
    }

    @Test
    void theSenderPutsFramesOnTheWireThroughTheCapturesOwnSocket() throws Exception {
        try (TestNamespace lab = veth()) {
            // libpcap captures at the namespace's end what the ring's socket sends from the root end
            CaptureSettings theirs = new CaptureSettings(lab.namespaceEnd(), 65535, 4 << 20,
                    CaptureSettings.Direction.IN, BpfFilter.build(List.of(SERVICE), List.of(PORT), ""),
                    List.of(SERVICE), List.of(PORT));
            try (Pcap4jPacketSource libpcap = lab.inNamespace(() -> Pcap4jPacketSource.open(theirs));
                 RingPacketSource ring = RingPacketSource.open(settings(lab.rootEnd(), 65535), SMALL_RING)) {
                libpcap.start();
                ring.start();
                Recorder atTheOtherEnd = new Recorder();
                Recorder capturedBack = new Recorder();
                libpcap.subscribe(atTheOtherEnd);
                ring.subscribe(capturedBack);
                RingPacketSender sender = ring.sender();
                byte[] big = tcp(CLIENT, SERVICE, 40000, PORT, 1400);
                for (int i = 0; i < 20; i++) {
                    sender.send(big, 0, big.length);
                }
                byte[] marker = marker();
                byte[] framed = new byte[marker.length + 20];
                System.arraycopy(marker, 0, framed, 7, marker.length);
                sender.send(framed, 7, marker.length);
                assertTrue(atTheOtherEnd.marker.await(30, TimeUnit.SECONDS));
                assertEquals(21, atTheOtherEnd.frames.size());
                assertArrayEquals(big, atTheOtherEnd.frames.get(0), "sent byte for byte");
                assertArrayEquals(marker, atTheOtherEnd.frames.get(20), "sent from an offset");
                assertEquals(21, sender.sent());
                // direction IN: the socket ignores what this host sends, its own frames included
                Thread.sleep(200);
                assertEquals(0, capturedBack.frames.size());
                assertEquals(0, ring.statistics().received());

                byte[] tooLong = tcp(CLIENT, SERVICE, 40000, PORT, 3000); // over the MTU of 1500
                IOException refused = assertThrows(IOException.class, () -> sender.send(tooLong, 0, tooLong.length));
                assertTrue(refused.getMessage().contains("refused"), refused.getMessage());
                assertEquals(1, sender.failed());
            }
        }
    }

    /**
     * Frames cut by the snapshot length, frames with an 802.1Q tag (which the kernel takes off
     * into the packet's metadata before any packet socket sees it), and jumbo frames, through both
     * backends at once: what each hands over must be the frame as sent, byte for byte, and what
     * each counts must be the same.
     */
    @Test
    void badFramesAreDeliveredAndCountedAsPcap4jDoes() throws Exception {
        try (TestNamespace lab = veth()) {
            // jumbo frames need a larger MTU on both ends; a packet socket refuses more than the MTU
            run("ip", "link", "set", "dev", lab.rootEnd(), "mtu", "9000");
            lab.ip("link", "set", "dev", lab.namespaceEnd(), "mtu", "9000");
            int shortSnap = 600;
            List<byte[]> sent = new ArrayList<>();
            try (RingPacketSource ringShort = RingPacketSource.open(settings(lab.rootEnd(), shortSnap), SMALL_RING);
                 RingPacketSource ringLong = RingPacketSource.open(settings(lab.rootEnd(), 65535), SMALL_RING);
                 Pcap4jPacketSource pcapShort = Pcap4jPacketSource.open(settings(lab.rootEnd(), shortSnap));
                 Pcap4jPacketSource pcapLong = Pcap4jPacketSource.open(settings(lab.rootEnd(), 65535))) {
                Recorder[] recorders = new Recorder[4];
                PacketSource[] sources = {ringShort, ringLong, pcapShort, pcapLong};
                for (int i = 0; i < 4; i++) {
                    recorders[i] = new Recorder();
                    sources[i].subscribe(recorders[i]);
                }
                ringShort.start();
                ringLong.start();
                pcapShort.start();
                pcapLong.start();

                for (int i = 0; i < 5; i++) {
                    sent.add(tcp(CLIENT, SERVICE, 40000 + i, PORT, 1400)); // longer than 600
                    sent.add(vlan(tcp(CLIENT, SERVICE, 41000 + i, PORT, 100), 0x8100, 0x2000 | (100 + i))); // tagged, short
                    sent.add(vlan(tcp(CLIENT, SERVICE, 42000 + i, PORT, 1400), 0x8100, 101)); // tagged and long
                    sent.add(tcp(CLIENT, SERVICE, 43000 + i, PORT, 8900)); // jumbo
                }
                sent.add(marker());
                lab.inNamespace(() -> {
                    try (Pcap4jPacketSender wire = Pcap4jPacketSender.open(lab.namespaceEnd())) {
                        for (byte[] frame : sent) {
                            send(wire, frame);
                        }
                    }
                    return null;
                });
                for (Recorder recorder : recorders) {
                    assertTrue(recorder.marker.await(30, TimeUnit.SECONDS), "the marker arrived");
                }

                // the whole frames: every frame as sent, in order, from both backends
                for (int i : new int[] {1, 3}) {
                    assertEquals(sent.size(), recorders[i].frames.size(), sources[i].name());
                    for (int f = 0; f < sent.size(); f++) {
                        assertArrayEquals(sent.get(f), recorders[i].frames.get(f), sources[i].name() + ", frame " + f);
                    }
                    assertEquals(Map.of(), sources[i].statistics().droppedByUs(), sources[i].name());
                }
                // the short snapshot: the tagged short frames whole, the rest counted, not delivered
                List<byte[]> fitting = sent.stream().filter(f -> f.length <= shortSnap).toList();
                assertEquals(6, fitting.size(), "5 tagged short frames and the marker");
                for (int i : new int[] {0, 2}) {
                    assertEquals(fitting.size(), recorders[i].frames.size(), sources[i].name());
                    for (int f = 0; f < fitting.size(); f++) {
                        assertArrayEquals(fitting.get(f), recorders[i].frames.get(f), sources[i].name() + ", frame " + f);
                    }
                    CaptureStatistics statistics = sources[i].statistics();
                    assertEquals(Map.of(DropReasons.LONGER_THAN_SNAPLEN, 15L), statistics.droppedByUs(), sources[i].name());
                    assertEquals(sent.size(), statistics.received(), sources[i].name());
                }
                assertEquals(pcapShort.statistics().droppedByUs(), ringShort.statistics().droppedByUs());
                assertEquals(0, ringShort.statistics().droppedByKernel());
                assertEquals(0, ringLong.statistics().droppedByKernel());
            }
        }
    }

    /**
     * The ring's promise of no allocation per frame, on the capture thread, checked by the JVM's
     * own per-thread allocation counter (as the parser's allocation test does): bytes, not time.
     * The frames are sent through the ring's own sender from the namespace, whose sending thread
     * is checked the same way.
     */
    @Test
    void theCaptureThreadAndTheSenderAllocateNothingPerFrame() throws Exception {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        assumeTrue(threads instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
        assumeTrue(counter.isThreadAllocatedMemorySupported() && counter.isThreadAllocatedMemoryEnabled());
        int frames = 20_000;
        try (TestNamespace lab = veth()) {
            CaptureSettings quiet = new CaptureSettings(lab.namespaceEnd(), 256, 1 << 20, CaptureSettings.Direction.IN,
                    "less 1", List.of(SERVICE), List.of(PORT));
            try (RingPacketSource ring = RingPacketSource.open(settings(lab.rootEnd(), 65535), SMALL_RING);
                 RingPacketSource wire = lab.inNamespace(() -> RingPacketSource.open(quiet, SMALL_RING))) {
                java.util.concurrent.atomic.AtomicLong delivered = new java.util.concurrent.atomic.AtomicLong();
                java.util.concurrent.atomic.AtomicLong captureThread = new java.util.concurrent.atomic.AtomicLong(-1);
                java.util.concurrent.Semaphore markers = new java.util.concurrent.Semaphore(0);
                ring.subscribe((frame, offset, length, ts) -> {
                    captureThread.setRelease(Thread.currentThread().getId());
                    delivered.setRelease(delivered.getPlain() + 1);
                    if (port(frame, offset + 34) == MARKER_PORT) {
                        markers.release();
                    }
                });
                ring.start();
                byte[][] corpus = {tcp(CLIENT, SERVICE, 40000, PORT, 7), tcp(SERVICE, CLIENT, PORT, 40000, 1400),
                        vlan(tcp(CLIENT, SERVICE, 40001, PORT, 100), 0x8100, 7)};
                byte[] marker = marker();
                long[] sendingAllocation = new long[1];
                java.util.concurrent.Callable<Void> burst = () -> {
                    long before = counter.getThreadAllocatedBytes(Thread.currentThread().getId());
                    for (int i = 0; i < frames; i++) {
                        byte[] frame = corpus[i % corpus.length];
                        wire.sender().send(frame, 0, frame.length);
                        if (i % 64 == 63) {
                            Thread.sleep(0, 200_000); // paced a little: the ring must not fill, drops are not the point
                        }
                    }
                    sendingAllocation[0] = counter.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
                    wire.sender().send(marker, 0, marker.length);
                    return null;
                };
                lab.inNamespace(burst); // warm-up: JIT, the sender's native buffer, the capture thread's first frames
                assertTrue(markers.tryAcquire(30, TimeUnit.SECONDS));
                long thread = captureThread.get();
                long before = counter.getThreadAllocatedBytes(thread);
                long deliveredBefore = delivered.get();
                lab.inNamespace(burst);
                assertTrue(markers.tryAcquire(30, TimeUnit.SECONDS));
                long allocated = counter.getThreadAllocatedBytes(thread) - before;
                long handedOver = delivered.get() - deliveredBefore;

                assertEquals(frames + 1, handedOver, "every frame reached the listener: " + ring.statistics());
                // one allocation per frame would be at least 16 bytes each; allow the counter's own noise
                assertTrue(allocated < 16 * 1024, () -> allocated + " bytes allocated by the capture thread for " + handedOver + " frames");
                assertTrue(sendingAllocation[0] < 16 * 1024,
                        () -> sendingAllocation[0] + " bytes allocated by the sending thread for " + frames + " frames");
            }
        }
    }

    @Test
    void theComponentRegistersBothServicesAndDeactivationStopsEverything() throws Exception {
        try (TestNamespace lab = veth()) {
            FakeBundleContext context = new FakeBundleContext();
            Map<String, Object> properties = new HashMap<>(Map.of("interfaceName", lab.rootEnd()));
            RingCaptureComponent component = new RingCaptureComponent(context.proxy(),
                    config(Map.of("interfaceName", lab.rootEnd(), "bufferSize", 2097152)), properties);
            ServiceEndpoints service = ServiceEndpoints.parse(new String[] {SERVICE}, new int[] {PORT});
            component.bindProtectedService(() -> service);
            component.activate();
            assertEquals(2, context.registered.size());
            PacketSource source = (PacketSource) context.registered.get(PacketSource.class.getName());
            PacketSender sender = (PacketSender) context.registered.get(PacketSender.class.getName());
            assertNotNull(source);
            assertNotNull(sender);
            assertEquals("ring:" + lab.rootEnd(), source.name());
            assertEquals(lab.rootEnd(), context.properties.get(PacketSource.class.getName()).get("migware.interface"));
            assertTrue(source.statistics().running());

            component.deactivate(); // on an idle interface: the poll's timeout lets the thread stop
            assertEquals(2, context.unregistered.size());
            assertFalse(source.statistics().running());
            byte[] frame = arpRequest(SERVICE);
            IOException closed = assertThrows(IOException.class, () -> sender.send(frame, 0, frame.length));
            assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            source.subscribe(new Recorder()).close(); // a source that is gone gives an ended subscription
        }
    }

    @Test
    void theKernelsRefusalIsOneClearLineAndNothingIsRegistered() throws Exception {
        CaptureException e = assertThrows(CaptureException.class,
                () -> RingPacketSource.open(settings("mwcnope0", 65535), SMALL_RING));
        assertTrue(e.getMessage().startsWith("cannot capture on 'mwcnope0': "), e.getMessage());
        assertTrue(e.getMessage().contains("No such device"), e.getMessage());

        FakeBundleContext context = new FakeBundleContext();
        RingCaptureComponent component = new RingCaptureComponent(context.proxy(),
                config(Map.of("interfaceName", "lo", "blockSize", 3000)), Map.of());
        component.bindProtectedService(() -> ServiceEndpoints.parse(new String[] {SERVICE}, new int[] {PORT}));
        component.activate();
        assertTrue(context.registered.isEmpty());
        assertNull(component.source());
        component.deactivate();
    }

    @Test
    void theRingsOwnKeysAreValidatedWithOneSentenceEach() throws Exception {
        CaptureSettings settings = settings("lo", 65535);
        InvalidConfigurationException notPowerOfTwo = assertThrows(InvalidConfigurationException.class,
                () -> RingCaptureComponent.geometry(settings, config(Map.of("blockSize", 300000))));
        assertTrue(notPowerOfTwo.getMessage().contains("'blockSize' is 300000; use a power of two"), notPowerOfTwo.getMessage());
        InvalidConfigurationException tooSmall = assertThrows(InvalidConfigurationException.class,
                () -> RingCaptureComponent.geometry(settings, config(Map.of("blockSize", 65536))));
        assertTrue(tooSmall.getMessage().contains("use at least 131072"), tooSmall.getMessage());
        InvalidConfigurationException timeout = assertThrows(InvalidConfigurationException.class,
                () -> RingCaptureComponent.geometry(settings, config(Map.of("blockTimeoutMillis", 0))));
        assertTrue(timeout.getMessage().contains("'blockTimeoutMillis' is 0"), timeout.getMessage());
        RingGeometry geometry = RingCaptureComponent.geometry(settings, config(Map.of()));
        assertEquals(new RingGeometry(262144, 16, 1), geometry, "bufferSize 4 MiB in blocks of 256 KiB by default");
        assertEquals(2048, geometry.frameCount());
    }

    // ------------------------------------------------------------------ helpers

    static TestNamespace veth() throws Exception {
        return TestNamespace.builder("mwrng").veth().withoutIpv6().create();
    }

    static CaptureSettings settings(String interfaceName, int snapshotLength) {
        return new CaptureSettings(interfaceName, snapshotLength, 4 << 20, CaptureSettings.Direction.IN,
                BpfFilter.build(List.of(SERVICE), List.of(PORT), ""), List.of(SERVICE), List.of(PORT));
    }

    static RingCaptureComponent.Config config(Map<String, Object> values) {
        return Configs.of(RingCaptureComponent.Config.class, values);
    }

    static byte[] tcp(String source, String destination, int sourcePort, int destinationPort, int payloadBytes) {
        FrameBuilder builder = new FrameBuilder();
        builder.sourceIpv4 = ipv4(source);
        builder.destinationIpv4 = ipv4(destination);
        builder.sourcePort = sourcePort;
        builder.destinationPort = destinationPort;
        builder.payload = new byte[payloadBytes];
        Arrays.fill(builder.payload, (byte) 'r');
        return builder.build();
    }

    static byte[] marker() {
        return tcp(CLIENT, SERVICE, MARKER_PORT, PORT, 0);
    }

    /** @return the frame with an 802.1Q tag after the MAC addresses */
    static byte[] vlan(byte[] frame, int tpid, int tci) {
        byte[] tagged = new byte[frame.length + 4];
        System.arraycopy(frame, 0, tagged, 0, 12);
        tagged[12] = (byte) (tpid >>> 8);
        tagged[13] = (byte) tpid;
        tagged[14] = (byte) (tci >>> 8);
        tagged[15] = (byte) tci;
        System.arraycopy(frame, 12, tagged, 16, frame.length - 12);
        return tagged;
    }

    static byte[] arpRequest(String target) {
        byte[] frame = new byte[42];
        Arrays.fill(frame, 0, 6, (byte) 0xff);
        byte[] mac = {2, 0, 0x4d, 0x57, 0, 0x0c};
        System.arraycopy(mac, 0, frame, 6, 6);
        frame[12] = 0x08;
        frame[13] = 0x06;
        byte[] arp = {0, 1, 8, 0, 6, 4, 0, 1};
        System.arraycopy(arp, 0, frame, 14, 8);
        System.arraycopy(mac, 0, frame, 22, 6);
        putIpv4(frame, 28, ipv4(CLIENT));
        putIpv4(frame, 38, ipv4(target));
        return frame;
    }

    private static void putIpv4(byte[] frame, int at, int address) {
        for (int i = 0; i < 4; i++) {
            frame[at + i] = (byte) (address >>> (24 - 8 * i));
        }
    }

    private static int ipv4(String dotted) {
        int value = 0;
        for (String part : dotted.split("\\.")) {
            value = value << 8 | Integer.parseInt(part);
        }
        return value;
    }

    static int etherType(byte[] frame) {
        return (frame[12] & 0xff) << 8 | (frame[13] & 0xff);
    }

    /** @return the 16-bit value at {@code at}: 34 is an untagged IPv4/TCP frame's source port, 36 its destination */
    static int port(byte[] frame, int at) {
        return (frame[at] & 0xff) << 8 | (frame[at + 1] & 0xff);
    }

    private static void send(Pcap4jPacketSender wire, byte[] frame) throws IOException {
        wire.send(frame, 0, frame.length);
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + ": " + output);
        }
    }

    /** Copies what it gets (the source reuses its array) and opens a latch on the marker frame. */
    static final class Recorder implements PacketListener {
        final List<byte[]> frames = Collections.synchronizedList(new ArrayList<>());
        final List<Long> timestamps = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch marker = new CountDownLatch(1);

        @Override
        public void onPacket(byte[] frame, int offset, int length, long timestampNanos) {
            byte[] copy = Arrays.copyOfRange(frame, offset, offset + length);
            frames.add(copy);
            timestamps.add(timestampNanos);
            if (etherType(copy) == 0x0800 && port(copy, 34) == MARKER_PORT) {
                marker.countDown();
            }
        }

        long count(java.util.function.Predicate<byte[]> kind) {
            synchronized (frames) {
                return frames.stream().filter(kind).count();
            }
        }
    }
}
