package org.migware.monitor.traffic.internal;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.connection.ProtectedService;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthVerdictListener;
import org.migware.api.packet.PacketListener;
import org.migware.api.packet.PacketParser;
import org.migware.api.packet.PacketSource;
import org.migware.api.packet.PacketSubscription;
import org.migware.api.packet.ParsedPacket;
import org.migware.monitor.support.ProbeLoop;
import org.migware.monitor.support.ProbeResult;
import org.migware.monitor.support.ProbeSettings;
import org.migware.monitor.support.RestartingProbeLoop;
import org.migware.monitor.support.ServiceProbingMonitor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
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
 * The passive health monitor {@code traffic}: judges the primary from the clients' own traffic,
 * without sending a single probe. Clients that keep retransmitting data the primary no longer
 * acknowledges, while the primary sends nothing at all, mean the primary is gone; an idle
 * service means nothing.
 *
 * <p>Packet source and parser are dynamic, greedy, optional references, as in the tracker:
 * either can be swapped while the monitor runs. Every bind or unbind of either starts the
 * detector afresh (what it saw before may be incomplete), so a swap costs at most one
 * {@code stallMillis} of blindness and never a false {@code DOWN}. An evaluation every
 * {@code evaluateMillis} turns the detector's evidence into a vote of a
 * {@link org.migware.monitor.support.VerdictStateMachine} (run by a {@link ProbeLoop}: DOWN-evidence
 * is a miss, UP-evidence a success, "nothing to judge" makes the verdict {@code UNKNOWN}), which
 * logs every change and tells every {@link HealthVerdictListener}.
 *
 * <p>The service's addresses and ports come from {@link ProtectedService}, an optional, dynamic
 * reference: a changed or absent service, like a changed configuration, starts the detector and
 * the loop afresh.
 */
@Component(service = HealthMonitor.class, configurationPid = ConfigurationPids.MONITOR_TRAFFIC)
@Designate(ocd = TrafficMonitorComponent.Config.class)
public final class TrafficMonitorComponent extends ServiceProbingMonitor<TrafficMonitorComponent.Config> {

    static final String NAME = "traffic";
    private static final Logger LOG = LoggerFactory.getLogger(TrafficMonitorComponent.class);
    /** An evaluation is a scan of arrays in memory; only a stuck JVM takes this long, and then one miss is fair. */
    private static final long MIN_EVALUATION_TIMEOUT_MILLIS = 1000;

    /** The monitor's settings; the service's addresses and ports come from {@link ProtectedService}. */
    @ObjectClassDefinition(name = "MigWare passive traffic monitor",
            description = "Declares the primary DOWN when clients retransmit data it no longer acknowledges while it sends"
                    + " nothing. The service's addresses and ports are in PID org.migware.service.")
    public @interface Config {

        @AttributeDefinition(name = "Evaluation interval (ms)", description = "How often the traffic is judged")
        long evaluateMillis() default 100;

        @AttributeDefinition(name = "Stall time (ms)", description = "How long client data must stay unacknowledged, "
                + "and the server silent on every connection, to count as evidence of a dead primary")
        long stallMillis() default 1000;

        @AttributeDefinition(name = "Stalled connections", description = "Stalled connections needed for DOWN-evidence")
        int minStalledConnections() default 1;

        @AttributeDefinition(name = "Retransmissions", description = "Client retransmissions since the server's last ACK progress "
                + "that a connection needs to count as stalled")
        int minRetransmissions() default 1;

        @AttributeDefinition(name = "Misses", description = "Consecutive evaluations with DOWN-evidence that make the verdict DOWN")
        int misses() default 3;

        @AttributeDefinition(name = "Recoveries", description = "Consecutive evaluations with UP-evidence that make a DOWN verdict UP")
        int recoveries() default 1;

        @AttributeDefinition(name = "Connections followed", description = "At most this many client connections are followed")
        int maxConnections() default 10_000;

        @AttributeDefinition(name = "Idle timeout (ms)", description = "A followed connection without a packet this long is forgotten")
        long idleTimeoutMillis() default 300_000;
    }

    /** A parser and the one view this monitor parses with. */
    private record ParserBinding(PacketParser parser, ParsedPacket view) {
    }

    /** What one configuration yields: either both settings, or why not. */
    private record Settings(ServiceEndpoints service, DetectorSettings detector, ProbeSettings probe, String problem) {
    }

    private final StallDetector detector;
    private final Clock clock;
    private final Map<PacketSource, PacketSubscription> subscriptions = new ConcurrentHashMap<>();
    private final PacketListener listener = this::onPacket;
    private volatile ParserBinding parser;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    volatile List<HealthVerdictListener> listeners;

