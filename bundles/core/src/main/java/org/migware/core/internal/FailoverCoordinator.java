package org.migware.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverListener;
import org.migware.api.failover.FailoverSnapshot;
import org.migware.api.failover.FailoverState;
import org.migware.api.state.DurableState;
import org.migware.api.failover.FailoverStatus;
import org.migware.api.failover.FenceStatus;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.RecoveryHandle;
import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthVerdict;
import org.migware.core.internal.decision.DecisionPolicy;
import org.migware.core.internal.decision.Fence;
import org.migware.core.internal.decision.IsolationGuard;
import org.migware.core.internal.status.StatusText;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.migware.core.internal.roles.KeepalivedClaim;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that decides failover. It collects every {@link HealthMonitor} (whiteboard),
 * hears each new verdict at once (through the {@link VerdictRelay}), combines the current
 * verdicts by the configured policy with hysteresis, refuses to act while the backup itself
 * looks isolated, and then moves NORMAL to RECOVERY and tells every {@link FailoverListener}.
 * A manual trigger ({@code migware:failover}) and a dry-run mode that only logs are provided.
 *
 * <p>Every decision runs on the coordinator's single thread, so the policy needs no locks.
 * A listener registered later is told the current state at once, so a bundle updated while the
 * container runs never misses where things stand. Each event in RECOVERY or PROXY carries a
 * {@link RecoveryHandle}, through which the migration bundle reports the end of recovery
 * without a reference back to the core.
 */
// Immediate: it decides from the start. It used to be started by the first monitor that needed
// it as its verdict listener; the VerdictRelay now takes that role.
@Component(service = {FailoverStatus.class, FailoverCoordinator.class},
        configurationPid = ConfigurationPids.CORE_FAILOVER, immediate = true)
@Designate(ocd = FailoverCoordinator.Config.class)
public final class FailoverCoordinator implements FailoverStatus {

    private static final Logger LOG = LoggerFactory.getLogger(FailoverCoordinator.class);
    private static final long TICK_MILLIS = 10;

    /** How the monitors' verdicts become a failover decision. */
    @ObjectClassDefinition(name = "MigWare failover decision")
    public @interface Config {

        @AttributeDefinition(name = "Policy", description = "any: one monitor DOWN is enough (the thesis); all: every monitor present; quorum: at least 'quorum' monitors")
        String policy() default "any";

        @AttributeDefinition(name = "Quorum", description = "With policy quorum: how many monitors must say DOWN")
        int quorum() default 1;

        @AttributeDefinition(name = "Hold-down (ms)", description = "The policy must say DOWN without a break this long before failing over (hysteresis); 0 acts at once")
        long holdDownMillis() default 0;

        @AttributeDefinition(name = "Isolation silence (ms)", description = "If the capture sees no frame at all this long, the backup counts as isolated and does not take over; 0 turns the check off")
        long isolationSilenceMillis() default 3000;

        @AttributeDefinition(name = "Isolation settle (ms)", description = "After the backup was cut off, how long verdicts are not trusted: the monitors need a probe to notice the primary is still there")
        long isolationSettleMillis() default 2000;

        @AttributeDefinition(name = "Dry run", description = "Log what would happen, never leave NORMAL")
        boolean dryRun() default false;

        @AttributeDefinition(name = "Fence command", description = "Run through /bin/sh -c when failover is decided, before any"
                + " connection is taken over: it must make sure the primary stays down (power it off, shut its switch port)."
                + " Exit 0 lets the failover go on; anything else stops it, and it is tried again after fenceRetryMillis."
                + " Empty: no fencing")
        String fenceCommand() default "";

        @AttributeDefinition(name = "Fence timeout (ms)", description = "How long the fence command may take; a command still running is killed and counts as failed")
        long fenceTimeoutMillis() default 10_000;

        @AttributeDefinition(name = "Fence retry (ms)", description = "After a failed fence, how long before the next attempt")
        long fenceRetryMillis() default 1000;

