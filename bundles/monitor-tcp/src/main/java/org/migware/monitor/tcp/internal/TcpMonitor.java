package org.migware.monitor.tcp.internal;

import java.util.List;

import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthVerdict;
import org.migware.api.health.HealthVerdictListener;
import org.migware.monitor.support.ProbeLoop;
import org.migware.monitor.support.ProbeSettings;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Service-level check of the primary: a TCP connection to the service port, optionally a request
 * and an expected reply. Sees a dead service on a live host, which ICMP cannot.
 *
 * <p>Configured from two PIDs that DS merges: the service ({@value #SERVICE_PID}: {@code addresses},
 * {@code ports}), whose first address and port are the defaults, and {@value #PID}, whose values win.
 * Without a usable host or port the monitor stays registered with an {@code UNKNOWN} verdict whose
 * reason names the key (logged once); it never throws out of activation.
 *
 * <p>The metatype of {@link Config} is designated by {@link ConfigDesignation}: bnd refuses
 * {@code @Designate} on a component with two configuration PIDs. A changed configuration restarts
 * the probe loop, whose verdict starts {@code UNKNOWN} again.
 */
@Component(service = HealthMonitor.class, configurationPid = {TcpMonitor.SERVICE_PID, TcpMonitor.PID}, immediate = true)
public final class TcpMonitor implements HealthMonitor {

    /** The shared PID that names the primary's service. */
    public static final String SERVICE_PID = "org.migware.service";
    /** This monitor's PID. */
    public static final String PID = "org.migware.monitor.tcp";

    /** The service, from {@value #SERVICE_PID}; not designated here, it belongs to no single bundle. */
    public @interface ServiceConfig {

        /** @return the service's IP addresses */
        String[] addresses() default {};

        /** @return the service's TCP ports */
        int[] ports() default {};
    }

    /** The TCP monitor's settings. */
    @ObjectClassDefinition(name = "MigWare TCP monitor",
            description = "Connects to the primary's service port every interval; optionally sends a request and"
                    + " expects a reply. Host and port default to the first of 'addresses' and 'ports' in PID"
                    + " org.migware.service.")
    public @interface Config {

        /** @return the host to connect to */
        @AttributeDefinition(name = "Target host", required = false,
                description = "IP address (or host name) of the primary's service. Empty: the first of 'addresses' in"
                        + " org.migware.service.")
        String target() default "";

        /** @return the port */
        @AttributeDefinition(name = "Port", description = "TCP port to connect to. 0: the first of 'ports' in org.migware.service.")
        int port() default 0;

        /** @return the interval */
        @AttributeDefinition(name = "Interval (ms)", description = "From the start of one probe to the start of the next.")
        long intervalMillis() default 500;

        /** @return the timeout */
        @AttributeDefinition(name = "Timeout (ms)",
                description = "Connect, send and the expected reply must all happen within this time, or the probe is a miss.")
        long timeoutMillis() default 500;

        /** @return the misses */
        @AttributeDefinition(name = "Misses", description = "Consecutive misses that make the primary DOWN.")
        int misses() default 1;

        /** @return the recoveries */
        @AttributeDefinition(name = "Recoveries", description = "Consecutive successes that make a DOWN primary UP again.")
        int recoveries() default 1;

        /** @return what to send */
        @AttributeDefinition(name = "Send", required = false,
                description = "Text sent after connecting (UTF-8), with \\n, \\r, \\t and \\\\ escapes, for example"
                        + " 'PING\\r\\n'. Empty: send nothing.")
        String send() default "";

        /** @return what to expect */
        @AttributeDefinition(name = "Expect", required = false,
                description = "Text (same escapes) that the reply must contain within the timeout, for example '+PONG'."
                        + " Empty: a successful connect is enough.")
        String expect() default "";
    }

    /** A usable configuration. */
    record Target(String host, int port, byte[] send, byte[] expect, ProbeSettings settings) {
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<HealthVerdictListener> listeners;
    private volatile ProbeLoop loop;

    private final ServiceConfig initialService;
    private final Config initialConfig;

    @Activate
    public TcpMonitor(ServiceConfig service, Config config) {
        this.initialService = service;
        this.initialConfig = config;
    }

    /** Starts probing here, not in the constructor: DS sets {@link #listeners} in between, so they hear the first verdicts. */
    @Activate
    void activate() {
        loop = start(initialService, initialConfig);
    }

    @Modified
    void modified(ServiceConfig service, Config config) {
        ProbeLoop old = loop;
        old.close();
        loop = start(service, config);
    }

    @Deactivate
    void deactivate() {
        loop.close();
    }

    private ProbeLoop start(ServiceConfig service, Config config) {
        int port = config.port() != 0 ? config.port() : service.ports().length > 0 ? service.ports()[0] : 0;
        String name = port > 0 ? "tcp:" + port : "tcp";
        Target target;
        try {
            target = target(service, config);
        } catch (IllegalArgumentException e) {
            return ProbeLoop.idle(name, "(none)", "not probing: " + e.getMessage(), () -> listeners);
        }
        return ProbeLoop.start(name, target.host() + ":" + target.port(), target.settings(),
                new TcpProbe(target.host(), target.port(), target.send(), target.expect()), () -> listeners);
    }

    /**
     * @throws IllegalArgumentException naming the configuration key that is missing or wrong
     */
    static Target target(ServiceConfig service, Config config) {
        String host = config.target().trim();
        if (host.isEmpty()) {
            if (service.addresses().length == 0 || service.addresses()[0].isBlank()) {
                throw new IllegalArgumentException("'target' is not set, and neither is 'addresses' in " + SERVICE_PID);
            }
            host = service.addresses()[0].trim();
        }
        int port = config.port();
        if (port == 0) {
            if (service.ports().length == 0) {
                throw new IllegalArgumentException("'port' is not set, and neither is 'ports' in " + SERVICE_PID);
            }
            port = service.ports()[0];
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("'port' " + port + " is not a TCP port (1-65535)");
        }
        ProbeSettings settings = new ProbeSettings(config.intervalMillis(), config.timeoutMillis(), config.misses(),
                config.recoveries());
        return new Target(host, port, TcpProbe.unescape(config.send()), TcpProbe.unescape(config.expect()), settings);
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