    @Activate
    public TrafficMonitorComponent(Config config) {
        this(config, System::nanoTime, Clock.systemUTC());
    }

    TrafficMonitorComponent(Config config, LongSupplier nanoClock, Clock clock) {
        super(config);
        this.clock = clock;
        this.detector = new StallDetector(null, DetectorSettings.DEFAULTS, nanoClock);
    }

    @Override
    protected RestartingProbeLoop.Running start(ServiceEndpoints service, Config config) {
        Settings settings = settings(service, config);
        detector.reconfigure(settings.service(), settings.detector() != null ? settings.detector() : DetectorSettings.DEFAULTS);
        ProbeLoop started = startLoop(settings);
        return () -> started;
    }

    @Modified
    void modified(Config config) {
        configure(config);
    }

    @Override
    public void deactivate() {
        subscriptions.forEach((source, subscription) -> subscription.close());
        subscriptions.clear();
        super.deactivate();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindPacketParser(PacketParser newParser) {
        parser = new ParserBinding(newParser, newParser.newView());
        detector.reset();
    }

    void unbindPacketParser(PacketParser oldParser) {
        ParserBinding current = parser;
        if (current != null && current.parser() == oldParser) {
            parser = null;
            detector.reset();
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindPacketSource(PacketSource source) {
        subscriptions.computeIfAbsent(source, s -> {
            LOG.info("monitor {}: watching {} from {}", NAME, detector, s.name());
            return s.subscribe(listener);
        });
        detector.reset();
    }

    void unbindPacketSource(PacketSource source) {
        PacketSubscription subscription = subscriptions.remove(source);
        if (subscription != null) {
            subscription.close();
            detector.reset();
        }
    }

    /** The capture thread's path: allocates nothing. */
    private void onPacket(byte[] frame, int offset, int length, long timestampNanos) {
        ParserBinding binding = parser;
        if (binding != null) {
            detector.accept(binding.view(), frame, offset, length);
        }
    }

    /** One evaluation, as the probe of the loop. */
    ProbeResult evaluate() {
        if (subscriptions.isEmpty()) {
            return ProbeResult.unknown("no packet source: nothing is captured");
        }
        if (parser == null) {
            return ProbeResult.unknown("no packet parser: captured frames are not read");
        }
        return toProbeResult(detector.evaluate());
    }

    /** @return the vote of one piece of evidence for the verdict state machine */
    static ProbeResult toProbeResult(Evidence evidence) {
        return switch (evidence.status()) {
            case UP -> ProbeResult.success(evidence.reason());
            case DOWN -> ProbeResult.miss(evidence.reason());
            case UNKNOWN -> ProbeResult.unknown(evidence.reason());
        };
    }

    private ProbeLoop startLoop(Settings settings) {
        String target = settings.service() == null ? "(service not configured)" : settings.service().toString();
        if (settings.problem() != null) {
            LOG.error("monitor {}: {}; nothing is judged until it is fixed", NAME, settings.problem());
            return ProbeLoop.idle(NAME, target, settings.problem(), () -> listeners);
        }
        LOG.info("monitor {}: judging {} every {} ms: DOWN after {} consecutive evaluations that find at least {} connection(s) "
                        + "with client data unacknowledged for over {} ms and at least {} retransmission(s), the server silent meanwhile",
                NAME, target, settings.probe().intervalMillis(), settings.probe().misses(),
                settings.detector().minStalledConnections(), settings.detector().stallMillis(),
                settings.detector().minRetransmissions());
        return ProbeLoop.start(NAME, target, settings.probe(), timeout -> evaluate(), () -> listeners, clock);
    }

    private static Settings settings(ServiceEndpoints service, Config config) {
        if (service == null) {
            // Not configured yet (FileInstall may deliver etc/ a moment after start), or refused by
            // the service's owner, which has named the key.
            return new Settings(null, null, null,
                    "waiting for 'addresses' and 'ports' in configuration " + ConfigurationPids.SERVICE);
        }
        try {
            DetectorSettings detector = new DetectorSettings(config.stallMillis(), config.minStalledConnections(),
                    config.minRetransmissions(), config.maxConnections(), config.idleTimeoutMillis());
            ProbeSettings probe = new ProbeSettings(config.evaluateMillis(),
                    Math.max(MIN_EVALUATION_TIMEOUT_MILLIS, config.evaluateMillis()), config.misses(), config.recoveries());
            return new Settings(service, detector, probe, null);
        } catch (IllegalArgumentException e) {
            return new Settings(service, null, null, "configuration " + ConfigurationPids.MONITOR_TRAFFIC + ": " + e.getMessage());
        }
    }

    // ---- HealthMonitor ----

    @Override
    public String name() {
        return NAME;
    }
}
