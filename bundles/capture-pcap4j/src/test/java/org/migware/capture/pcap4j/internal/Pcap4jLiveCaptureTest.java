package org.migware.capture.pcap4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.migware.capture.pcap4j.internal.TestFrames.CLIENT_MAC;
import static org.migware.capture.pcap4j.internal.TestFrames.PRIMARY_MAC;
import static org.migware.capture.pcap4j.internal.TestFrames.arpRequest;
import static org.migware.capture.pcap4j.internal.TestFrames.dstPort;
import static org.migware.capture.pcap4j.internal.TestFrames.etherType;
import static org.migware.capture.pcap4j.internal.TestFrames.srcPort;
import static org.migware.capture.pcap4j.internal.TestFrames.tcp;
import static org.migware.capture.pcap4j.internal.TestFrames.udp;

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
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.packet.CaptureStatistics;
import org.migware.api.packet.PacketListener;
import org.migware.api.packet.PacketSender;
import org.migware.api.packet.PacketSource;
import org.migware.api.packet.PacketSubscription;
import org.migware.api.testing.TestNamespace;
import org.migware.capture.shared.internal.BpfFilter;
import org.migware.capture.shared.internal.CaptureException;
import org.migware.capture.shared.internal.CaptureSettings;
import org.migware.capture.shared.internal.DropReasons;
import org.migware.testing.FakeBundleContext;

/**
 * Real capture and injection on a veth pair (see {@link #veth()}): needs root, as CI has. Frames are
 * sent from the other end of the pair, inside a namespace of the test's own, so that they arrive
 * at the captured end as they would from a mirror port. The oracle is what was sent, counted by
 * kind; the marker frame, sent last, says that everything before it has been delivered (one
 * sender, one wire, capture order).
 */
@Timeout(120)
class Pcap4jLiveCaptureTest {

    private static final String SERVICE = "10.77.0.2";
    private static final String CLIENT = "10.77.0.10";
    private static final String OTHER_HOST = "10.77.0.99";
    private static final int PORT = 7000;
    private static final int MARKER_PORT = 65000;

    @BeforeAll
    static void needsRoot() {
        assumeTrue(TestNamespace.available(), "live capture needs root and iproute2");
    }

    @Test
    void capturesTheServicesTcpAndArpPromiscuouslyAndNothingElse() throws Exception {
        try (TestNamespace lab = veth()) {
            CaptureSettings settings = Pcap4jCaptureComponent.validate(ServiceEndpoints.parse(new String[] {SERVICE}, new int[] {PORT}),
                    CaptureConfigs.capture(Map.of("interfaceName", lab.rootEnd())), Pcap4jFilters.HOST);
            long before = System.currentTimeMillis() * 1_000_000L;
            try (Pcap4jPacketSource source = Pcap4jPacketSource.open(settings)) {
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
                        byte[] payload = "record\n".getBytes();
                        for (int i = 0; i < 40; i++) { // client -> service: captured
                            byte[] request = tcp(PRIMARY_MAC, CLIENT_MAC, CLIENT, SERVICE, 40000 + i, PORT, payload);
                            wire.send(framed(request), 7, request.length); // also: sending from an offset
                        }
                        for (int i = 0; i < 10; i++) { // service -> client: captured
                            send(wire, tcp(CLIENT_MAC, PRIMARY_MAC, SERVICE, CLIENT, PORT, 40000 + i, payload));
                        }
                        for (int i = 0; i < 15; i++) { // another port of the service: not ours
                            send(wire, tcp(PRIMARY_MAC, CLIENT_MAC, CLIENT, SERVICE, 41000 + i, 8000, payload));
                        }
                        for (int i = 0; i < 15; i++) { // the port on another host: not ours
                            send(wire, tcp(PRIMARY_MAC, CLIENT_MAC, CLIENT, OTHER_HOST, 42000 + i, PORT, payload));
                        }
                        for (int i = 0; i < 10; i++) { // UDP to the service port: not TCP
                            send(wire, udp(PRIMARY_MAC, CLIENT_MAC, CLIENT, SERVICE, 43000 + i, PORT, payload));
                        }
                        for (int i = 0; i < 5; i++) { // who has the service address: captured, the proxy answers these
                            send(wire, arpRequest(CLIENT_MAC, CLIENT, SERVICE));
                        }
                        for (int i = 0; i < 5; i++) { // who has someone else: not ours
                            send(wire, arpRequest(CLIENT_MAC, CLIENT, OTHER_HOST));
                        }
                        send(wire, tcp(PRIMARY_MAC, CLIENT_MAC, CLIENT, SERVICE, MARKER_PORT, PORT, payload));
                        assertEquals(101, wire.sent());
                    }
                    return null;
                });

