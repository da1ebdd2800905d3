package org.migware.monitor.traffic.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.api.packet.PacketListener;
import org.migware.parser.internal.PacketParserComponent;
import org.migware.testing.FakeClock;
import org.migware.testing.FakePacketSource;
import org.migware.testing.TcpFrame;

/**
 * The component as DS would drive it, without a framework: constructed with a typed config,
 * references bound and unbound by hand, a fake packet source, the real parser and the real
 * probe loop of monitor-support. Detector time is a fake clock; the loop's own threads are real,
 * so the tests wait for verdicts through a queue with a deadline.
 */
class TrafficMonitorComponentTest {

    private static final long WAIT_SECONDS = 10;

    private final FakeClock clock = new FakeClock();
    private final BlockingQueue<HealthVerdict> published = new LinkedBlockingQueue<>();
    private TrafficMonitorComponent component;

    @AfterEach
    void deactivate() {
        if (component != null) {
            component.deactivate();
        }
    }

    /** A {@link TrafficMonitorComponent.Config} as DS would make it: the given values, else the defaults. */
    static TrafficMonitorComponent.Config config(Map<String, Object> values) {
        return (TrafficMonitorComponent.Config) Proxy.newProxyInstance(TrafficMonitorComponent.Config.class.getClassLoader(),
                new Class<?>[] {TrafficMonitorComponent.Config.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "annotationType" -> TrafficMonitorComponent.Config.class;
                    case "toString" -> values.toString();
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> values.containsKey(method.getName()) ? values.get(method.getName()) : method.getDefaultValue();
                });
    }

    /** The service the tests watch, as its owner publishes it. */
    private static final ServiceEndpoints SERVICE = ServiceEndpoints.parse(new String[] {"10.77.0.2"}, new int[] {TcpFrame.SERVICE_PORT});

    /** The monitor's own settings for a test: fast evaluations, and whatever else is given. */
    private static Map<String, Object> service(Object... more) {
        Map<String, Object> values = new HashMap<>(Map.of("evaluateMillis", 10L));
        for (int i = 0; i < more.length; i += 2) {
            values.put((String) more[i], more[i + 1]);
        }
        return values;
    }

    /** Activated as DS does it, without a ProtectedService. */
    private TrafficMonitorComponent start(Map<String, Object> values) {
        return start(values, false);
    }

    /** Activated as DS does it, with {@link #SERVICE} bound before. */
    private TrafficMonitorComponent startWithService(Map<String, Object> values) {
        return start(values, true);
    }

    private TrafficMonitorComponent start(Map<String, Object> values, boolean withService) {
        component = new TrafficMonitorComponent(config(values), clock, clock);
        component.listeners = List.of(published::add);
        if (withService) {
            component.bindProtectedService(() -> SERVICE);
        }
        component.activate();
        return component;
    }

