package org.migware.tracker.internal;

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

import org.migware.api.config.ConfigurationPids;
import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.connection.ProtectedService;
import org.migware.api.connection.ServiceEndpoints;
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
import org.osgi.service.metatype.annotations.Designate;
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
 *
 * <p>The service's addresses and ports come from {@link ProtectedService}, a dynamic, greedy,
 * optional reference too: a changed service reaches the table through {@code updated} and an
 * absent one only stops tracking, so the table is never dropped for either.
 */
@Component(service = ConnectionTable.class, configurationPid = ConfigurationPids.TRACKER, immediate = true)
@Designate(ocd = TrackerComponent.Config.class)
public final class TrackerComponent implements ConnectionTable {

    private static final Logger LOG = LoggerFactory.getLogger(TrackerComponent.class);
    static final String STATE_FILE = "connections.state";

    /** The tracker's settings; the service's addresses and ports come from {@link ProtectedService}. */
    @ObjectClassDefinition(name = "MigWare connection tracker",
            description = "The connection table of the NORMAL state. The service's addresses and ports are in PID"
                    + " org.migware.service.")
    public @interface Config {

        @AttributeDefinition(name = "Table bound", description = "Connections kept before the least recently active are evicted")
        int maxConnections() default 200_000;

        @AttributeDefinition(name = "Idle timeout (s)", description = "A live connection silent this long is forgotten")
        long idleTimeoutSeconds() default 7200;

        @AttributeDefinition(name = "Closed linger (s)", description = "How long closed and reset connections stay visible")
        long closedLingerSeconds() default 60;

        @AttributeDefinition(name = "Half-open timeout (s)", description = "A connection whose handshake has not completed"
                + " is forgotten after this long (Linux's SYN-RECV gives up after 63 s); spoofed SYNs then cannot fill the table")
        long halfOpenTimeoutSeconds() default TrackerLimits.DEFAULT_HALF_OPEN_TIMEOUT_SECONDS;

        @AttributeDefinition(name = "Verify checksums", description = "Drop and count segments whose IPv4 header or TCP"
                + " checksum is wrong, as the primary's stack would")
        boolean verifyChecksums() default true;

        @AttributeDefinition(name = "Accept offloaded checksums", description = "Take a segment whose TCP checksum field holds"
                + " only the pseudo-header's sum (a sender with checksum offload, seen on a veth or a bridge; a segment merged by"
                + " GRO on the capturing interface), and count it")
        boolean acceptOffloadedChecksums() default true;

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
    private volatile TrackerLimits limits;
    private volatile ServiceEndpoints endpoints;
    private volatile ParserBinding parser;
    /** Whether the log already said that the capture carries partial checksums: once is enough. */
    private boolean offloadReported;

    @Activate
    public TrackerComponent(Config config, BundleContext context) {
        this.config = config;
        this.limits = limits(config);
        this.store = new ConnectionStore(null, limits, System::nanoTime);
        store.reconfigure(null, limits, integrity(config));
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

    /** After the references are bound: says so once when there is no service to track yet. */
    @Activate
    void activate() {
        if (endpoints == null) {
            logWaiting();
        }
    }

    @Modified
    synchronized void modified(Config newConfig) {
        this.config = newConfig;
        this.limits = limits(newConfig);
        store.reconfigure(endpoints, limits, integrity(newConfig));
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, updated = "updatedProtectedService")
    synchronized void bindProtectedService(ProtectedService service) {
        endpoints = service.endpoints();
        store.reconfigure(endpoints, limits);
    }

    /** The service's configuration changed: same table, new endpoints. */
    synchronized void updatedProtectedService(ProtectedService service) {
        bindProtectedService(service);
    }

    synchronized void unbindProtectedService(ProtectedService service) {
        endpoints = null;
        store.reconfigure(null, limits);
        logWaiting();
    }

    @Deactivate
    void deactivate() {
        subscriptions.forEach((source, subscription) -> subscription.close());
        subscriptions.clear();
        expiry.shutdownNow();
        if (store.offloadedChecksumsTaken() > 0) {
            LOG.info("tracker: {} segments were taken with partial (offloaded) checksums", store.offloadedChecksumsTaken());
        }
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

    private static void logWaiting() {
        // Not configured yet (FileInstall may deliver etc/ a moment after start), or withdrawn
        // because it is wrong (its owner has logged which key): no error here.
        LOG.info("tracker: waiting for 'addresses' and 'ports' in org.migware.service; nothing is tracked until then");
    }

    private static TrackerLimits limits(Config config) {
        try {
            return new TrackerLimits(config.maxConnections(), TimeUnit.SECONDS.toNanos(config.idleTimeoutSeconds()),
                    TimeUnit.SECONDS.toNanos(config.closedLingerSeconds()), TimeUnit.SECONDS.toNanos(config.halfOpenTimeoutSeconds()));
        } catch (IllegalArgumentException e) {
            TrackerLimits defaults = new TrackerLimits(200_000, TimeUnit.HOURS.toNanos(2), TimeUnit.MINUTES.toNanos(1));
            LOG.error("tracker: configuration " + ConfigurationPids.TRACKER + ": {}; using the defaults {}", e.getMessage(), defaults);
            return defaults;
        }
    }

    private static FrameIntegrity integrity(Config config) {
        return new FrameIntegrity(config.verifyChecksums(), config.acceptOffloadedChecksums());
    }

    private void expireQuietly() {
        try {
            store.expire();
            reportOffloadedChecksumsOnce();
        } catch (RuntimeException e) {
            LOG.error("tracker: expiry sweep failed", e);
        }
    }

    private void reportOffloadedChecksumsOnce() {
        long taken = store.offloadedChecksumsTaken();
        if (!offloadReported && taken > 0) {
            offloadReported = true;
            LOG.info("tracker: the capture carries segments with partial (offloaded) TCP checksums, which cannot be verified;"
                    + " taken as the receiving stack takes them ({} so far; acceptOffloadedChecksums=false refuses them)", taken);
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