                assertTrue(all.marker.await(30, TimeUnit.SECONDS), "the marker frame arrived");
                assertTrue(second.marker.await(30, TimeUnit.SECONDS));
                long after = System.currentTimeMillis() * 1_000_000L;

                assertEquals(56, all.frames.size(), "40 + 10 TCP, 5 ARP, 1 marker");
                assertEquals(40, all.count(f -> etherType(f, 0) == 0x0800 && dstPort(f, 0) == PORT && srcPort(f, 0) != MARKER_PORT));
                assertEquals(10, all.count(f -> etherType(f, 0) == 0x0800 && srcPort(f, 0) == PORT));
                assertEquals(5, all.count(f -> etherType(f, 0) == 0x0806));
                assertEquals(all.frames.size(), second.frames.size(), "every subscriber gets every frame");
                for (long timestamp : all.timestamps) {
                    assertTrue(timestamp >= before - 1_000_000_000L && timestamp <= after + 1_000_000_000L,
                            "a capture time from now, in nanoseconds: " + timestamp);
                }
                assertTrue(all.timestamps.stream().anyMatch(t -> t % 1000 != 0),
                        "nanosecond precision (the chance that 56 times all end in 000 is nil)");

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
    void theSenderPutsFramesOnTheWire() throws Exception {
        try (TestNamespace lab = veth()) {
            // This time the capture is the namespace's end, and the sender the root end.
            CaptureSettings settings = new CaptureSettings(lab.namespaceEnd(), 65535, 4 << 20,
                    CaptureSettings.Direction.IN, BpfFilter.build(List.of(SERVICE), List.of(PORT), ""),
                    List.of(SERVICE), List.of(PORT));
            try (Pcap4jPacketSource source = lab.inNamespace(() -> Pcap4jPacketSource.open(settings));
                 Pcap4jPacketSender sender = Pcap4jPacketSender.open(lab.rootEnd())) {
                source.start();
                Recorder recorder = new Recorder();
                source.subscribe(recorder);
                byte[] big = tcp(PRIMARY_MAC, CLIENT_MAC, CLIENT, SERVICE, 40000, PORT, new byte[1400]);
                for (int i = 0; i < 20; i++) {
                    sender.send(big, 0, big.length);
                }
                byte[] marker = tcp(PRIMARY_MAC, CLIENT_MAC, CLIENT, SERVICE, MARKER_PORT, PORT, new byte[0]);
                sender.send(framed(marker), 7, marker.length);
                assertTrue(recorder.marker.await(30, TimeUnit.SECONDS));
                assertEquals(21, recorder.frames.size());
                assertTrue(Arrays.equals(big, recorder.frames.get(0)), "sent byte for byte");
                assertTrue(Arrays.equals(marker, recorder.frames.get(20)), "sent from an offset");
                assertEquals(21, sender.sent());
            }
        }
    }