        @AttributeDefinition(name = "Claim through keepalived", description = "For a site with more than one backup: after the"
                + " decision (and the fence), this host releases keepalived (the proxy's keepalivedTrackFile) and takes the"
                + " connections over only once keepalived has made it the VRRP master, i.e. the service address is on this host"
                + " (state CLAIMING, then RECOVERY). It stands down to NORMAL when its monitors see the service answer again"
                + " (another backup became the master; point the monitors at the service address, not at the primary host), or"
                + " after claimTimeoutMillis. Adds keepalived's master-down time (3 adverts and the skew) to the failover. Off:"
                + " the decision starts RECOVERY at once and keepalived follows (two hosts)")
        boolean claimThroughKeepalived() default false;

        @AttributeDefinition(name = "Claim timeout (ms)", description = "How long keepalived may take to make this host the"
                + " master before the claim stands down; the next claim waits as long")
        long claimTimeoutMillis() default 3000;

        @AttributeDefinition(name = "Claim settle (ms)", description = "How long the service address must stay on this host"
                + " before the claim takes the connections over. Two backups' keepalived can both become the master in the same"
                + " instant; VRRP makes the lower priority yield at the higher's first advert (within one advert interval), and"
                + " a host that took over in that instant would carry connections the other carries too. Longer than keepalived's"
                + " advert_int (bin/migware keepalived-config writes 0.1 s); adds this much to a claimed failover")
        long claimSettleMillis() default 300;
    }

    /** The reason of NORMAL after the carried connections drained, and of every failover refused then. */
    static final String SERVING = "serving: this host owns the service address (the direct path), the connections it carried have"
            + " drained; it does not fail over to itself";

    private final Clock clock;
    private final Surroundings surroundings;
    private final CopyOnWriteArrayList<FailoverListener> listeners = new CopyOnWriteArrayList<>();
    /** Each listener's service.ranking; guards changes to {@link #listeners}. */
    private final Map<FailoverListener, Integer> listenerRankings = new java.util.IdentityHashMap<>();
    private final List<HealthMonitor> monitors = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService executor;
    private final Path stateFile;
    private final VerdictRelay verdicts;
    private final Consumer<HealthVerdict> verdictReceiver = this::verdict;
    /** Handed to the listeners with each event in RECOVERY or PROXY; gives nothing else of the coordinator away. */
    private final RecoveryHandle recoveryHandle = new RecoveryHandle() {
        @Override
        public void finished(MigrationProgress progress) {
            finishRecovery(StatusText.migration(progress));
        }

        @Override
        public void drained(MigrationProgress progress) {
            finishDraining(progress);
        }
    };
    /**
     * This host serves the service address itself since the connections it carried drained (the
     * direct path): its monitors still watch the old primary, which stays down, and it must not
     * decide a failover to itself. Kept in the state file; only a later session's rejoin changes it.
     */
    private volatile boolean serving;
    private volatile Config config;
    private volatile DecisionPolicy policy;
    private volatile IsolationGuard isolationGuard;
    private volatile Fence fence;
    private volatile FailoverEvent current;
    private String lastLoggedIsolation;
    private String lastLoggedSuspicion;
    /** Monotonic time before which a failed fence is not tried again; touched on the coordinator's thread only. */
    private long nextFenceNanos = Long.MIN_VALUE;
    private boolean fenceRetryPending;
    private volatile String lastFenceFailure;
    /** The claim in CLAIMING; touched on the coordinator's thread only. */
    private final KeepalivedClaim claim = new KeepalivedClaim();

