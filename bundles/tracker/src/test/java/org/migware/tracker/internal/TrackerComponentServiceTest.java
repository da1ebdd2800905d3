package org.migware.tracker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.migware.api.connection.ProtectedService;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.parser.internal.PacketParserComponent;
import org.migware.testing.FakePacketSource;
import org.migware.testing.TcpFrame;
import org.osgi.framework.BundleContext;

/**
 * The tracker and the {@link ProtectedService} it references, driven as DS drives them: the
 * service arrives after the component, changes, and leaves, and the table is never dropped.
 */
class TrackerComponentServiceTest {

    private final FakePacketSource source = new FakePacketSource();
    private TrackerComponent tracker;

    @AfterEach
    void stop() {
        if (tracker != null) {
            tracker.deactivate();
        }
    }

    @Test
    void nothingIsTrackedUntilTheServiceIsBound() {
        start();
        source.deliver(TcpFrame.fromClient(40000).seq(1000).flags(0x02));
        assertEquals(0, tracker.size());
        assertEquals(1L, tracker.statistics().packetsIgnored().get("service-not-configured"));

        tracker.bindProtectedService(service("10.77.0.2", 7000));
        source.deliver(TcpFrame.fromClient(40000).seq(1000).flags(0x02));
        assertEquals(1, tracker.size());
    }

    @Test
    void aChangedServiceKeepsTheTableAndTracksTheNewEndpoints() {
        start();
        tracker.bindProtectedService(service("10.77.0.2", 7000));
        source.deliver(TcpFrame.fromClient(40000).seq(1000).flags(0x02));
        assertEquals(1, tracker.size());

        tracker.updatedProtectedService(service("10.77.0.2", 7001));
        assertEquals(1, tracker.size(), "the table stays when the service changes");
        source.deliver(TcpFrame.fromClient(40001).seq(1000).flags(0x02));
        assertEquals(1, tracker.size(), "the old port is no longer the service");
        source.deliver(TcpFrame.fromClient(40002).toPort(7001).seq(1000).flags(0x02));
        assertEquals(2, tracker.size(), "the new one is");

        tracker.unbindProtectedService(null);
        assertEquals(2, tracker.size(), "the table stays when the service leaves");
        source.deliver(TcpFrame.fromClient(40003).toPort(7001).seq(1000).flags(0x02));
        assertEquals(2, tracker.size());
        assertEquals(1L, tracker.statistics().packetsIgnored().get("service-not-configured"));
    }

    /** The typed keys reach the table: checksums off takes a damaged frame, and a modified config turns them on again. */
    @Test
    void checksumVerificationFollowsTheConfiguration() {
        start(Map.of("persistState", false, "verifyChecksums", false));
        tracker.bindProtectedService(service("10.77.0.2", 7000));
        byte[] damaged = TcpFrame.fromClient(40000).seq(1000).flags(0x02).build();
        damaged[14 + 20 + 16] ^= 0x11;
        source.deliver(damaged);
        assertEquals(1, tracker.size(), "verifyChecksums=false: taken");

        tracker.modified(config(Map.of("persistState", false, "verifyChecksums", true)));
        byte[] damagedToo = TcpFrame.fromClient(40001).seq(1000).flags(0x02).build();
        damagedToo[14 + 20 + 16] ^= 0x11;
        source.deliver(damagedToo);
        assertEquals(1, tracker.size(), "verifyChecksums=true: dropped");
        assertEquals(1L, tracker.statistics().packetsIgnored().get("tcp-checksum-wrong"));
    }

    private void start() {
        start(Map.of("persistState", false));
    }

    private void start(Map<String, Object> values) {
        tracker = new TrackerComponent(config(values), context());
        tracker.bindPacketParser(new PacketParserComponent());
        tracker.bindPacketSource(source);
        tracker.activate();
    }

    private static ProtectedService service(String address, int port) {
        ServiceEndpoints endpoints = ServiceEndpoints.parse(new String[] {address}, new int[] {port});
        return () -> endpoints;
    }

    /** A typed config as DS makes it: the given values, else the defaults. */
    private static TrackerComponent.Config config(Map<String, Object> values) {
        Class<TrackerComponent.Config> type = TrackerComponent.Config.class;
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) ->
                switch (method.getName()) {
                    case "annotationType" -> type;
                    case "toString" -> values.toString();
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> values.containsKey(method.getName()) ? values.get(method.getName()) : method.getDefaultValue();
                }));
    }

    /** No data area: the tracker then neither restores nor saves its table. */
    private static BundleContext context() {
        return (BundleContext) Proxy.newProxyInstance(BundleContext.class.getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getDataFile")) {
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

}
