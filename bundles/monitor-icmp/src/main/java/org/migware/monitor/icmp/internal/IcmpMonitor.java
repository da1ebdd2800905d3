package org.migware.monitor.icmp.internal;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.List;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.connection.ProtectedService;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthVerdictListener;
import org.migware.api.wire.IpAddressLiterals;
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

import com.sun.jna.Native;

/**
 * The thesis's failure detector, with the safe profile's timing by default: an ICMP echo request to the primary every interval; no reply within
 * the timeout is a miss. Echoes go through a raw socket opened with JNA (root or CAP_NET_RAW), no
 * process is spawned; each instance has its own ICMP identifier.
 *
 * <p>Configured by PID {@value #PID}; without a {@code target} there, the first address of the
 * {@link ProtectedService} is the target (an optional, dynamic reference: the monitor runs without
 * it when a target is set). Without a usable target, or without the privilege for a raw socket,
 * the monitor stays registered with an {@code UNKNOWN} verdict whose reason says what to fix
 * (logged once, no stack trace). A changed configuration or service restarts the probe loop and
 * its verdict starts {@code UNKNOWN} again.
 */
@Component(service = HealthMonitor.class, configurationPid = IcmpMonitor.PID, immediate = true)
@Designate(ocd = IcmpMonitor.Config.class)
public final class IcmpMonitor extends ServiceProbingMonitor<IcmpMonitor.Config> {

    /** The PID that names the primary's service; the endpoints come from {@link ProtectedService}. */
    static final String SERVICE_PID = ConfigurationPids.SERVICE;
    /** This monitor's PID. */
    public static final String PID = ConfigurationPids.MONITOR_ICMP;
    /** The monitor's name. */
    public static final String NAME = "icmp";

    /** The ICMP monitor's settings; the defaults are the safe profile's ({@link ProbeProfile#SAFE}). */
    @ObjectClassDefinition(name = "MigWare ICMP monitor",
            description = "ICMP echo to the primary. 'profile' chooses a set of the four timing keys; a key set beside it"
                    + " overrides that value. safe (the default): an echo every 100 ms, 100 ms to answer, DOWN after 8"
                    + " misses in a row (0.8-0.9 s to decide; random loss of a few percent is no failover). thesis: 500 ms,"
                    + " 500 ms, DOWN after one miss (500-1000 ms; about every 13 s under 2 % loss). fast: 10 ms, 10 ms,"
                    + " 5 misses (56-91 ms on a LAN).")
    public @interface Config {

        /** @return the primary's address */
        @AttributeDefinition(name = "Target", required = false,
                description = "IP address (IPv4 or IPv6, no host names) of the primary. Empty: the first of"
                        + " 'addresses' in org.migware.service.")
        String target() default "";

        /** @return the profile's name */
        @AttributeDefinition(name = "Profile", required = false,
                description = "safe (default), thesis or fast: the interval, timeout, misses and recoveries when those"
                        + " keys are not set.")
        String profile() default "safe";

        /** @return the interval, 0 for the profile's */
        @AttributeDefinition(name = "Interval (ms)", required = false,
                description = "From one echo request to the next. 0: the profile's (safe 100, thesis 500, fast 10).")
        long intervalMillis() default 0;

        /** @return the timeout, 0 for the profile's */
        @AttributeDefinition(name = "Timeout (ms)", required = false,
                description = "How long to wait for the echo reply. 0: the profile's (safe 100, thesis 500, fast 10; on a"
                        + " LAN a reply takes well under 1 ms).")
        long timeoutMillis() default 0;

        /** @return the misses, 0 for the profile's */
        @AttributeDefinition(name = "Misses", required = false,
                description = "Consecutive lost replies that make the primary DOWN. 0: the profile's (safe 8, thesis 1,"
                        + " fast 5).")
        int misses() default 0;

        /** @return the recoveries */
        @AttributeDefinition(name = "Recoveries", required = false,
                description = "Consecutive replies that make a DOWN primary UP again. 0: the profile's (1 in each).")
        int recoveries() default 0;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<HealthVerdictListener> listeners;

    /** The loop and the socket it pings through (null when idle). */
    private record Running(ProbeLoop loop, IcmpSocket socket) implements RestartingProbeLoop.Running {
        @Override
        public void close() {
            loop.close(); // waits for a ping in progress
            if (socket != null) {
                socket.close();
            }
        }
    }

    @Activate
    public IcmpMonitor(Config config) {
        super(config);
    }

    @Modified
    void modified(Config config) {
        configure(config);
    }

    @Override
    protected Running start(ServiceEndpoints service, Config config) {
        InetAddress target;
        ProbeSettings settings;
        try {
            target = target(service, config);
            settings = settings(config);
        } catch (IllegalArgumentException e) {
            return new Running(ProbeLoop.idle(NAME, "(none)", "not probing: " + e.getMessage(), () -> listeners), null);
        }
        IcmpSocket socket;
        try {
            socket = IcmpSocket.open(Native.load("c", RawSocketLibC.class), target, new SecureRandom().nextInt(0x10000));
        } catch (IcmpUnavailableException e) {
            return new Running(ProbeLoop.idle(NAME, target.getHostAddress(), "not probing: " + e.getMessage(), () -> listeners), null);
        } catch (LinkageError e) {
            return new Running(ProbeLoop.idle(NAME, target.getHostAddress(),
                    "not probing: JNA cannot reach libc (" + e.getMessage() + ")", () -> listeners), null);
        }
        return new Running(ProbeLoop.start(NAME, target.getHostAddress(), settings, new IcmpProbe(socket), () -> listeners), socket);
    }

    /**
     * @return the named profile's settings with the keys the configuration sets laid over them
     * @throws IllegalArgumentException naming the configuration key that is wrong
     */
    static ProbeSettings settings(Config config) {
        return ProbeProfile.resolve(config.profile(), config.intervalMillis(), config.timeoutMillis(), config.misses(),
                config.recoveries());
    }

    /**
     * @throws IllegalArgumentException naming the configuration key that is missing or wrong
     */
    static InetAddress target(ServiceEndpoints service, Config config) {
        String text = config.target().trim();
        if (text.isEmpty()) {
            if (service == null) {
                throw new IllegalArgumentException("'target' is not set, and neither is 'addresses' in " + SERVICE_PID);
            }
            return service.addresses().get(0); // validated by the service's owner
        }
        try {
            return IpAddressLiterals.parseWithZone(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'target': " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return NAME;
    }
}