    /**
     * @param surroundings clocks, the decision thread, the capture's view and the state file
     * @param verdicts where the monitors' verdicts arrive
     */
    @Activate
    public FailoverCoordinator(Config config, @Reference Surroundings surroundings, @Reference VerdictRelay verdicts) {
        this.surroundings = surroundings;
        this.clock = surroundings.clock();
        this.stateFile = surroundings.stateFile();
        this.config = config;
        this.policy = policyOrThesisDefault(config);
        this.isolationGuard = guard(config);
        this.fence = fenceOf(config);
        this.verdicts = verdicts;
        FailoverEvent restored = restore(stateFile);
        this.serving = restored == null && restoreServing(stateFile);
        this.current = restored != null ? restored : serving
                ? new FailoverEvent(null, FailoverState.NORMAL, clock.instant(), SERVING + " (kept across a restart of the core)")
                : new FailoverEvent(null, FailoverState.NORMAL, clock.instant(), "started: passive tracking");
        LOG.info("core: state {} at {} ({}); failover policy {}{}", current.to(), current.time(), current.reason(),
                policy.describe(), config.dryRun() ? ", DRY RUN: decisions are only logged" : "");
        this.executor = surroundings.newDecisionThread();
        executor.execute(this::warmUp);
        executor.scheduleWithFixedDelay(this::evaluateQuietly, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        verdicts.deliverTo(verdictReceiver);
    }

    /**
     * The decision is taken once, cold: loading the classes of its path (policy outcome, reasons,
     * the event, the log message) on that occasion cost 15–20 ms of the detection time. Walk the
     * path once at start, on the coordinator's own thread, without deciding anything.
     */
    private void warmUp() {
        long now = surroundings.monotonicNanos();
        HealthVerdict down = new HealthVerdict("warm-up", "-", org.migware.api.health.HealthStatus.DOWN, clock.instant(), "warm-up");
        DecisionPolicy.Evaluation evaluation = DecisionPolicy.of("any", 1, 0).evaluate(List.of(down), now);
        IsolationGuard guard = guard(config);
        guard.observe(surroundings.framesReceived(), surroundings.captureLinkUp(), now);
        String isolation = guard.isolation(surroundings.captureLinkUp(), now);
        FailoverEvent event = new FailoverEvent(FailoverState.NORMAL, FailoverState.RECOVERY, clock.instant(),
                "primary DOWN: " + evaluation.reason() + (isolation == null ? "" : isolation));
        LOG.debug("core: decision path ready ({} -> {})", event.from(), event.to());
    }

    private static IsolationGuard guard(Config config) {
        return new IsolationGuard(config.isolationSilenceMillis() <= 0 ? Long.MAX_VALUE
                : TimeUnit.MILLISECONDS.toNanos(config.isolationSilenceMillis()),
                TimeUnit.MILLISECONDS.toNanos(Math.max(0, config.isolationSettleMillis())));
    }

    /**
     * A changed configuration is taken in place: re-registering the coordinator would restart
     * every component that depends on it, the migration among them, in the middle of its work.
     */
    @Modified
    void modified(Config newConfig) {
        evaluateSoon(() -> {
            config = newConfig;
            policy = policyOrThesisDefault(newConfig);
            isolationGuard = guard(newConfig);
            fence = fenceOf(newConfig);
            LOG.info("core: failover policy now {}{}", policy.describe(), newConfig.dryRun() ? ", DRY RUN" : "");
        });
    }

    @Deactivate
    void deactivate() {
        verdicts.stopDelivering(verdictReceiver);
        // A transition in progress finishes its write first: shutdownNow() would interrupt the
        // file channel and leave the state file one transition behind.
        executor.shutdown();
        try {
            if (!executor.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS)) {
                LOG.warn("core: the coordinator's thread did not finish within 2 s; interrupting it");
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private static Fence fenceOf(Config config) {
        return new Fence(config.fenceCommand(), config.fenceTimeoutMillis());
    }

    private static DecisionPolicy policyOrThesisDefault(Config config) {
        try {
            return DecisionPolicy.of(config.policy(), config.quorum(), config.holdDownMillis());
        } catch (IllegalArgumentException e) {
            LOG.error("core: configuration org.migware.core.failover: {}; using policy 'any' with no hold-down", e.getMessage());
            return DecisionPolicy.of("any", 1, 0);
        }
    }

    @Override
    public FailoverEvent current() {
        return current;
    }

    @Override
    public boolean serving() {
        FailoverState state = current.to();
        return serving || state == FailoverState.RECOVERY || state == FailoverState.PROXY;
    }

    @Override
    public FailoverSnapshot snapshot() {
        FailoverEvent event = current;
        Fence currentFence = fence;
        return new FailoverSnapshot(event.to(), event.time(), event.reason(), policy.snapshot(config.dryRun()),
                new FenceStatus(currentFence.configured(), currentFence.command(), currentFence.configured() ? lastFenceFailure : null));
    }

    // ---- whiteboard ----

    /**
     * Listeners are told in the order of their {@code service.ranking}, highest first (equal ones in
     * the order they came): every listener is told on the coordinator's thread, one after the other,
     * and the migration, which ranks itself first, must not wait for the others' work at a failover
     * (the history's first use of its records took 24-36 ms on the lab, the proxy's recovery waited
     * for it).
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addFailoverListener(FailoverListener listener, Map<String, Object> properties) {
        int ranking = properties.get(org.osgi.framework.Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
        synchronized (listenerRankings) {
            // A listener is told each change once, however often SCR hands it over.
            if (listenerRankings.putIfAbsent(listener, ranking) != null) {
                return;
            }
            int at = 0;
            while (at < listeners.size() && listenerRankings.getOrDefault(listeners.get(at), 0) >= ranking) {
                at++;
            }
            listeners.add(at, listener);
        }
        notifyQuietly(listener, deliverable(current));
    }

    void removeFailoverListener(FailoverListener listener) {
        synchronized (listenerRankings) {
            listeners.remove(listener);
            listenerRankings.remove(listener);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addHealthMonitor(HealthMonitor monitor) {
        monitors.add(monitor);
        LOG.info("core: monitor {} present ({} in all)", monitor.name(), monitors.size());
        evaluateSoon();
    }

    void removeHealthMonitor(HealthMonitor monitor) {
        monitors.remove(monitor);
        LOG.info("core: monitor {} gone ({} left)", monitor.name(), monitors.size());
        evaluateSoon();
    }

    // ---- verdicts and decisions ----

    /** A monitor reached a new verdict: decide now rather than at the next look. */
    void verdict(HealthVerdict verdict) {
        LOG.info("core: verdict {} {} for {} at {} ({})", verdict.monitor(), verdict.status(), verdict.target(),
                verdict.time(), verdict.reason());
        evaluateSoon();
    }

    /** Evaluates on the coordinator's thread; after deactivation (SCR unbinds last) nothing is left to decide. */
    private void evaluateSoon() {
        evaluateSoon(this::evaluateQuietly);
    }

    private void evaluateSoon(Runnable task) {
        try {
            executor.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // deactivated: no decision any more
        }
    }

    /**
     * {@code migware:failover}: fail over now, whatever the monitors say; the isolation guard
     * and the fence command still apply unless {@code force}.
     *
     * @return what happened, in words
     */
    public String triggerManually(String reason, boolean force) {
        try {
            return executor.submit(() -> decide("manual trigger: " + reason, !force)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (java.util.concurrent.ExecutionException e) {
            return "failed: " + e.getCause();
        }
    }

    private void evaluateQuietly() {
        try {
            evaluate();
        } catch (RuntimeException e) {
            LOG.error("core: failover evaluation failed", e);
        }
    }

    /** One evaluation on the coordinator's thread, waited for: tests must not race the coordinator's own evaluations. */
    void evaluateAndWait() {
        try {
            executor.submit(this::evaluate).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** One evaluation; runs on the coordinator's thread only. */
    private void evaluate() {
        long now = surroundings.monotonicNanos();
        isolationGuard.observe(surroundings.framesReceived(), surroundings.captureLinkUp(), now);
        if (current.to() == FailoverState.CLAIMING) {
            evaluateClaim(now);
            return;
        }
        if (current.to() != FailoverState.NORMAL || serving) {
            return;
        }
        DecisionPolicy.Evaluation evaluation = policy.evaluate(currentVerdicts(), now);
        switch (evaluation.outcome()) {
            case ALIVE -> lastLoggedSuspicion = null;
            case SUSPECT -> {
                if (!evaluation.reason().equals(lastLoggedSuspicion)) {
                    LOG.warn("core: primary suspected at {}: {}; deciding unless it clears within the hold-down",
                            clock.instant(), evaluation.reason());
                    lastLoggedSuspicion = evaluation.reason();
                }
            }
            case DOWN -> decide("primary DOWN: " + evaluation.reason(), true);
        }
    }

    private List<HealthVerdict> currentVerdicts() {
        List<HealthVerdict> verdicts = new ArrayList<>();
        for (HealthMonitor monitor : monitors) {
            HealthVerdict verdict = monitor.currentVerdict();
            if (verdict != null) {
                verdicts.add(verdict);
            }
        }
        return verdicts;
    }

    /** CLAIMING: RECOVERY once keepalived made this host the master, NORMAL once another host is (see {@link KeepalivedClaim}). */
    private void evaluateClaim(long now) {
        DecisionPolicy.Evaluation evaluation = policy.evaluate(currentVerdicts(), now);
        switch (claim.evaluate(surroundings.serviceAddressLocal(), evaluation.outcome() == DecisionPolicy.Outcome.ALIVE,
                config.claimTimeoutMillis(), config.claimSettleMillis(), now)) {
            case MASTER -> transition(FailoverState.RECOVERY, "keepalived made this host the VRRP master (the service address is"
                    + " its own " + claim.elapsedMillis(now) + " ms after the claim, and stayed " + config.claimSettleMillis()
                    + " ms): " + claim.reason());
            case SERVICE_ANSWERS -> transition(FailoverState.NORMAL, "stood down " + claim.elapsedMillis(now) + " ms after the claim:"
                    + " the service answers again (" + evaluation.reason() + "): another backup became the VRRP master, or the"
                    + " primary is back; this host watches");
            case TIMED_OUT -> transition(FailoverState.NORMAL, "stood down: keepalived did not make this host the VRRP master within "
                    + config.claimTimeoutMillis() + " ms of the claim; claiming again after as long if the primary is still down");
            case WAITING -> {
                // keepalived's master-down timer runs
            }
        }
    }

    /**
     * What the {@link RecoveryHandle} does, with the summary in words: the package's tests report
     * through it also outside RECOVERY, where no event carries a handle.
     */
    void recoveryFinished(String summary) {
        finishRecovery(summary);
    }

    /** RECOVERY moves on to PROXY; in any other state the report is old news or a mistake. */
    private void finishRecovery(String summary) {
        evaluateSoon(() -> {
            if (current.to() == FailoverState.RECOVERY) {
                transition(FailoverState.PROXY, "recovery finished: " + summary);
            } else {
                // The migration reports again when it meets a restarted core; in PROXY that is old news.
                if (current.to() == FailoverState.PROXY) {
                    LOG.debug("core: recovery reported finished again ({}); already PROXY", summary);
                } else {
                    LOG.warn("core: recovery reported finished ({}) in state {}: ignored", summary, current.to());
                }
            }
        });
    }

    /**
     * PROXY moves on to NORMAL in the new role: the carried connections have ended and this host
     * serves the service address itself. In any other state the report is old news.
     */
    private void finishDraining(MigrationProgress progress) {
        evaluateSoon(() -> {
            if (current.to() != FailoverState.PROXY) {
                LOG.debug("core: carried connections reported drained in state {}: ignored", current.to());
                return;
            }
            serving = true;
            transition(FailoverState.NORMAL, SERVING + ": every carried connection has ended ("
                    + progress.recovered() + " recovered, " + progress.passedThrough() + " passed through)");
        });
    }

    private String decide(String reason, boolean guard) {
        if (current.to() != FailoverState.NORMAL) {
            return "already " + current.to() + " since " + current.time() + " (" + current.reason() + ")";
        }
        if (serving) {
            return "not failing over: " + SERVING;
        }
        if (guard) {
            String isolation = isolationGuard.isolation(surroundings.captureLinkUp(), surroundings.monotonicNanos());
            if (isolation != null) {
                if (!isolation.equals(lastLoggedIsolation)) {
                    LOG.error("core: NOT failing over at {}: {} — {}; the backup may be the one cut off",
                            clock.instant(), reason, isolation);
                    lastLoggedIsolation = isolation;
                }
                return "not failing over: " + isolation;
            }
        }
        lastLoggedIsolation = null;
        Fence fence = this.fence;
        if (config.dryRun()) {
            LOG.warn("core: DRY RUN at {}: would {}fail over now ({}) and recover every tracked connection", clock.instant(),
                    fence.configured() ? "fence the primary (" + fence.command() + "), then " : "", reason);
            return "dry run: would fail over (" + reason + ")";
        }
        if (fence.configured() && guard) {
            String refused = fence(fence, reason);
            if (refused != null) {
                return refused;
            }
        }
        if (config.claimThroughKeepalived()) {
            String refused = claim.refusal(surroundings.monotonicNanos());
            if (refused != null) {
                return refused;
            }
            claim.start(reason, surroundings.monotonicNanos());
            transition(FailoverState.CLAIMING, reason + "; keepalived released: the connections are taken over once it makes"
                    + " this host the VRRP master");
            return "claiming: " + reason;
        }
        transition(FailoverState.RECOVERY, reason);
        return "failing over: " + reason;
    }

    /**
     * Fences the primary (see {@link Fence}); runs on the coordinator's thread, which decides
     * nothing else meanwhile.
     *
     * @return null when the primary is fenced, or why the failover is not made now
     */
    private String fence(Fence fence, String reason) {
        long now = surroundings.monotonicNanos();
        if (fenceRetryPending && now - nextFenceNanos < 0) {
            return "not failing over: the fence failed (" + lastFenceFailure + "); next attempt in "
                    + TimeUnit.NANOSECONDS.toMillis(nextFenceNanos - now) + " ms";
        }
        LOG.warn("core: fencing the primary before taking over ({}): {}", reason, fence.command());
        Fence.Outcome outcome = fence.run(reason);
        if (!outcome.succeeded()) {
            fenceRetryPending = true;
            nextFenceNanos = surroundings.monotonicNanos() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, config.fenceRetryMillis()));
            lastFenceFailure = outcome.description();
            LOG.error("core: NOT failing over at {}: {}; the primary may still be alive, and taking its connections"
                    + " next to it would break them. Trying again in {} ms ('migware:failover --force' skips the fence)",
                    clock.instant(), outcome.description(), config.fenceRetryMillis());
            return "not failing over: " + outcome.description();
        }
        fenceRetryPending = false;
        lastFenceFailure = null;
        LOG.warn("core: primary fenced: {}", outcome.description());
        return null;
    }

    private void transition(FailoverState to, String reason) {
        FailoverEvent event = new FailoverEvent(current.to(), to, clock.instant(), reason);
        // Kept on disk before anyone can see it: whoever reads the new state and then restarts
        // the core (an update, a test) must find the same state in the file.
        persist(event);
        current = event;
        LOG.warn("core: state {} -> {} at {} ({})", event.from(), event.to(), event.time(), event.reason());
        FailoverEvent delivered = deliverable(event);
        for (FailoverListener listener : listeners) {
            notifyQuietly(listener, delivered);
        }
    }

    /**
     * Keeps the state in the bundle's data area: an update or restart of the core in RECOVERY or
     * PROXY must come back where it was. Coming back NORMAL, with the primary still dead, it
     * would decide a second failover, and the migration (which has already recovered every
     * connection) would rightly ignore it — leaving the core waiting in RECOVERY for good. The
     * same holds for a crash or restart of the whole container: the file lives in the state
     * folder (migware.state.dir), outside the framework cache, and a container that comes back
     * comes back in the state it left.
     */
    private void persist(FailoverEvent event) {
        if (stateFile == null) {
            return;
        }
        java.util.Properties properties = new java.util.Properties();
        if (event.from() != null) {
            properties.setProperty("from", event.from().name());
        }
        properties.setProperty("to", event.to().name());
        properties.setProperty("time", event.time().toString());
        properties.setProperty("reason", event.reason());
        if (serving) {
            properties.setProperty("role", "serving");
        }
        // Whole and renamed into place: a kill -9 right after the transition finds it. A failover in progress
        // (CLAIMING, RECOVERY) is not synced: it lies between the decision and the first forged SYN, where
        // the fsyncs cost 5-80 ms on a busy machine (lab, 1,000 connections), and a crash of this host ends
        // the replica's connections with the failover anyway. PROXY and the rest are synced: they outlive a power cut.
        DurableState.Survives survives = event.to() == FailoverState.RECOVERY || event.to() == FailoverState.CLAIMING
                ? DurableState.Survives.PROCESS_CRASH : DurableState.Survives.HOST_CRASH;
        try {
            DurableState.in(null, stateFile.getParent()).write(stateFile.getFileName().toString(),
                    out -> properties.store(new java.io.OutputStreamWriter(out, java.nio.charset.StandardCharsets.ISO_8859_1),
                            "MigWare failover state"), survives);
        } catch (IOException e) {
            LOG.error("core: cannot keep the state in {}: {}; a restart would start NORMAL", stateFile, e.toString());
        }
    }

    /** @return whether a previous run of the core in this container had come back to NORMAL serving (the direct path) */
    private static boolean restoreServing(Path stateFile) {
        try {
            java.util.Properties properties = loadState(stateFile);
            return properties != null && "serving".equals(properties.getProperty("role"));
        } catch (IOException | RuntimeException e) {
            return false; // restore() says why the file is unreadable
        }
    }

    /** @return the state file's properties, {@code null} when there is none */
    private static java.util.Properties loadState(Path stateFile) throws IOException {
        if (stateFile == null || !Files.isRegularFile(stateFile)) {
            return null;
        }
        java.util.Properties properties = new java.util.Properties();
        try (java.io.Reader in = Files.newBufferedReader(stateFile)) {
            properties.load(in);
        }
        return properties;
    }

    /** @return the state kept by a previous run of the core in this container, if it had left NORMAL */
    private static FailoverEvent restore(Path stateFile) {
        try {
            java.util.Properties properties = loadState(stateFile);
            if (properties == null) {
                return null;
            }
            FailoverState to = FailoverState.valueOf(properties.getProperty("to", ""));
            if (to == FailoverState.NORMAL || to == FailoverState.CLAIMING) {
                // A claim does not outlive a restart: nothing was taken over yet, and keepalived is
                // held again at start; if the primary is still down the next decision claims again.
                return null;
            }
            String from = properties.getProperty("from");
            FailoverEvent event = new FailoverEvent(from == null ? null : FailoverState.valueOf(from), to,
                    java.time.Instant.parse(properties.getProperty("time")), properties.getProperty("reason", "") + " (kept across a restart of the core)");
            LOG.warn("core: restored state {} since {} after a restart of the core", event.to(), event.time());
            return event;
        } catch (IOException | RuntimeException e) {
            LOG.error("core: the kept state in {} is unreadable ({}); starting NORMAL", stateFile, e.toString());
            return null;
        }
    }

    /** @return the event as listeners get it: in RECOVERY and PROXY with the handle that ends recovery */
    private FailoverEvent deliverable(FailoverEvent event) {
        return event.to() == FailoverState.NORMAL ? event : event.withRecovery(recoveryHandle);
    }

    private static void notifyQuietly(FailoverListener listener, FailoverEvent event) {
        try {
            listener.stateChanged(event);
        } catch (RuntimeException e) {
            LOG.error("core: failover listener {} failed on {}", listener, event, e);
        }
    }

}
