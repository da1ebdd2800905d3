package org.migware.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.migware.api.connection.ProtectedService;
import org.migware.api.packet.PacketSource;
import org.migware.api.state.DurableState;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's surroundings in a running container: the system clocks, a daemon thread
 * named {@code migware-failover}, the capture sources (whiteboard) and the state folder
 * ({@code migware.state.dir}, else the core bundle's data area).
 */
@Component(service = Surroundings.class)
public final class LiveSurroundings implements Surroundings {

    private static final String STATE_FILE = "failover.state";

    private final Map<PacketSource, Map<String, Object>> sources = new ConcurrentHashMap<>();
    private final Path stateFile;

    @Activate
    public LiveSurroundings(BundleContext context) {
        Path folder;
        try {
            folder = DurableState.in(context.getProperty(DurableState.DIRECTORY_PROPERTY), context.getDataFile("").toPath()).directory();
        } catch (IOException e) {
            // The bundle's data area then: the state survives an update of the core, not a restart of the container.
            folder = context.getDataFile("").toPath();
            LoggerFactory.getLogger(LiveSurroundings.class).error("core: the state folder {} cannot be used ({}); the state is kept in {}",
                    context.getProperty(DurableState.DIRECTORY_PROPERTY), e.toString(), folder);
        }
        this.stateFile = folder.resolve(STATE_FILE);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPacketSource(PacketSource source, Map<String, Object> properties) {
        sources.put(source, properties);
    }

    void removePacketSource(PacketSource source) {
        sources.remove(source);
    }

    @Override
    public Clock clock() {
        return Clock.systemUTC();
    }

    @Override
    public long monotonicNanos() {
        return System.nanoTime();
    }

    @Override
    public long framesReceived() {
        if (sources.isEmpty()) {
            return -1;
        }
        long total = 0;
        for (PacketSource source : sources.keySet()) {
            total += source.statistics().received();
        }
        return total;
    }

    @Override
    public Boolean captureLinkUp() {
        for (Map<String, Object> properties : sources.values()) {
            Object name = properties.get("migware.interface");
            if (name instanceof String interfaceName && !interfaceName.contains("/")) {
                Path carrier = Path.of("/sys/class/net", interfaceName, "carrier");
                try {
                    // Reading carrier of an interface that is administratively down fails (EINVAL).
                    return Files.readString(carrier).trim().equals("1");
                } catch (IOException e) {
                    return Boolean.FALSE;
                }
            }
        }
        return null;
    }

    @Override
    public ScheduledExecutorService newDecisionThread() {
        return Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "migware-failover");
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public Path stateFile() {
        return stateFile;
    }

    /** The service's addresses; absent while the service bundle is not configured. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ProtectedService service;

    @Override
    public boolean serviceAddressLocal() {
        ProtectedService current = service;
        return current != null && current.endpoints().anyAddressLocal();
    }
}
