package org.migware.tracker.internal;

import java.io.DataOutputStream;
import java.io.IOException;
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
import org.migware.api.state.DurableState;
import org.migware.api.sync.ConnectionImport;
import org.migware.api.sync.HandshakeOrigin;
import org.migware.api.sync.ImportOutcome;
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
@Component(service = {ConnectionTable.class, ConnectionImport.class}, configurationPid = ConfigurationPids.TRACKER, immediate = true)
@Designate(ocd = TrackerComponent.Config.class)
public final class TrackerComponent implements ConnectionTable, ConnectionImport {

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

        @AttributeDefinition(name = "Persist state", description = "Keep the table across an update or restart of the tracker"
                + " bundle, and across a crash or restart of the container (in the folder migware.state.dir)")
        boolean persistState() default true;

        @AttributeDefinition(name = "Snapshot interval (ms)", description = "How often the table is written to the state folder"
                + " while the container runs: after a crash, connections that began within the last interval are not known"
                + " (their handshake is missed); a table whose connections and their states did not change is written again"
                + " only once a minute; 0 writes it only when the tracker stops")
        long snapshotMillis() default 1000;
    }

    /** A parser and the one view the tracker uses with it. */
    private record ParserBinding(PacketParser parser, ParsedPacket view) {
    }

    private final ConnectionStore store;
    /** An unchanged set of connections is written again after this long (its counters move on). */
    private static final long REWRITE_UNCHANGED_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** The membership count and time of the last periodic snapshot; the snapshot thread's only. */
    private long snapshotChanges = -1;
    private long snapshotNanos;
    /** Where the table outlives this activation, and the container: null when it cannot be kept. */
    private final DurableState state;
    private final ScheduledExecutorService expiry;
    private final Map<PacketSource, PacketSubscription> subscriptions = new ConcurrentHashMap<>();
    private final SourceCoverage coverage = new SourceCoverage(System::nanoTime);
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
        this.state = config.persistState() ? stateFolder(context) : null;
        if (state != null) {
            restoreState();
        }
        this.expiry = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "migware-tracker-expiry");
            thread.setDaemon(true);
            return thread;
        });
        expiry.scheduleWithFixedDelay(this::expireQuietly, 1, 1, TimeUnit.SECONDS);
        if (state != null && config.snapshotMillis() > 0) {
            expiry.scheduleWithFixedDelay(this::snapshotQuietly, config.snapshotMillis(), config.snapshotMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    private static DurableState stateFolder(BundleContext context) {
        try {
            return DurableState.in(context.getProperty(DurableState.DIRECTORY_PROPERTY), context.getDataFile("").toPath());
        } catch (IOException | RuntimeException e) {
            LOG.error("tracker: no folder for the table's state ({}): a restart will start with an empty table", e.toString());
            return null;
        }
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
        if (state != null) {
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
            long gapMillis = coverage.subscribed();
            if (gapMillis >= 0) {
                LOG.warn("tracker: tracking {} from {} again after {} ms with no packet source ({} such gaps, {} ms in all):"
                        + " frames of that time were not seen", store, s.name(), gapMillis, coverage.gaps(), coverage.gapMillis());
            } else {
                LOG.info("tracker: tracking {} from {}", store, s.name());
            }
            return s.subscribe(listener);
        });
    }

    void unbindPacketSource(PacketSource source) {
        PacketSubscription subscription = subscriptions.remove(source);
        if (subscription != null) {
            subscription.close();
            coverage.unsubscribed();
            if (coverage.sources() == 0) {
                LOG.warn("tracker: no packet source ({} left): nothing is tracked until one comes", source.name());
            }
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

    /**
     * Takes the table the previous activation or container left, if any. The file stays: until
     * this activation's first snapshot replaces it, it is the best there is should this one crash
     * too. Every restored connection is picked up from its next segments (see ConnectionStore).
     */
    private void restoreState() {
        try {
            StateCodec.Restored restored = state.read(STATE_FILE, StateCodec::read);
            if (restored != null) {
                store.restore(restored.connections(), restored.latestCaptureNanos(), restored.created());
                LOG.info("tracker: restored {} connections from {}", restored.connections().size(), state.file(STATE_FILE));
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("tracker: could not restore the table from {} ({}); starting empty", state.file(STATE_FILE), e.toString());
        }
    }

    /**
     * The periodic snapshot. What a restart needs of a connection is its handshake (ISNs and
     * options never change; sequence numbers are picked up from the next segments), so a table
     * whose connections are the same as at the last snapshot is written again only every
     * {@link #REWRITE_UNCHANGED_NANOS}: with long-lived connections the capture thread then waits
     * for a copy of the table once a minute, not every second.
     */
    private void snapshotQuietly() {
        long changes = store.membershipChanges();
        long now = System.nanoTime();
        if (changes == snapshotChanges && now - snapshotNanos < REWRITE_UNCHANGED_NANOS) {
            return;
        }
        try {
            writeTable();
            snapshotChanges = changes;
            snapshotNanos = now;
        } catch (IOException | RuntimeException e) {
            // Said once per kind of failure would be nicer; a full disk says it every interval until fixed.
            LOG.error("tracker: could not write the table to {} ({}); a crash now would lose it", state.file(STATE_FILE), e.toString());
        }
    }

    private void persistState() {
        try {
            int written = writeTable();
            LOG.info("tracker: saved {} connections to {}", written, state.file(STATE_FILE));
        } catch (IOException | RuntimeException e) {
            LOG.error("tracker: could not save the table to {} ({}); it will start empty", state.file(STATE_FILE), e.toString());
        }
    }

    /**
     * Serialises the table under the store's lock, in memory (the capture thread waits for a copy,
     * never for the disk), then writes it whole.
     *
     * @return the number of connections written
     */
    private int writeTable() throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(Math.max(4096, store.size() * 192));
        int count;
        synchronized (store) {
            List<TrackedConnection> connections = store.connectionsForPersistence();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                StateCodec.write(out, connections, store.latestCaptureNanos(), store.created());
            }
            count = connections.size();
        }
        state.writeBytes(STATE_FILE, bytes);
        return count;
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
        return store.statistics().withCoverage(coverage.sources(), coverage.gaps(), coverage.gapMillis());
    }

    // ---- ConnectionImport: connections learnt through state sync ----

    @Override
    public ImportOutcome importHandshake(ConnectionSnapshot connection) {
        return store.importHandshake(connection);
    }

    @Override
    public boolean importClosed(ConnectionKey key, long clientInitialSequence) {
        return store.importClosed(key, clientInitialSequence);
    }

    @Override
    public Map<ConnectionKey, HandshakeOrigin> handshakeOrigins() {
        return store.handshakeOrigins();
    }

    @Override
    public long changeCount() {
        return store.membershipChanges();
    }
}
