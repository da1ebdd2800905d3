package org.migware.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.FailoverStatus;
import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthStatus;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * Monitors are plug-ins: with none installed the core says so and never fails over; monitor-icmp
 * dropped into the deploy folder is used at once; replacing it with monitor-tcp (delete one jar,
 * drop in the other) switches the core to the new monitor without restarting it, and the
 * tracker's table does not change.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MonitorSwapTest extends MigwareTestSupport {

    @Test
    public void monitorsSwapThroughTheDeployFolderWhileTheCoreAndTableStay() throws Exception {
        // Monitors probe the service address by default; in this test's namespace nothing may
        // be probed but loopback, so every monitor is configured before it is deployed, and no
        // jar of an earlier run may be left in the watched folder.
        removeDeployedJars();
        configure("org.migware.service", Map.of("addresses", new String[] {TrackingCapture.SERVER},
                "ports", new int[] {TrackingCapture.PORT}));
        // The replayed capture goes quiet after its last packet; that is no isolation here.
        configure("org.migware.core.failover", Map.of("isolationSilenceMillis", 0L));
        configure("org.migware.capture.file", Map.of("path", TrackingCapture.part(1).toString()));
        ConnectionTable table = waitForService(ConnectionTable.class);
        TrackingCapture.await("part 1 tracked", TIMEOUT, () -> table.statistics().packetsTracked() == TrackingCapture.PART1_PACKETS);
        Set<ConnectionSnapshot> tableBefore = new HashSet<>(table.connections());

        // No monitor: the core stays NORMAL.
        assertTrue("no monitor is installed", monitors().isEmpty());
        FailoverStatus failover = waitForService(FailoverStatus.class);
        Thread.sleep(300); // several evaluation ticks of the coordinator; nothing may happen
        assertEquals(FailoverState.NORMAL, failover.current().to());
        long coreServiceId = serviceId(FailoverStatus.class);

        // monitor-icmp, hot-deployed, probing loopback.
        configure("org.migware.monitor.icmp", Map.of("target", "127.0.0.1", "intervalMillis", 50L, "timeoutMillis", 50L));
        Path icmpJar = deploy("org.migware.monitor.icmp");
        TrackingCapture.await("monitor-icmp UP", Duration.ofSeconds(30), () -> says("icmp", HealthStatus.UP));

        // Replace it with monitor-tcp: delete one jar, drop in the other.
        try (ServerSocket service = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            configure("org.migware.monitor.tcp", Map.of("target", "127.0.0.1", "port", service.getLocalPort(),
                    "intervalMillis", 50L, "timeoutMillis", 50L));
            Files.delete(icmpJar);
            deploy("org.migware.monitor.tcp");
            String tcp = "tcp:" + service.getLocalPort();
            TrackingCapture.await("monitor-tcp UP and monitor-icmp gone", Duration.ofSeconds(30),
                    () -> says(tcp, HealthStatus.UP) && monitors().stream().noneMatch(m -> m.name().equals("icmp")));
            assertEquals(1, bundleContext.getServiceReferences(HealthMonitor.class, null).size());
        }
        // The service is gone: the core, never restarted, acts on the new monitor's DOWN.
        TrackingCapture.await("the core to fail over on monitor-tcp's DOWN", Duration.ofSeconds(30),
                () -> failover.current().to() == FailoverState.RECOVERY);
        assertTrue(failover.current().reason(), failover.current().reason().contains("tcp:"));
        assertEquals("the core's service was never re-registered", coreServiceId, serviceId(FailoverStatus.class));
        assertEquals("the tracker's table", tableBefore, new HashSet<>(waitForService(ConnectionTable.class).connections()));
        removeDeployedJars();
    }

    /** @return the health monitors registered now, as the core's whiteboard sees them */
    private List<HealthMonitor> monitors() {
        List<HealthMonitor> monitors = new ArrayList<>();
        Collection<ServiceReference<HealthMonitor>> references;
        try {
            references = bundleContext.getServiceReferences(HealthMonitor.class, null);
        } catch (InvalidSyntaxException noFilter) {
            throw new AssertionError(noFilter);
        }
        for (ServiceReference<HealthMonitor> reference : references) {
            HealthMonitor monitor = bundleContext.getService(reference);
            if (monitor != null) {
                monitors.add(monitor);
                bundleContext.ungetService(reference);
            }
        }
        return monitors;
    }

    private boolean says(String name, HealthStatus status) {
        return monitors().stream().anyMatch(m -> m.name().equals(name) && m.currentVerdict().status() == status);
    }

    private void removeDeployedJars() throws IOException {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(fileInstallDirectory(), "*.jar")) {
            for (Path jar : jars) {
                Files.delete(jar);
            }
        }
    }

    private Path deploy(String symbolicName) throws IOException {
        Path monitors = distributionHome().resolve("monitors");
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(monitors, symbolicName + "-*.jar")) {
            for (Path jar : jars) {
                return Files.copy(jar, fileInstallDirectory().resolve(jar.getFileName()));
            }
        }
        throw new AssertionError("no " + symbolicName + " in " + monitors);
    }

    private long serviceId(Class<?> type) {
        ServiceReference<?> reference = bundleContext.getServiceReference(type);
        return (Long) reference.getProperty("service.id");
    }
}
