package org.migware.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.packet.PacketSource;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.SatisfiedReferenceDTO;

/**
 * Hot swap while connections are tracked: stopping and restarting, and updating, each of
 * capture-pcap4j, parser, core and the tracker itself leaves the same connections in the table
 * with the same state, and tracking goes on; capture-pcap4j and capture-file swap for each
 * other without restarting the container.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotSwapTest extends MigwareTestSupport {

    private static final List<String> SWAPPED = List.of(
            "org.migware.capture.pcap4j", "org.migware.parser", "org.migware.core", "org.migware.tracker");

    @Test
    public void everyBundleSwapsWhileTheTableStays() throws Exception {
        configure("org.migware.service", Map.of("addresses", new String[] {TrackingCapture.SERVER},
                "ports", new int[] {TrackingCapture.PORT}));
        // Live capture on loopback: the filter admits only the lab's service address, so it
        // stays silent here; it is swapped like any live source.
        configure("org.migware.capture.pcap4j", Map.of("interfaceName", "lo"));
        waitForService(PacketSource.class, "(migware.source.name=pcap4j:*)", TIMEOUT);
        bundleNamed("org.migware.capture.pcap4j").stop();

        configure("org.migware.capture.file", Map.of("path", TrackingCapture.part(1).toString()));
        ConnectionTable table = waitForService(ConnectionTable.class);
        TrackingCapture.await("part 1 tracked", Duration.ofSeconds(20),
                () -> table.statistics().packetsTracked() == TrackingCapture.PART1_PACKETS);
        TrackingCapture.assertPart1(table);
        // The file source replays to every new subscriber: take it away while the others swap,
        // so that the table can only change if a swap loses or corrupts it.
        bundleNamed("org.migware.capture.file").stop();
        bundleNamed("org.migware.capture.pcap4j").start();
        Set<ConnectionSnapshot> before = snapshot();

        for (String name : SWAPPED) {
            Bundle bundle = bundleNamed(name);
            bundle.stop();
            bundle.start();
            assertTableUnchanged(before, "after stop and start of " + name);
            bundle.update();
            assertTableUnchanged(before, "after update of " + name);
        }

        // Tracking goes on: swap the live source for the file source, now replaying part 2.
        bundleNamed("org.migware.capture.pcap4j").stop();
        configure("org.migware.capture.file", Map.of("path", TrackingCapture.part(2).toString()));
        bundleNamed("org.migware.capture.file").start();
        ConnectionTable afterSwap = waitForService(ConnectionTable.class);
        TrackingCapture.await("part 2 tracked after every swap", Duration.ofSeconds(20),
                () -> afterSwap.statistics().packetsTracked() >= TrackingCapture.PART2_PACKETS
                        && TrackingCapture.connection(afterSwap, TrackingCapture.A).clientToServer().bytes() == 29);
        TrackingCapture.assertPart2(afterSwap);
        assertEquals("file", boundSourceKind());

        // ...and back to live capture, without restarting the container.
        bundleNamed("org.migware.capture.file").stop();
        bundleNamed("org.migware.capture.pcap4j").start();
        TrackingCapture.await("the tracker bound to the live source", TIMEOUT, () -> "pcap4j".equals(boundSourceKind()));
        TrackingCapture.assertPart2(waitForService(ConnectionTable.class));
    }

    private Set<ConnectionSnapshot> snapshot() {
        return new HashSet<>(waitForService(ConnectionTable.class).connections());
    }

    private void assertTableUnchanged(Set<ConnectionSnapshot> before, String when) throws BundleException {
        for (String name : SWAPPED) {
            assertEquals(name + " " + when, Bundle.ACTIVE, bundleNamed(name).getState());
        }
        assertComponentsActive(migwareBundles(), TIMEOUT);
        ConnectionTable table = waitForService(ConnectionTable.class);
        assertEquals("the table " + when, before, new HashSet<>(table.connections()));
        assertTrue(table.size() == 4);
    }

    /** @return the kind ({@code pcap4j}, {@code file}) of the source the tracker is bound to, or null */
    private String boundSourceKind() {
        ServiceComponentRuntime scr = waitForService(ServiceComponentRuntime.class);
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs(bundleNamed("org.migware.tracker"))) {
            for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description)) {
                for (SatisfiedReferenceDTO reference : configuration.satisfiedReferences) {
                    if (reference.name.equals("PacketSource") && reference.boundServices.length == 1) {
                        long id = reference.boundServices[0].id;
                        ServiceReference<?>[] found = Arrays.stream(bundleContext.getBundles())
                                .flatMap(b -> b.getRegisteredServices() == null ? java.util.stream.Stream.empty()
                                        : Arrays.stream(b.getRegisteredServices()))
                                .filter(r -> id == (Long) r.getProperty("service.id"))
                                .toArray(ServiceReference<?>[]::new);
                        assertNotNull(found);
                        if (found.length == 0) {
                            return null;
                        }
                        String name = (String) found[0].getProperty("migware.source.name");
                        return name.substring(0, name.indexOf(':'));
                    }
                }
            }
        }
        return null;
    }
}
