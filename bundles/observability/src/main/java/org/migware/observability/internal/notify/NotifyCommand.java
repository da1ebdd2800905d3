package org.migware.observability.internal.notify;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverListener;
import org.migware.api.health.HealthVerdict;
import org.migware.api.health.HealthVerdictListener;
import org.migware.observability.internal.ArmedState;
import org.migware.observability.internal.StatusGatherer;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notify command (PID {@value ConfigurationPids#NOTIFY}), like keepalived's
 * {@code notify_*}: run at every failover state change, every change of a monitor's verdict, and
 * whenever the backup becomes armed or disarmed (as {@code /health} says, {@link ArmedState}),
 * with the event in environment variables ({@link NotifyEvents}). It hears the state and the
 * verdicts as a whiteboard {@link FailoverListener} and {@link HealthVerdictListener}, and only
 * queues each event ({@link NotifyRunner}): the coordinator's and the monitors' threads never
 * wait for the command, so it cannot delay a failover. Without a command it does nothing.
 */
@Component(service = {FailoverListener.class, HealthVerdictListener.class}, configurationPid = ConfigurationPids.NOTIFY)
@Designate(ocd = NotifyCommand.Config.class)
public final class NotifyCommand implements FailoverListener, HealthVerdictListener {

    private static final Logger LOG = LoggerFactory.getLogger(NotifyCommand.class);

    /** The command and how it runs. */
    @ObjectClassDefinition(name = "MigWare notify command",
            description = "A command run on every failover state change, monitor verdict change, arm and disarm")
    public @interface Config {

        @AttributeDefinition(name = "Notify command", description = "Run through /bin/sh -c for every event, one after the other,"
                + " with MIGWARE_EVENT (STATE, VERDICT, ARMED, DISARMED), MIGWARE_SEQUENCE, MIGWARE_TIME, MIGWARE_FROM, MIGWARE_TO,"
                + " MIGWARE_REASON, MIGWARE_DROPPED and, for VERDICT, MIGWARE_MONITOR, MIGWARE_TARGET, MIGWARE_VERDICT in its"
                + " environment. It never delays a failover. Empty: no command")
        String notifyCommand() default "";

        @AttributeDefinition(name = "Timeout (ms)", description = "How long one run may take; a command still running is killed")
        long notifyTimeoutMillis() default 10_000;

        @AttributeDefinition(name = "Queue", description = "Events that may wait while a command runs; one more is dropped, counted and logged")
        int notifyQueue() default 256;

        @AttributeDefinition(name = "Arm check (ms)", description = "How often whether the backup is armed (as /health says) is looked at")
        long armCheckMillis() default 1000;
    }

    private final NotifyEvents events = new NotifyEvents();
    private final NotifyRunner runner;
    private final ScheduledExecutorService armCheck;
    /** The last failover state told to the command; guarded by this. */
    private String toldState;
    private final ArmedState armed;
    private final Clock clock = Clock.systemUTC();

    @Activate
    public NotifyCommand(Config config, @Reference ArmedState armed, @Reference StatusGatherer status) {
        this.armed = armed;
        if (config.notifyCommand().isBlank()) {
            runner = null;
            armCheck = null;
            LOG.debug("notify: no notifyCommand");
            return;
        }
        runner = new NotifyRunner(config.notifyCommand(), config.notifyTimeoutMillis(), config.notifyQueue());
        LOG.info("notify: {} on every state change, verdict change, arm and disarm (timeout {} ms)", runner.command(),
                config.notifyTimeoutMillis());
        armCheck = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "migware-notify-arm-check");
            thread.setDaemon(true);
            return thread;
        });
        long period = Math.max(100, config.armCheckMillis());
        // The monitors' verdicts now, as the first of each (MIGWARE_FROM empty), as the state's is
        // told at once: a change is then told as a change whenever this component started.
        armCheck.execute(() -> status.observe().report().monitors().forEach(v -> offer(() -> events.verdict(v, true))));
        armCheck.scheduleWithFixedDelay(this::checkArmed, 0, period, TimeUnit.MILLISECONDS);
    }

    @Deactivate
    void deactivate() {
        if (armCheck != null) {
            armCheck.shutdownNow();
        }
        if (runner != null) {
            runner.close();
        }
    }

    @Override
    public void stateChanged(FailoverEvent event) {
        if (runner != null) {
            offer(() -> {
                toldState = event.to().name();
                return events.state(event);
            });
        }
    }

    @Override
    public void verdict(HealthVerdict verdict) {
        if (runner != null) {
            offer(() -> events.verdict(verdict));
        }
    }

    private void checkArmed() {
        try {
            List<String> reasons = armed.reasons();
            // A disarm that the failover causes is told after the failover's own state change: the whiteboard may
            // deliver that change later than this check reads the status, and the command must see cause before effect.
            offer(() -> {
                String failoverIn = ArmedState.failoverStateIn(reasons);
                return failoverIn != null && !failoverIn.equals(toldState) ? null : events.armed(reasons, clock.instant());
            });
        } catch (RuntimeException e) {
            LOG.warn("notify: could not tell whether the backup is armed: {}", e.toString());
        }
    }

    /** Numbers and queues one event under one lock, so the sequence is the order the command sees; never blocks for long. */
    private synchronized void offer(Supplier<Map<String, String>> event) {
        Map<String, String> env = event.get();
        if (env != null) {
            runner.submit(env, NotifyEvents.describe(env));
        }
    }
}