    @Test
    void theComponentRegistersBothServicesAndDeactivationStopsEverything() throws Exception {
        try (TestNamespace lab = veth()) {
            FakeBundleContext context = new FakeBundleContext();
            Map<String, Object> properties = new HashMap<>(Map.of("interfaceName", lab.rootEnd(),
                    "addresses", new String[] {SERVICE}, "ports", new int[] {PORT}));
            Pcap4jCaptureComponent component = new Pcap4jCaptureComponent(context.proxy(),
                    CaptureConfigs.capture(Map.of("interfaceName", lab.rootEnd())), properties);
            ServiceEndpoints service = ServiceEndpoints.parse(new String[] {SERVICE}, new int[] {PORT});
            component.bindProtectedService(() -> service);
            component.activate();
            assertEquals(2, context.registered.size());
            PacketSource source = (PacketSource) context.registered.get(PacketSource.class.getName());
            PacketSender sender = (PacketSender) context.registered.get(PacketSender.class.getName());
            assertNotNull(source);
            assertNotNull(sender);
            assertEquals("pcap4j:" + lab.rootEnd(), source.name());
            assertEquals(lab.rootEnd(), context.properties.get(PacketSource.class.getName()).get("migware.interface"));
            assertTrue(source.statistics().running());

            component.deactivate(); // on an idle interface: breakLoop() must wake the blocked capture
            assertEquals(2, context.unregistered.size());
            assertFalse(source.statistics().running());
            byte[] frame = arpRequest(CLIENT_MAC, CLIENT, SERVICE);
            IOException closed = assertThrows(IOException.class, () -> sender.send(frame, 0, frame.length));
            assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            Recorder late = new Recorder();
            source.subscribe(late).close(); // a source that is gone gives an ended subscription
        }
    }

    @Test
    void libpcapsOwnRefusalIsOneClearLine() {
        CaptureSettings settings = new CaptureSettings("mwcnope0", 65535, 4 << 20, CaptureSettings.Direction.IN,
                BpfFilter.build(List.of(SERVICE), List.of(PORT), ""), List.of(SERVICE), List.of(PORT));
        CaptureException e = assertThrows(CaptureException.class, () -> Pcap4jPacketSource.open(settings));
        assertTrue(e.getMessage().startsWith("cannot capture on 'mwcnope0': "), e.getMessage());
        assertTrue(e.getMessage().contains("No such device"), e.getMessage());
        CaptureException send = assertThrows(CaptureException.class, () -> Pcap4jPacketSender.open("mwcnope0"));
        assertTrue(send.getMessage().contains("mwcnope0"), send.getMessage());
    }

    // ------------------------------------------------------------------ helpers

    /**
     * A veth pair into a namespace of the test's own, with no addresses and IPv6 off: the only
     * frames on it are the test's. Captured on (or sent from) the root end here; the namespace end
     * is used from {@link TestNamespace#inNamespace}.
     */
    static TestNamespace veth() throws Exception {
        return TestNamespace.builder("mwcap").veth().withoutIpv6().create();
    }

    /** @return the frame 7 bytes into a larger array, to send from an offset */
    private static byte[] framed(byte[] frame) {
        byte[] larger = new byte[frame.length + 20];
        System.arraycopy(frame, 0, larger, 7, frame.length);
        Arrays.fill(larger, 0, 7, (byte) 0x5a);
        return larger;
    }

    private static void send(Pcap4jPacketSender wire, byte[] frame) throws IOException {
        wire.send(frame, 0, frame.length);
    }

    /** Copies what it gets (the source may reuse arrays) and opens a latch on the marker frame. */
    static final class Recorder implements PacketListener {
        final List<byte[]> frames = Collections.synchronizedList(new ArrayList<>());
        final List<Long> timestamps = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch marker = new CountDownLatch(1);

        @Override
        public void onPacket(byte[] frame, int offset, int length, long timestampNanos) {
            byte[] copy = Arrays.copyOfRange(frame, offset, offset + length);
            frames.add(copy);
            timestamps.add(timestampNanos);
            if (etherType(copy, 0) == 0x0800 && srcPort(copy, 0) == MARKER_PORT) {
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
