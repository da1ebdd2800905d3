package org.migware.monitor.exec.internal;

import java.util.Arrays;
import java.util.List;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthVerdict;
import org.migware.api.health.HealthVerdictListener;
import org.migware.monitor.support.ProbeLoop;
import org.migware.monitor.support.ProbeSettings;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Runs a site's command every interval: exit status 0 is a success, anything else a miss whose
 * reason is the first line the command printed; a command still running at the timeout is killed,
 * with its children, and is a miss.
 *
 * <p>One instance per factory configuration of {@value #PID} (for example
 * {@code etc/org.migware.monitor.exec-db.cfg}); with none, nothing is registered. A configuration
 * without a {@code command} registers a monitor whose verdict is {@code UNKNOWN} and names the key.
 *
 * <p>This class is also the example of a site's own monitor (README.md): a DS component that
 * implements {@link HealthMonitor}, hands a {@link org.migware.monitor.support.Probe} to a
 * {@link ProbeLoop} and returns the loop's verdict.
 */
@Component(service = HealthMonitor.class, configurationPid = ExecMonitor.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true)
@Designate(ocd = ExecMonitor.Config.class, factory = true)
public final class ExecMonitor implements HealthMonitor {

    /** The factory PID: one monitor per configuration. */
    public static final String PID = ConfigurationPids.MONITOR_EXEC_FACTORY;

    /** One command to run. */
    @ObjectClassDefinition(name = "MigWare exec monitor",
            description = "Runs a command every interval: exit status 0 is UP, anything else a miss with the command's"
                    + " first line of output as the reason; a command still running at the timeout is killed (a miss).")
    public @interface Config {

        /** @return the monitor's name */
        @AttributeDefinition(name = "Name", required = false,
                description = "The monitor is called exec:<name>. Empty: the program's file name.")
        String name() default "";

        /** @return the command */
        @AttributeDefinition(name = "Command",
                description = "One line, run with /bin/sh -c, or the program and its arguments as a list. Required.")
        String[] command() default {};

        /** @return the interval */
        @AttributeDefinition(name = "Interval (ms)", description = "From the start of one run to the start of the next.")
        long intervalMillis() default 500;

        /** @return the timeout */
        @AttributeDefinition(name = "Timeout (ms)", description = "A run still going after this long is killed and is a miss.")
        long timeoutMillis() default 500;

        /** @return the misses */
        @AttributeDefinition(name = "Misses", description = "Consecutive misses that make the primary DOWN.")
        int misses() default 1;

        /** @return the recoveries */
        @AttributeDefinition(name = "Recoveries", description = "Consecutive successes that make a DOWN primary UP again.")
        int recoveries() default 1;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<HealthVerdictListener> listeners;
    private final Config initial;
    private volatile ProbeLoop loop;

    @Activate
    public ExecMonitor(Config config) {
        initial = config;
    }

    /** Starts probing here, not in the constructor: DS sets {@link #listeners} in between, so they hear the first verdicts. */
    @Activate
    void activate() {
        loop = start(initial);
    }

    @Modified
    void modified(Config config) {
        loop.close();
        loop = start(config);
    }

    @Deactivate
    void deactivate() {
        loop.close();
    }

    private ProbeLoop start(Config config) {
        List<String> command = command(config.command());
        String name = name(config.name(), command);
        try {
            if (command.isEmpty()) {
                throw new IllegalArgumentException("'command' is not set");
            }
            ProbeSettings settings = new ProbeSettings(config.intervalMillis(), config.timeoutMillis(), config.misses(), config.recoveries());
            String target = String.join(" ", config.command());
            target = target.length() > 80 ? target.substring(0, 77) + "..." : target;
            return ProbeLoop.start(name, target, settings, new CommandProbe(command), () -> listeners);
        } catch (IllegalArgumentException e) {
            return ProbeLoop.idle(name, "(none)", "not probing: " + e.getMessage(), () -> listeners);
        }
    }

    /** @return the argument vector: one line runs with {@code /bin/sh -c}, a list as it is; empty if none */
    static List<String> command(String[] configured) {
        if (Arrays.stream(configured).allMatch(word -> word == null || word.isBlank())) {
            return List.of();
        }
        return configured.length == 1 ? List.of("/bin/sh", "-c", configured[0]) : List.of(configured);
    }

    /** @return {@code exec:<name>}, by default {@code exec:<the program's file name>} */
    static String name(String configured, List<String> command) {
        if (!configured.isBlank()) {
            return "exec:" + configured.trim();
        }
        if (command.isEmpty()) {
            return "exec";
        }
        boolean shellLine = command.size() == 3 && command.get(0).equals("/bin/sh") && command.get(1).equals("-c");
        String program = shellLine ? command.get(2).trim().split("\\s+")[0] : command.get(0);
        return "exec:" + program.substring(program.lastIndexOf('/') + 1);
    }

    @Override
    public String name() {
        return loop.monitor();
    }

    @Override
    public HealthVerdict currentVerdict() {
        return loop.currentVerdict();
    }
}