    private HealthVerdict awaitVerdict(Predicate<HealthVerdict> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        List<HealthVerdict> seen = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            HealthVerdict verdict = published.poll(100, TimeUnit.MILLISECONDS);
            if (verdict != null) {
                seen.add(verdict);
                if (wanted.test(verdict)) {
                    return verdict;
                }
            }
        }
        throw new AssertionError("no such verdict within " + WAIT_SECONDS + " s; published: " + seen);
    }


    @Test
    void withoutServiceConfigurationTheVerdictNamesTheKeys() {
        start(Map.of());
        assertEquals("traffic", component.name());
        HealthVerdict verdict = component.currentVerdict();
        assertEquals(HealthStatus.UNKNOWN, verdict.status());
        assertTrue(verdict.reason().contains("'addresses'") && verdict.reason().contains("org.migware.service"), verdict.reason());
    }

    @Test
    void aServiceThatArrivesChangesAndLeavesIsFollowed() {
        start(Map.of("evaluateMillis", 10L));
        assertTrue(component.currentVerdict().reason().contains("'addresses'"), component.currentVerdict().reason());
        component.bindProtectedService(() -> SERVICE);
        assertEquals("10.77.0.2:7000", component.currentVerdict().target());
        ServiceEndpoints moved = ServiceEndpoints.parse(new String[] {"10.77.0.9"}, new int[] {8000});
        component.updatedProtectedService(() -> moved);
        assertEquals("10.77.0.9:8000", component.currentVerdict().target());
        component.unbindProtectedService(null);
        assertEquals(HealthStatus.UNKNOWN, component.currentVerdict().status());
        assertTrue(component.currentVerdict().reason().contains("org.migware.service"), component.currentVerdict().reason());
    }

    @Test
    void anUnusableSettingIsNamed() {
        startWithService(service("misses", 0));
        assertEquals(HealthStatus.UNKNOWN, component.currentVerdict().status());
        assertTrue(component.currentVerdict().reason().contains("'misses'"), component.currentVerdict().reason());
        component.modified(config(service("stallMillis", 0L)));
        assertTrue(component.currentVerdict().reason().contains("'stallMillis'"), component.currentVerdict().reason());
    }

    @Test
    void withoutSourceOrParserNothingIsJudged() {
        startWithService(service());
        assertEquals(HealthStatus.UNKNOWN, component.currentVerdict().status());
        assertEquals("10.77.0.2:7000", component.currentVerdict().target());
        assertEquals("no packet source: nothing is captured", component.evaluate().reason());
        component.bindPacketSource(new FakePacketSource());
        assertEquals("no packet parser: captured frames are not read", component.evaluate().reason());
        component.bindPacketParser(new PacketParserComponent());
        assertEquals(Evidence.NOTHING_TO_JUDGE, component.evaluate().reason());
        assertEquals(HealthStatus.UNKNOWN, component.currentVerdict().status());
    }

    @Test
    void retransmissionsIntoSilenceArePublishedAsDownAndASwapStartsAfresh() throws InterruptedException {
        startWithService(service());
        FakePacketSource source = new FakePacketSource();
        component.bindPacketParser(new PacketParserComponent());
        component.bindPacketSource(source);
        assertNotNull(source.listener());

        source.deliver(TcpFrame.fromClient(40000).seq(1000).flags(0x02));
        source.deliver(TcpFrame.fromServer(40000).seq(5000).ack(1001).flags(0x02));
        HealthVerdict up = awaitVerdict(v -> v.status() == HealthStatus.UP);
        assertTrue(up.reason().startsWith("the server acknowledged"), up.reason());

        source.deliver(TcpFrame.fromClient(40000).seq(1001).ack(5001).payload(100));
        clock.advanceMillis(300);
        source.deliver(TcpFrame.fromClient(40000).seq(1001).ack(5001).payload(100));
        clock.advanceMillis(1000);
        HealthVerdict down = awaitVerdict(v -> v.status() == HealthStatus.DOWN);
        assertTrue(down.reason().contains("1 of 1 connection has") && down.reason().contains("(3 consecutive misses)"), down.reason());
        assertEquals(down, component.currentVerdict());

        // a new source replaces the old one (greedy: bind first, then unbind): what the old one saw is forgotten
        FakePacketSource replacement = new FakePacketSource();
        component.bindPacketSource(replacement);
        component.unbindPacketSource(source);
        assertTrue(source.closed());
        HealthVerdict fresh = awaitVerdict(v -> v.status() != HealthStatus.DOWN);
        assertEquals(HealthStatus.UNKNOWN, fresh.status());
        assertEquals(Evidence.NOTHING_TO_JUDGE, fresh.reason());

        component.unbindPacketSource(replacement);
        component.unbindPacketParser(null);
        assertEquals(HealthStatus.UNKNOWN, component.currentVerdict().status());
    }

    @Test
    void theCapturePathAllocatesNothing() {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assumeTrue(threads instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
        assumeTrue(counter.isThreadAllocatedMemorySupported() && counter.isThreadAllocatedMemoryEnabled());

        startWithService(service("maxConnections", 64));
        FakePacketSource source = new FakePacketSource();
        component.bindPacketParser(new PacketParserComponent());
        component.bindPacketSource(source);
        // 100 connections (more than the bound): data, its retransmission, the server's ACK, a
        // client RST and a frame of another service
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            int port = 30000 + i;
            frames.add(TcpFrame.fromClient(port).seq(1000).ack(1).payload(100).build());
            frames.add(TcpFrame.fromClient(port).seq(1000).ack(1).payload(100).build());
            frames.add(TcpFrame.fromServer(port).seq(1).ack(1100).build());
            frames.add(TcpFrame.fromClient(port).seq(1100).ack(1).payload(50).build());
            frames.add(TcpFrame.fromClient(port).seq(1150).flags(0x04).build());
            frames.add(TcpFrame.fromClient(port).toPort(22).seq(1).payload(10).build());
        }
        byte[][] corpus = frames.toArray(new byte[0][]);
        PacketListener capture = source.listener();

        deliver(capture, corpus, 2_000);
        long threadId = Thread.currentThread().getId();
        long before = counter.getThreadAllocatedBytes(threadId);
        deliver(capture, corpus, 2_000);
        long allocated = counter.getThreadAllocatedBytes(threadId) - before;

        long packets = 2_000L * corpus.length;
        // one allocation per packet would be at least 16 bytes each; allow the counter's own noise
        assertTrue(allocated < 16 * 1024, () -> allocated + " bytes allocated for " + packets + " packets");
    }

    private void deliver(PacketListener capture, byte[][] corpus, int rounds) {
        for (int round = 0; round < rounds; round++) {
            for (byte[] frame : corpus) {
                capture.onPacket(frame, 0, frame.length, 0);
            }
            clock.advanceMillis(1);
        }
    }
}
