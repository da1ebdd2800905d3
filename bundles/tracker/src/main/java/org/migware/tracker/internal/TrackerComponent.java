package org.migware.tracker.internal;

import org.migware.api.connection.ServiceEndpoints;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.connection.TableStatistics;
import org.migware.api.packet.PacketListener;
import org.migware.api.packet.PacketParser;
import org.migware.api.packet.PacketSource;
import org.migware.api.packet.PacketSubscription;
import org.migware.api.packet.ParsedPacket;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection tracker: subscribes to the packet source, parses every frame with the bound
 * parser and keeps the {@link ConnectionTable}.
 *
 * <p>Source and parser are dynamic, greedy, optional references: either can be stopped,
 * updated or swapped while the table stays. The table itself is written to the bundle's data
 * area on deactivation and read back on activation, so an update of this very bundle keeps
 * every tracked connection.
 */
// Two PIDs merge: the service's addresses are configured once for every bundle that needs them.
// Metatype's @Designate takes exactly one PID, so the typed Config stands without it.
@Component(service = ConnectionTable.class, configurationPid = {"org.migware.service", "org.migware.tracker"})
public final class TrackerComponent implements ConnectionTable {

    private static final Logger LOG = LoggerFactory.getLogger(TrackerComponent.class);
    static final String STATE_FILE = "connections.state";

    /** The tracker's settings; the service addresses and ports come from PID org.migware.service. */
    @ObjectClassDefinition(name = "MigWare connection tracker")
    public @interface Config {

        @AttributeDefinition(name = "Service addresses", description = "IP addresses of the primary's service (PID org.migware.service)")
        String[] addresses() default {};

        @AttributeDefinition(name = "Service ports", description = "TCP ports of the service (PID org.migware.service)")
        int[] ports() default {};

        @AttributeDefinition(name = "Table bound", description = "Connections kept before the least recently active are evicted")
        int maxConnections() default 200_000;

        @AttributeDefinition(name = "Idle timeout (s)", description = "A live connection silent this long is forgotten")
        long idleTimeoutSeconds() default 7200;

        @AttributeDefinition(name = "Closed linger (s)", description = "How long closed and reset connections stay visible")
        long closedLingerSeconds() default 60;

        @AttributeDefinition(name = "Persist state", description = "Keep the table across an update or restart of the tracker bundle")
        boolean persistState() default true;
    }

    /** A parser and the one view the tracker uses with it. */
    private record ParserBinding(PacketParser parser, ParsedPacket view) {
    }

    private final ConnectionStore store;
    private final File stateFile;
    private final ScheduledExecutorService expiry;
    private final Map<PacketSource, PacketSubscription> subscriptions = new ConcurrentHashMap<>();
    private final PacketListener listener = this::onPacket;
    private volatile Config config;
    private volatile ParserBinding parser;

