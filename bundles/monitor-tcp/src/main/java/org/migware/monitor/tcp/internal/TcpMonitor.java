package org.migware.monitor.tcp.internal;

import java.util.List;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.connection.ProtectedService;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthVerdictListener;
import org.migware.monitor.support.ProbeLoop;
import org.migware.monitor.support.ProbeProfile;
import org.migware.monitor.support.ProbeSettings;
import org.migware.monitor.support.RestartingProbeLoop;
import org.migware.monitor.support.ServiceProbingMonitor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Service-level check of the primary: a TCP connection to the service port, optionally a request
 * and an expected reply. Sees a dead service on a live host, which ICMP cannot.
 *
 * <p>Configured by PID {@value #PID}, whose {@code target} and {@code port} win; without them, the
 * first address and port of the {@link ProtectedService} are the defaults (an optional, dynamic
 * reference: the monitor runs without it when both are set). Without a usable host or port the
 * monitor stays registered with an {@code UNKNOWN} verdict whose reason names the key (logged
 * once); it never throws out of activation. A changed configuration or service restarts the probe
 * loop, whose verdict starts {@code UNKNOWN} again.
 */
@Component(service = HealthMonitor.class, configurationPid = TcpMonitor.PID, immediate = true)
@Designate(ocd = TcpMonitor.Config.class)
public final class TcpMonitor extends ServiceProbingMonitor<TcpMonitor.Config> {

    /** The PID that names the primary's service; the endpoints come from {@link ProtectedService}. */
    static final String SERVICE_PID = ConfigurationPids.SERVICE;
    /** This monitor's PID. */
    public static final String PID = ConfigurationPids.MONITOR_TCP;

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

        /** @return the profile's name */
        @AttributeDefinition(name = "Profile", required = false,
                description = "safe (default: 100 ms, 100 ms, DOWN after 8 misses in a row), thesis (500 ms, 500 ms, DOWN"
                        + " after one miss) or fast (10 ms, 10 ms, 5 misses): the next four keys when they are not set.")
        String profile() default "safe";

        /** @return the interval, 0 for the profile's */
        @AttributeDefinition(name = "Interval (ms)", required = false,
                description = "From the start of one probe to the start of the next. 0: the profile's.")
        long intervalMillis() default 0;

        /** @return the timeout, 0 for the profile's */
        @AttributeDefinition(name = "Timeout (ms)", required = false,
                description = "Connect, send and the expected reply must all happen within this time, or the probe is a miss."
                        + " 0: the profile's.")
        long timeoutMillis() default 0;

        /** @return the misses, 0 for the profile's */
        @AttributeDefinition(name = "Misses", required = false,
                description = "Consecutive misses that make the primary DOWN. 0: the profile's.")
        int misses() default 0;

        /** @return the recoveries, 0 for the profile's */
        @AttributeDefinition(name = "Recoveries", required = false,
                description = "Consecutive successes that make a DOWN primary UP again. 0: the profile's (1).")
        int recoveries() default 0;

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

    @Activate
    public TcpMonitor(Config config) {
        super(config);
    }

    @Modified
    void modified(Config config) {
        configure(config);
    }

    @Override
    protected RestartingProbeLoop.Running start(ServiceEndpoints service, Config config) {
        ProbeLoop started = startLoop(service, config);
        return () -> started;
    }

    private ProbeLoop startLoop(ServiceEndpoints service, Config config) {
        int port = config.port() != 0 ? config.port() : service != null ? service.ports()[0] : 0;
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
    static Target target(ServiceEndpoints service, Config config) {
        String host = config.target().trim();
        if (host.isEmpty()) {
            if (service == null) {
                throw new IllegalArgumentException("'target' is not set, and neither is 'addresses' in " + SERVICE_PID);
            }
            host = service.addresses().get(0).getHostAddress();
        }
        int port = config.port();
        if (port == 0) {
            if (service == null) {
                throw new IllegalArgumentException("'port' is not set, and neither is 'ports' in " + SERVICE_PID);
            }
            port = service.ports()[0];
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("'port' " + port + " is not a TCP port (1-65535)");
        }
        ProbeSettings settings = ProbeProfile.resolve(config.profile(), config.intervalMillis(), config.timeoutMillis(),
                config.misses(), config.recoveries());
        return new Target(host, port, TcpProbe.unescape(config.send()), TcpProbe.unescape(config.expect()), settings);
    }

    @Override
    public String name() {
        return loop().monitor();
    }
}
