package org.migware.proxy.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.migware.api.connection.ConnectionTable;
import org.migware.api.config.ConfigurationPids;
import org.migware.api.connection.ProtectedService;
import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverListener;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.KeptConnection;
import org.migware.api.failover.MappingSnapshot;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.MigrationStatus;
import org.migware.api.failover.RecoveryHandle;
import org.migware.api.failover.ReplicaReadiness;
import org.migware.api.packet.PacketListener;
import org.migware.api.packet.PacketParser;
import org.migware.api.packet.PacketSender;
import org.migware.api.packet.PacketSource;
import org.migware.api.packet.PacketSubscription;
import org.migware.api.state.DurableState;
import org.migware.proxy.internal.mapping.MappingExpiry;
import org.migware.proxy.internal.keeper.ClientStreamKeeper;
import org.migware.proxy.internal.keeper.IdleExpiry;
import org.migware.proxy.internal.keeper.TableTracker;
import org.migware.proxy.internal.keeper.RecordFraming;
import org.migware.proxy.internal.keeper.ReplayKeeper;
import org.migware.proxy.internal.replay.ChunkPool;
import org.migware.proxy.internal.replay.DeliveryPolicy;
import org.migware.proxy.internal.recovery.ReplicaAcceptQueue;
import org.migware.proxy.internal.recovery.ReplicaReadinessProbe;
import org.migware.proxy.internal.recovery.ShadowEndpoints;
import org.migware.proxy.internal.recorder.FlightRecorder;
import org.migware.proxy.internal.recorder.FrameRing;
import org.migware.proxy.internal.state.HandshakeJournal;
import org.migware.proxy.internal.state.StreamsCodec;
import org.migware.proxy.internal.wire.Ipv4Address;
import org.migware.proxy.internal.wire.PacketPort;
import org.migware.proxy.internal.wire.ShadowNetwork;
import org.migware.proxy.internal.wire.ReopeningTun;
import org.migware.proxy.internal.wire.TunBatch;
import org.migware.proxy.internal.wire.TunDevice;
import org.migware.proxy.internal.wire.TunUnavailableException;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The migration bundle's component: at start it opens the TUN and routes the shadow network
 * through it (so the first forged packet does not pay JNA's warm-up), and when the core moves
 * to RECOVERY it re-creates every tracked connection against the replica and from then on
 * translates both directions; it reports the end of recovery through the {@link RecoveryHandle}
 * the core's event carries, and the core moves to PROXY. It needs no reference to the core, so
 * the core may list it among its failover listeners without a cycle.
 *
 * <p>It needs a configuration (the replica's address) and does nothing without one: a
 * container that only watches never opens a TUN.
 */
// Ranked first among the failover's listeners: the core tells them one after the other, and the
// recovery must not wait for the history's or the notify command's work.
@Component(service = {FailoverListener.class, MigrationStatus.class}, configurationPid = ConfigurationPids.PROXY,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
        property = org.osgi.framework.Constants.SERVICE_RANKING + ":Integer=" + ProxyComponent.FAILOVER_LISTENER_RANKING)
@Designate(ocd = ProxyComponent.Config.class)
public final class ProxyComponent implements FailoverListener, MigrationStatus {

    /** The proxy's service.ranking: told of a failover before any other listener. */
    static final int FAILOVER_LISTENER_RANKING = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(ProxyComponent.class);

    /** Where the replica is and how the forged handshakes are paced. */
    @ObjectClassDefinition(name = "MigWare proxy")
    public @interface Config {

        @AttributeDefinition(name = "Replica address", description = "The replica's IPv4 address on this host (the backup's own address). Required.")
        String replicaAddress();

        @AttributeDefinition(name = "Replica port", description = "The replica's port; 0: the service's own port")
        int replicaPort() default 0;

        @AttributeDefinition(name = "TUN device", description = "Name of the TUN device MigWare creates")
        String tunName() default "mig0";

        @AttributeDefinition(name = "Shadow network", description = "The prefix routed through the TUN from which every re-created connection gets its own client-side address; never a local address")
        String shadowNetwork() default ShadowNetwork.DEFAULT;

        @AttributeDefinition(name = "Handshakes in flight", description = "Forged handshakes outstanding at once, so that the replica's listen backlog never overflows")
        int handshakesInFlight() default 64;

        @AttributeDefinition(name = "SYN retry (ms)", description = "How long the first forged SYN may go unanswered or refused before"
                + " it is sent again; each further wait doubles, up to 3.2 s")
        long synRetryMillis() default 200;

        @AttributeDefinition(name = "SYN attempts", description = "Forged SYNs per connection before it counts as failed (6: the last"
                + " goes 6.2 s after the first)")
        int synAttempts() default 6;

        @AttributeDefinition(name = "Record framing", description = "How the service cuts the client's stream into records:"
                + " none, newline, length-prefixed-2 or length-prefixed-4 (a big-endian length, then that many bytes)."
                + " With a framing, the replica's application gets the whole record in progress at failover instead of its torn tail",
                options = {
                    @Option(label = "none", value = "none"),
                    @Option(label = "newline", value = "newline"),
                    @Option(label = "length-prefixed-2", value = "length-prefixed-2"),
                    @Option(label = "length-prefixed-4", value = "length-prefixed-4")})
        String framing() default "none";

        @AttributeDefinition(name = "Bytes kept per connection", description = "The most client bytes kept per connection"
                + " before failover (unacknowledged bytes and the record head); 0 keeps none")
        int keepBytesPerConnection() default 4 << 20;

        @AttributeDefinition(name = "Connections kept", description = "The most connections whose client bytes are kept")
        int keepConnections() default 200_000;

        @AttributeDefinition(name = "Kept idle (s)", description = "Before failover: how long a connection's kept stream (its"
                + " client bytes, and with replay or auto its whole stream) may see no frame either way before it is freed and"
                + " counted (keptExpired in migware:status --json, migware_kept_connections_expired_total), when the tracker does"
                + " not hold the connection as live: it holds it closed, or no tracker runs. A stream whose connection the tracker"
                + " holds as live is never freed; one the tracker no longer holds is freed after 5 s of silence, since it can"
                + " never be re-created at a failover. 7200 s: the tracker's own idle timeout")
        long keepIdleSeconds() default 7200;

        @AttributeDefinition(name = "Kept half-open (s)", description = "The same for a connection whose client sent nothing"
                + " after its SYN (a spoofed SYN, a client gone in its handshake). 63 s: the tracker's own half-open timeout,"
                + " when Linux's SYN-RECV gives up")
        long keepHalfOpenSeconds() default 63;

        @AttributeDefinition(name = "Mappings", description = "The most connections carried or passed through in PROXY; a new"
                + " connection beyond it is refused (its SYN dropped and counted; the client retries). No carried connection is"
                + " ever ended to make room")
        int maxMappings() default 250_000;

        @AttributeDefinition(name = "Half-open (s)", description = "How long a connection opened in PROXY may wait for its"
                + " client's first segment after the SYN before its mapping ends (a spoofed SYN, a client gone)")
        int halfOpenSeconds() default 60;

        @AttributeDefinition(name = "Idle (s)", description = "How long a mapping may see no segment either way before it ends"
                + " (5 days: conntrack's timeout for an established connection)")
        long mappingIdleSeconds() default 432_000;

        @AttributeDefinition(name = "Delivery", description = "What the replica's application receives of a carried connection:"
                + " resume (from the primary's last acknowledgement on, the thesis's behaviour), replay (the client's whole stream;"
                + " the replica's output up to what the client holds is checked against the primary's and dropped), or auto"
                + " (replay where the whole client stream was kept, resume otherwise). A port of its own: delivery.<port> = ...",
                options = {
                    @Option(label = "resume", value = "resume"),
                    @Option(label = "replay", value = "replay"),
                    @Option(label = "auto", value = "auto")})
        String delivery() default "resume";

        @AttributeDefinition(name = "Replay bytes per connection", description = "With replay or auto: the most bytes kept off-heap"
                + " per connection (its client stream from the SYN, the server's unacknowledged flight, the server stream's digest);"
                + " a connection that outgrows it is not replayable")
        int replayBytesPerConnection() default 16 << 20;

        @AttributeDefinition(name = "Replay bytes in total", description = "With replay or auto: the most bytes kept off-heap for"
                + " all connections together; connections that find it full are not replayable")
        long replayBytesTotal() default 1L << 30;

        @AttributeDefinition(name = "State snapshot interval (ms)", description = "In RECOVERY and PROXY, how often the mappings"
                + " are written to the state folder (migware.state.dir), so that a crash or restart of the container carries on with"
                + " the same connections; 0 writes them only when the proxy stops")
        long stateSnapshotMillis() default 1000;

        @AttributeDefinition(name = "Replay chunk bytes", description = "The size of each off-heap chunk (a multiple of 4096):"
                + " every replayable connection holds at least one for its client stream")
        int replayChunkBytes() default 16 << 10;

        @AttributeDefinition(name = "Direct path", description = "After a failover, once this host owns the service address"
                + " (keepalived made it the VRRP master): new connections go to the kernel directly, and the carried connections'"
                + " segments are kept from the local stack by an nftables set (nftTable); when none remain, MigWare leaves PROXY"
                + " for NORMAL, serving. Needs nftables and CAP_NET_ADMIN")
        boolean directPath() default false;

        @AttributeDefinition(name = "nftables table", description = "With the direct path: the table (family ip) MigWare owns"
                + " for its set 'carried' and its chain 'carried'")
        String nftTable() default "migware";

        @AttributeDefinition(name = "nft binary", description = "With the direct path: the nft program")
        String nftBinary() default "nft";

        @AttributeDefinition(name = "keepalived track file", description = "With the direct path: the keepalived track_file"
                + " (weight 0) MigWare writes: 1 holds this host's VRRP instance in FAULT until MigWare decides a failover, 0 lets"
                + " keepalived take the service address once the carried connections are in the nftables set. Empty: keepalived"
                + " is not joined")
        String keepalivedTrackFile() default "";

        @AttributeDefinition(name = "Direct path round (ms)", description = "With the direct path: how often the nftables set,"
                + " the track file and the service address are looked at")
        long directPathMillis() default 50;
    }

    private final PacketParser parser;
    private final ReopeningTun tun;
    private final MigrationEngine engine;
    private final ClientStreamKeeper keeper;
    private final Thread tunReader;
    /** The direct path after a failover; null unless configured (and the engine is there). */
    private final org.migware.proxy.internal.direct.DirectPathRunner directPath;
    private final Thread pacer;
    /** Guards writing the mappings' file; taken after the engine's lock, never before it. */
    private final Object mappingsWrite = new Object();
    /** Snapshots of the mappings serialised so far; guarded by the engine's lock. */
    private long mappingsSerialized;
    /** The newest snapshot written to the file; guarded by {@link #mappingsWrite}. */
    private long mappingsWritten;
    /** The snapshot buffer, kept for the next snapshot; null while one is being written. */
    private final java.util.concurrent.atomic.AtomicReference<java.io.ByteArrayOutputStream> snapshotBuffer =
            new java.util.concurrent.atomic.AtomicReference<>();
    private volatile boolean running = true;
    private volatile ConnectionTable table;
    private volatile PacketSender sender;
    private volatile PacketSubscription subscription;
    private volatile PacketSource source;
    /** The recorder behind migware:pcap, when configured. */
    private volatile FlightRecorder recorder;
    private final PacketListener listener = this::onCapturedFrame;
    /** The tracker's table as the keeper's idle sweep asks it. */
    private final IdleExpiry.Tracker tracker = new TableTracker(() -> table);
    /** Why there is no engine, as the log says it. */
    private final String unavailable;
    /** Why there is no engine, as {@code migware:status} shows it. */
    private final MigrationProgress withoutEngine;
    /** Where the end of recovery is reported: the last RECOVERY or PROXY event's; {@code null} until one arrives. */
    private volatile RecoveryHandle recoveryHandle;

    /** No replica configured (the shipped etc/org.migware.proxy.cfg, all comments): MigWare watches only. */
    private static final String NOT_CONFIGURED = "not configured (etc/org.migware.proxy.cfg: 'replicaAddress' is not set):"
            + " connections will not be migrated at failover";
    /** Where the mappings outlive this activation and the container; null when there is no usable folder. */
    private final DurableState state;
    /**
     * Writes the mappings every {@code stateSnapshotMillis} while the engine is active, and frees
     * the keeper's silent streams every second before it is.
     */
    private final java.util.concurrent.ScheduledExecutorService snapshots;
    private final long snapshotMillis;
    /** The replica's SYN-ACKs since the last snapshot; null without a state folder or an engine. */
    private final HandshakeJournal journal;
    private final ProtectedService service;
    private final int replicaPort;
    /** The mappings, in RECOVERY and PROXY: rewritten while they change, read at every start. */
    private static final String STATE_FILE = "mappings.state";
    /** The clients' kept streams: written when the bundle stops in NORMAL, read by the next activation only. */
    private static final String KEEPER_FILE = "streams.state";
    private static final long QUEUED_PACE_NANOS = 200_000;
    /** The pacer's tick while handshakes, waits or hand-overs are outstanding: their timers count in milliseconds. */
    private static final long RETRY_PACE_NANOS = 1_000_000;
    /** Its tick once nothing is outstanding: only expiries in seconds are left. */
    private static final long SETTLED_PACE_NANOS = 10_000_000;
    /** How often the keeper's silent streams are looked for; a stream's silence is known to within it. */
    private static final long KEEPER_SWEEP_SECONDS = 1;

    @Activate
    public ProxyComponent(Config config, Map<String, Object> properties, @Reference PacketParser parser,
            @Reference(policyOption = ReferencePolicyOption.GREEDY) ProtectedService service, BundleContext context) {
        this.parser = parser;
        this.state = stateFolder(context);
        this.snapshotMillis = config.stateSnapshotMillis();
        this.service = service;
        this.replicaPort = config.replicaPort();
        ReopeningTun opened = null;
        MigrationEngine created = null;
        ClientStreamKeeper kept = null;
        String problem = null;
        MigrationProgress idle = null;
        if (config.replicaAddress() == null || config.replicaAddress().isBlank()) {
            problem = NOT_CONFIGURED;
            idle = MigrationProgress.notConfigured();
            LOG.info("proxy: {}", NOT_CONFIGURED);
        } else {
            try {
                int replica = Ipv4Address.parse(config.replicaAddress());
                ShadowNetwork network = ShadowNetwork.parse(config.shadowNetwork());
                RecordFraming framing = RecordFraming.parse(config.framing());
                DeliveryPolicy delivery = DeliveryPolicy.parse(config.delivery(), properties);
                ReplayKeeper replay = !delivery.anyReplay() ? null
                        : new ReplayKeeper(delivery, new ChunkPool(config.replayChunkBytes(), config.replayBytesTotal()),
                                config.replayBytesPerConnection(), Math.max(0, config.keepConnections()));
                kept = new ClientStreamKeeper(framing, Math.max(0, config.keepBytesPerConnection()), Math.max(0, config.keepConnections()),
                        service::endpoints, parser.newView(), replay,
                        new IdleExpiry.Bounds(TimeUnit.SECONDS.toNanos(Math.max(1, config.keepIdleSeconds())),
                                TimeUnit.SECONDS.toNanos(Math.max(1, config.keepHalfOpenSeconds()))),
                        System::nanoTime);
                LOG.info("proxy: delivery {}{}", delivery.describe(), replay == null ? ""
                        : " (kept for replay: at most " + config.replayBytesPerConnection() + " bytes per connection, "
                                + replay.pool().bytesLimit() + " in total)");
                opened = new ReopeningTun(() -> TunDevice.open(config.tunName(), network));
                created = new MigrationEngine(
                        new MigrationEngine.Settings(replica, config.replicaPort(), Math.max(1, config.handshakesInFlight()),
                                TimeUnit.MILLISECONDS.toNanos(Math.max(1, config.synRetryMillis())), Math.max(1, config.synAttempts()),
                                new MappingExpiry.Bounds(Math.max(1, config.maxMappings()),
                                        TimeUnit.SECONDS.toNanos(Math.max(1, config.halfOpenSeconds())),
                                        TimeUnit.SECONDS.toNanos(Math.max(1, config.mappingIdleSeconds())))),
                        new ShadowEndpoints(network.network(), network.prefixLength()), kept,
                        recordedTun(opened), this::sendToWire,
                        parser.newRewritableView(), parser.newRewritableView(), System::nanoTime, System::currentTimeMillis);
            } catch (TunUnavailableException | IllegalArgumentException e) {
                problem = "unavailable: " + e.getMessage();
                idle = MigrationProgress.unavailable(e.getMessage());
                // One clear line: failover will be refused with the same reason.
                LOG.error("proxy: cannot prepare migration ({}); connections will NOT be migrated at failover", e.getMessage());
                if (opened != null) {
                    opened.close();
                    opened = null;
                }
                created = null;
                kept = null;
            }
        }
        HandshakeJournal handshakes = null;
        if (created != null) {
            created.replicaAcceptQueue(new ReplicaAcceptQueue()::waiting);
            if (state != null) {
                handshakes = new HandshakeJournal(state.directory());
                created.journal(handshakes);
            }
        }
        this.journal = handshakes;
        this.tun = opened;
        this.engine = created;
        this.keeper = kept;
        this.unavailable = problem;
        this.withoutEngine = idle;
        this.directPath = engine == null || !config.directPath() ? null
                : new org.migware.proxy.internal.direct.DirectPathRunner(new EngineCarried(engine, () -> table), config.nftBinary(), config.nftTable(),
                        config.keepalivedTrackFile(), () -> service.endpoints().anyAddressLocal(),
                        this::reportDrained, config.directPathMillis());
        this.tunReader = new Thread(this::readTun, "migware-proxy-tun");
        this.pacer = new Thread(this::paceRecovery, "migware-proxy-recovery");
        this.snapshots = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "migware-proxy-state");
            thread.setDaemon(true);
            return thread;
        });
        if (engine != null && state != null && snapshotMillis > 0) {
            snapshots.scheduleWithFixedDelay(this::snapshotMappings, snapshotMillis, snapshotMillis, TimeUnit.MILLISECONDS);
        }
        if (keeper != null) {
            // The keeper's idle sweep runs before the failover on the proxy's one periodic thread, the mappings' snapshots after it.
            snapshots.scheduleWithFixedDelay(this::expireKeptStreams, KEEPER_SWEEP_SECONDS, KEEPER_SWEEP_SECONDS, TimeUnit.SECONDS);
        }
        if (engine != null) {
            tunReader.setDaemon(true);
            pacer.setDaemon(true);
            restoreMappings();
            restoreStreams();
            tunReader.start();
            if (directPath != null) {
                directPath.start(); // after the restore: see DirectPathRunner.start
            }
        }
    }

    private static DurableState stateFolder(BundleContext context) {
        try {
            return DurableState.in(context.getProperty(DurableState.DIRECTORY_PROPERTY), context.getDataFile("").toPath());
        } catch (IOException | RuntimeException e) {
            LOG.error("proxy: no folder for the mappings' state ({}): a restart in PROXY would lose the migrated connections",
                    e.toString());
            return null;
        }
    }

    /**
     * Carries on with the connections of the previous activation or container, if it left any: the
     * bundle was updated or restarted, or the container crashed or restarted, in RECOVERY or PROXY.
     * The file stays: a second crash before this activation's first snapshot must find it again.
     * It is removed when the proxy stops with the engine idle (NORMAL), so a later start never
     * proxies stale mappings.
     */
    private void restoreMappings() {
        if (state == null) {
            return;
        }
        try {
            Integer restored = state.read(STATE_FILE, in -> engine.restore(in, this::reportRecoveryFinished));
            if (restored != null) {
                int replayed = engine.replayJournal();
                LOG.warn("proxy: carrying on with {} mappings kept in {} across a restart ({} handshakes completed since taken"
                        + " from the journal)", restored, state.file(STATE_FILE), replayed);
                // Retries, and the removal of closed connections' mappings, are the pacer's.
                pacer.start();
            } else {
                clearJournal(); // handshakes of a migration that is over (or never had its first snapshot)
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("proxy: the mappings kept in {} are unreadable ({}): the migrated connections are lost",
                    state.file(STATE_FILE), e.toString());
        }
    }

    /**
     * Carries on with the clients' streams kept before this activation, if the previous one left
     * them (the bundle was updated in NORMAL), unless mappings were restored instead. Read once:
     * they are current only for the activation right after the one that wrote them.
     */
    private void restoreStreams() {
        if (state == null) {
            return;
        }
        try {
            Integer kept = state.read(KEEPER_FILE, in -> engine.active() ? null : StreamsCodec.read(in, keeper));
            if (kept != null) {
                LOG.info("proxy: carrying on with {} client streams kept across the restart of the proxy bundle", kept);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("proxy: the client streams kept across the restart are not usable ({}): they are followed from their"
                    + " next segment on (a record in progress at failover may reach the replica torn)", e.toString());
        } finally {
            deleteQuietly(KEEPER_FILE);
        }
    }

    private void saveStreams() {
        try {
            state.write(KEEPER_FILE, out -> StreamsCodec.write(out, keeper));
            LOG.info("proxy: {} client streams kept in {} for the next activation", keeper.connections(), state.file(KEEPER_FILE));
        } catch (IOException e) {
            LOG.warn("proxy: cannot keep the client streams across this restart ({}): they are followed from their next segment on",
                    e.toString());
        }
    }

    private void saveMappings() {
        try {
            int unfinished = writeMappings();
            if (unfinished > 0) {
                LOG.warn("proxy: {} replayed connections still catching up are not kept across this restart: their clients will be reset",
                        unfinished);
            }
            LOG.info("proxy: mappings kept in {} for the next activation: {}", state.file(STATE_FILE), engine.summary());
        } catch (IOException e) {
            LOG.error("proxy: cannot keep the mappings across this restart ({}): the migrated connections will be lost", e.toString());
        }
    }

    /** The periodic snapshot, in RECOVERY and PROXY: what a crash of the container would find. */
    private void snapshotMappings() {
        if (!engine.active()) {
            return;
        }
        try {
            writeMappings();
        } catch (IOException | RuntimeException e) {
            LOG.error("proxy: cannot write the mappings to {} ({}): a crash now would lose connections migrated since the last write",
                    state.file(STATE_FILE), e.toString());
        }
    }

    /**
     * Serialises the mappings under the engine's lock, in memory, and writes them outside it.
     *
     * <p>One lock order, the engine's first: recovery's checkpoint ({@link #checkpointBeforeRecovery})
     * runs under the engine's lock and then writes, so a writer that held a lock of its own while it
     * waited for the engine's would deadlock with it (it did: the periodic snapshot, between
     * recovery setting the engine active and its checkpoint, froze a failover of 10,000 connections
     * with delivery auto). Each snapshot is numbered under the engine's lock, and an older one never
     * replaces a newer one on disk.
     *
     * @return the replayed connections still catching up, which are not written
     */
    private int writeMappings() throws IOException {
        return writeMappings(DurableState.Survives.HOST_CRASH);
    }

    private int writeMappings(DurableState.Survives survives) throws IOException {
        // One buffer kept from snapshot to snapshot (a second snapshot at the same time gets its own): at
        // 10,000 mappings a new one grew by copies into a large object every second, and its collection
        // paused every thread 11-12 ms.
        java.io.ByteArrayOutputStream kept = snapshotBuffer.getAndSet(null);
        java.io.ByteArrayOutputStream bytes = kept != null ? kept : new java.io.ByteArrayOutputStream(64 * 1024);
        bytes.reset();
        MigrationEngine.Saved saved;
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            // the engine takes its lock part by part (MigrationEngine#save), never the whole time
            saved = engine.save(out, () -> ++mappingsSerialized);
        }
        long number = saved.number();
        try {
            writeNewest(bytes, saved, number, survives);
        } finally {
            snapshotBuffer.set(bytes);
        }
        return saved.unfinished();
    }

    private void writeNewest(java.io.ByteArrayOutputStream bytes, MigrationEngine.Saved saved, long number, DurableState.Survives survives)
            throws IOException {
        synchronized (mappingsWrite) {
            if (number > mappingsWritten) {
                state.writeBytes(STATE_FILE, bytes, survives);
                mappingsWritten = number;
                if (journal != null) {
                    journal.retire(saved.journalCovered());
                }
            }
        }
    }

    /**
     * The mappings as recovery starts, before the first forged SYN: a crash during recovery then
     * finds every connection with its shadow endpoint, and the journal the handshakes completed.
     */
    private void checkpointBeforeRecovery() {
        if (state == null) {
            return;
        }
        try {
            // Not synced: it is written under the engine's lock before the first forged SYN, and it must survive
            // MigWare's crash, which the page cache does; a crash of the host ends the replica's connections
            // anyway (as for the handshake journal). The periodic snapshots after it are synced.
            writeMappings(DurableState.Survives.PROCESS_CRASH);
        } catch (IOException | RuntimeException e) {
            LOG.error("proxy: cannot write the mappings before recovery ({}): a crash during recovery would lose them", e.toString());
        }
    }

    private void clearJournal() {
        if (journal == null) {
            return;
        }
        try {
            journal.clear();
        } catch (IOException e) {
            LOG.warn("proxy: cannot remove the handshake journal in {}: {}", state.directory(), e.toString());
        }
    }

    private void deleteQuietly(String name) {
        try {
            state.delete(name);
        } catch (IOException e) {
            LOG.warn("proxy: cannot remove {}: {}", state.file(name), e.toString());
        }
    }

    @Deactivate
    void deactivate() {
        running = false;
        PacketSubscription current = subscription;
        if (current != null) {
            current.close();
        }
        pacer.interrupt();
        snapshots.shutdownNow();
        if (directPath != null) {
            directPath.close();
        }
        try {
            pacer.join(1000);
            snapshots.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // The TUN first: once its reader has stopped, nothing changes the mappings while they are written.
        if (tun != null) {
            tun.close();
        }
        if (state == null) {
            return;
        }
        if (engine != null && engine.active()) {
            saveMappings();
        } else if (keeper != null) {
            saveStreams();
            deleteQuietly(STATE_FILE);
            clearJournal();
        }
        if (journal != null) {
            journal.close();
        }
    }

    /**
     * Tells the core that RECOVERY is over, through the handle of its last RECOVERY or PROXY
     * event. Without one yet (the engine was restored before the core told its state), the core
     * tells this listener its state when it binds it, and {@link #stateChanged} reports then.
     */
    private void reportRecoveryFinished(String summary) {
        report(summary, engine.progress());
    }

    private void report(String summary, MigrationProgress progress) {
        RecoveryHandle handle = recoveryHandle;
        if (handle == null) {
            LOG.warn("proxy: recovery finished ({}) but the core is not running to move on to PROXY; it is told when it is back", summary);
        } else {
            handle.finished(progress);
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindConnectionTable(ConnectionTable newTable) {
        table = newTable;
    }

    void unbindConnectionTable(ConnectionTable oldTable) {
        if (table == oldTable) {
            table = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindPacketSender(PacketSender newSender) {
        sender = newSender;
    }

    void unbindPacketSender(PacketSender oldSender) {
        if (sender == oldSender) {
            sender = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    synchronized void bindPacketSource(PacketSource newSource) {
        PacketSubscription old = subscription;
        source = newSource;
        subscription = newSource.subscribe(listener);
        if (old != null) {
            old.close();
        }
    }

    synchronized void unbindPacketSource(PacketSource oldSource) {
        if (source == oldSource) {
            PacketSubscription old = subscription;
            subscription = null;
            source = null;
            if (old != null) {
                old.close();
            }
        }
    }

    @Override
    public void stateChanged(FailoverEvent event) {
        if (directPath != null) {
            directPath.coreState(event.to());
        }
        if (event.to() != FailoverState.NORMAL && event.recovery() != null) {
            recoveryHandle = event.recovery();
        }
        if (event.to() != FailoverState.RECOVERY) {
            return;
        }
        if (engine != null && engine.active()) {
            // A core restarted in RECOVERY tells every listener where it stands; this migration is
            // already under way (kept across a restart of either bundle) and reports when done.
            if (engine.recoveryFinished()) {
                reportRecoveryFinished(engine.summary());
            }
            return;
        }
        if (engine == null) {
            LOG.error("proxy: failover at {} but no connection is migrated: {}", event.time(), unavailable);
            return;
        }
        ConnectionTable current = table;
        if (current == null) {
            LOG.error("proxy: failover at {} but the tracker is not running: no connection to migrate", event.time());
            String nothing = "nothing to recover: no connection table";
            report(nothing, MigrationProgress.unavailable(nothing));
            return;
        }
        LOG.warn("proxy: failover at {}: re-creating {} tracked connections against the replica", event.time(), current.size());
        engine.startRecovery(current.connections(), this::reportRecoveryFinished, this::checkpointBeforeRecovery);
        java.util.concurrent.locks.LockSupport.unpark(pacer); // from its settled tick to recovery's
        if (!pacer.isAlive()) {
            pacer.start();
        }
    }

    @Override
    public MigrationProgress progressSnapshot() {
        if (engine == null) {
            return withoutEngine;
        }
        return directPath == null ? engine.progress() : engine.progress().withDirectPath(directPath.status());
    }

    /** @return whether a core was there to tell that the carried connections drained */
    private boolean reportDrained(MigrationProgress progress) {
        RecoveryHandle handle = recoveryHandle;
        if (handle == null) {
            return false;
        }
        handle.drained(progress);
        return true;
    }

    /** What the direct path sees of the engine. */
    private static final class EngineCarried implements org.migware.proxy.internal.direct.CarriedConnections {
        private final MigrationEngine engine;
        private final java.util.function.Supplier<ConnectionTable> table;

        EngineCarried(MigrationEngine engine, java.util.function.Supplier<ConnectionTable> table) {
            this.engine = engine;
            this.table = table;
        }

        @Override
        public boolean active() {
            return engine.active();
        }

        @Override
        public boolean recoveryFinished() {
            return engine.recoveryFinished();
        }

        @Override
        public java.util.List<org.migware.proxy.internal.direct.CarriedTuple> carried() {
            return engine.carriedTuples();
        }

        @Override
        public java.util.List<org.migware.proxy.internal.direct.CarriedTuple> toTakeOver() {
            ConnectionTable current = table.get();
            java.util.List<org.migware.proxy.internal.direct.CarriedTuple> tuples = new java.util.ArrayList<>();
            if (current != null) {
                for (org.migware.api.connection.ConnectionSnapshot c : current.connections()) {
                    org.migware.proxy.internal.direct.CarriedTuple tuple = org.migware.proxy.internal.direct.CarriedTuple.of(c);
                    if (tuple != null && (c.state() == org.migware.api.connection.TcpState.ESTABLISHED
                            || c.state() == org.migware.api.connection.TcpState.CLOSING)) {
                        tuples.add(tuple);
                    }
                }
            }
            return tuples;
        }

        @Override
        public void serviceAddressLocal(boolean local) {
            engine.serviceAddressLocal(local);
        }

        @Override
        public MigrationProgress progress() {
            return engine.progress();
        }
    }

    @Override
    public java.util.List<MappingSnapshot> mappingSnapshots() {
        return engine == null ? java.util.List.of() : engine.mappingSnapshots();
    }

    @Override
    public java.util.List<KeptConnection> keptConnections() {
        return engine == null ? java.util.List.of() : engine.keptConnections();
    }

    @Override
    public Optional<ReplicaReadiness> replicaReadiness() {
        if (engine == null) {
            return Optional.empty();
        }
        // A queue of its own: the pacer's remembers where its port's listeners are and is not shared.
        return Optional.of(new ReplicaReadinessProbe().probe(tun.name(), service.endpoints().ports(),
                servicePort -> replicaPort == 0 ? servicePort : replicaPort, new ReplicaAcceptQueue()));
    }

    /** The keeper's idle sweep; its failures are logged, never thrown at the executor (which would stop the sweep). */
    private void expireKeptStreams() {
        try {
            if (engine.active()) {
                return; // recovery owns the streams (the keeper checks again under its lock)
            }
            int freed = keeper.expireIdle(tracker);
            if (freed > 0) {
                LOG.debug("proxy: {} kept streams of silent or untracked connections freed ({} since start)", freed, keeper.expiredIdle());
            }
        } catch (RuntimeException e) {
            LOG.error("proxy: the kept streams' idle sweep failed", e);
        }
    }

    private void onCapturedFrame(byte[] frame, int offset, int length, long timestampNanos) {
        MigrationEngine current = engine;
        if (current == null) {
            return;
        }
        FlightRecorder frames = recorder;
        if (frames != null) {
            frames.record(FrameRing.Side.WIRE_CAPTURED, frame, offset, length, timestampNanos);
        }
        if (current.active()) {
            current.fromClient(frame, offset, length);
        } else {
            keeper.observe(frame, offset, length);
        }
    }

    private void sendToWire(byte[] frame, int offset, int length) throws IOException {
        PacketSender current = sender;
        if (current == null) {
            throw new IOException("no packet sender (capture-pcap4j) is running");
        }
        current.send(frame, offset, length);
        FlightRecorder frames = recorder;
        if (frames != null) {
            frames.record(FrameRing.Side.WIRE_SENT, frame, offset, length, 0);
        }
    }

    /** The TUN as the engine writes to it, each packet also recorded when the recorder runs. */
    private PacketPort recordedTun(ReopeningTun tun) {
        return (packet, offset, length) -> {
            tun.write(packet, offset, length);
            FlightRecorder frames = recorder;
            if (frames != null) {
                frames.record(FrameRing.Side.TUN_TO_REPLICA, packet, offset, length, 0);
            }
        };
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindFlightRecorder(FlightRecorder newRecorder) {
        newRecorder.mappingsFrom(this::mappingSnapshots);
        recorder = newRecorder;
    }

    void unbindFlightRecorder(FlightRecorder oldRecorder) {
        oldRecorder.mappingsFrom(null);
        if (recorder == oldRecorder) {
            recorder = null;
        }
    }

    private void readTun() {
        // Every packet the kernel has queued, up to a batch, then the engine's lock once for all of them.
        TunBatch batch = new TunBatch();
        while (running) {
            try {
                // a failed TUN is opened again inside read: -1 only once it is closed for good
                int count = batch.fill(tun);
                if (count < 0) {
                    return;
                }
                FlightRecorder frames = recorder;
                if (frames != null) {
                    for (int i = 0; i < count; i++) {
                        frames.record(FrameRing.Side.TUN_FROM_REPLICA, batch.buffer(), batch.offset(i), batch.length(i), 0);
                    }
                }
                engine.fromReplica(batch);
            } catch (IOException | RuntimeException e) {
                LOG.error("proxy: a packet from the replica could not be handled", e);
            }
        }
    }

    private void paceRecovery() {
        while (running) {
            try {
                // While connections wait for their handshake, look again soon: a tick is one
                // budget of SYNs (the replica answers in microseconds), so the tick rate bounds
                // the recovery rate. Afterwards only retries are left, and a millisecond will do.
                if (engine.pace()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(QUEUED_PACE_NANOS);
                } else if (engine.settled()) {
                    // Nothing on a short timer: every tick takes the engine's lock, which every packet
                    // needs; 1,000 a second showed among the waits of PROXY's slowest round trips.
                    // A recovery starting unparks it (#stateChanged).
                    java.util.concurrent.locks.LockSupport.parkNanos(SETTLED_PACE_NANOS);
                } else {
                    java.util.concurrent.locks.LockSupport.parkNanos(RETRY_PACE_NANOS);
                }
                if (Thread.interrupted()) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.error("proxy: recovery pacing failed", e);
            }
        }
    }
}