    @Activate
    public TrackerComponent(Config config, BundleContext context) {
        this.config = config;
        this.store = new ConnectionStore(endpointsOrNull(config), limits(config), System::nanoTime);
        this.stateFile = context.getDataFile(STATE_FILE);
        if (config.persistState()) {
            restoreState();
        }
        this.expiry = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "migware-tracker-expiry");
            thread.setDaemon(true);
            return thread;
        });
        expiry.scheduleWithFixedDelay(this::expireQuietly, 1, 1, TimeUnit.SECONDS);
    }

    @Modified
    void modified(Config newConfig) {
        this.config = newConfig;
        store.reconfigure(endpointsOrNull(newConfig), limits(newConfig));
    }

    @Deactivate
    void deactivate() {
        subscriptions.forEach((source, subscription) -> subscription.close());
        subscriptions.clear();
        expiry.shutdownNow();
        if (config.persistState()) {
            persistState();
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindPacketParser(PacketParser newParser) {
        parser = new ParserBinding(newParser, newParser.newView());
    }

    void unbindPacketParser(PacketParser oldParser) {
        ParserBinding current = parser;
        if (current != null && current.parser() == oldParser) {
            parser = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindPacketSource(PacketSource source) {
        subscriptions.computeIfAbsent(source, s -> {
            LOG.info("tracker: tracking {} from {}", store, s.name());
            return s.subscribe(listener);
        });
    }

    void unbindPacketSource(PacketSource source) {
        PacketSubscription subscription = subscriptions.remove(source);
        if (subscription != null) {
            subscription.close();
        }
    }

    private void onPacket(byte[] frame, int offset, int length, long timestampNanos) {
        ParserBinding binding = parser;
        if (binding == null) {
            store.countIgnored(ConnectionStore.Ignored.NO_PARSER);
            return;
        }
        store.accept(binding.view(), frame, offset, length, timestampNanos);
    }

    private static ServiceEndpoints endpointsOrNull(Config config) {
        if (config.addresses().length == 0 || config.ports().length == 0) {
            // Not configured yet (FileInstall may deliver etc/ a moment after start): no error.
            LOG.info("tracker: waiting for 'addresses' and 'ports' in org.migware.service; nothing is tracked until then");
            return null;
        }
        try {
            return ServiceEndpoints.parse(config.addresses(), config.ports());
        } catch (IllegalArgumentException e) {
            // One clear line naming the key; the tracker stays up and counts frames as not configured.
            LOG.error("tracker: configuration org.migware.service: {}; nothing is tracked until it is fixed", e.getMessage());
            return null;
        }
    }

    private static TrackerLimits limits(Config config) {
        try {
            return new TrackerLimits(config.maxConnections(), TimeUnit.SECONDS.toNanos(config.idleTimeoutSeconds()),
                    TimeUnit.SECONDS.toNanos(config.closedLingerSeconds()));
        } catch (IllegalArgumentException e) {
            TrackerLimits defaults = new TrackerLimits(200_000, TimeUnit.HOURS.toNanos(2), TimeUnit.MINUTES.toNanos(1));
            LOG.error("tracker: configuration org.migware.tracker: {}; using the defaults {}", e.getMessage(), defaults);
            return defaults;
        }
    }

    private void expireQuietly() {
        try {
            store.expire();
        } catch (RuntimeException e) {
            LOG.error("tracker: expiry sweep failed", e);
        }
    }

    private void restoreState() {
        if (stateFile == null || !stateFile.isFile()) {
            return;
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(stateFile.toPath())))) {
            StateCodec.Restored restored = StateCodec.read(in);
            store.restore(restored.connections(), restored.latestCaptureNanos(), restored.created());
            LOG.info("tracker: restored {} connections from {}", restored.connections().size(), stateFile);
        } catch (IOException | RuntimeException e) {
            LOG.error("tracker: could not restore the table from {} ({}); starting empty", stateFile, e.toString());
        } finally {
            // A state file is read once: a stale copy must never come back after a later restart.
            stateFile.delete();
        }
    }

    private void persistState() {
        if (stateFile == null) {
            return;
        }
        File temporary = new File(stateFile.getPath() + ".tmp");
        List<TrackedConnection> connections = store.connectionsForPersistence();
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(temporary.toPath())))) {
            synchronized (store) {
                StateCodec.write(out, connections, store.latestCaptureNanos(), store.created());
            }
        } catch (IOException e) {
            LOG.error("tracker: could not save the table to {} ({}); it will start empty", temporary, e.toString());
            return;
        }
        try {
            Files.move(temporary.toPath(), stateFile.toPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            LOG.info("tracker: saved {} connections to {}", connections.size(), stateFile);
        } catch (IOException e) {
            LOG.error("tracker: could not save the table to {} ({})", stateFile, e.toString());
        }
    }

    // ---- ConnectionTable ----

    @Override
    public int size() {
        return store.size();
    }

    @Override
    public List<ConnectionSnapshot> connections() {
        return store.snapshots();
    }

    @Override
    public Optional<ConnectionSnapshot> find(ConnectionKey key) {
        return store.find(key);
    }

    @Override
    public TableStatistics statistics() {
        return store.statistics();
    }
}
