package org.migware.capture.pcap4j.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.connection.ProtectedService;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.packet.PacketSender;
import org.migware.api.packet.PacketSource;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
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
 * Live capture and injection on one interface: a {@link PacketSource} and a {@link PacketSender}.
 *
 * <p>Configured by PID {@value #PID}; the service to watch (its addresses and ports, from which
 * the capture filter is made) comes from {@link ProtectedService}, an optional, dynamic reference:
 * without it nothing is captured, and a changed service re-opens the capture with the new filter.
 *
 * <p>Why the services are registered by hand instead of by DS: a wrong setting, a missing
 * interface or a missing privilege must give one clear log line, and a DS activate method (or
 * constructor) that throws makes SCR log a stack trace and retry. So this is an immediate component
 * that provides no service itself; it validates, opens the handles, and only when all that worked
 * registers the two services through the {@link BundleContext}; closing unregisters them before it
 * closes the handles, so no consumer uses a closed one.
 *
 * <p>There is no {@code @Modified}: any change of this component's own configuration (another
 * interface, another filter) needs new handles, so DS re-creates the component; subscribers see
 * their source leave and come back, as they do when the service changes.
 */
@Component(configurationPid = Pcap4jCaptureComponent.PID, service = {}, immediate = true)
@Designate(ocd = Pcap4jCaptureComponent.Config.class)
public final class Pcap4jCaptureComponent {

    /** The PID that says which service MigWare watches; the endpoints come from {@link ProtectedService}. */
    static final String SERVICE_PID = ConfigurationPids.SERVICE;
    /** This component's own PID. */
    public static final String PID = ConfigurationPids.CAPTURE_PCAP4J;

    private static final Logger LOG = LoggerFactory.getLogger(Pcap4jCaptureComponent.class);

    /** The settings of the live capture. */
    @ObjectClassDefinition(name = "MigWare live capture (pcap4j)",
            description = "Promiscuous capture and frame injection on one interface through libpcap."
                    + " The service's addresses and ports come from PID org.migware.service.")
    public @interface Config {

        /** @return the interface */
        @AttributeDefinition(name = "Interface",
                description = "The interface that sees the clients' traffic to the primary (a mirror port,"
                        + " a hub, a bridge port), for example eth1. Required.")
        String interfaceName() default "";

        /** @return bytes kept of each frame */
        @AttributeDefinition(name = "Snapshot length",
                description = "Bytes kept of each frame, 134 to 262144. Frames longer than this are dropped"
                        + " and counted (longer-than-snaplen). With GRO/LRO on, the kernel hands over merged"
                        + " segments up to 64 KiB (more with BIG TCP): use 262144 or turn GRO off.")
        int snapshotLength() default 65535;

        /** @return the kernel ring buffer in bytes */
        @AttributeDefinition(name = "Buffer size",
                description = "Bytes of libpcap's kernel ring buffer; at least 1 MiB. A larger one rides out longer bursts.")
        int bufferSize() default 16 * 1024 * 1024;

        /** @return IN or INOUT */
        @AttributeDefinition(name = "Direction",
                description = "IN captures what arrives at the interface (the mirrored traffic) and leaves out"
                        + " what this host sends, including injected frames; INOUT captures both.",
                options = {@Option(label = "Arriving frames", value = "IN"),
                        @Option(label = "Arriving and leaving frames", value = "INOUT")})
        String direction() default "IN";

        /** @return a BPF expression whose frames are captured as well */
        @AttributeDefinition(name = "Extra filter",
                description = "A BPF expression (tcpdump syntax) whose frames are captured in addition to the"
                        + " service's TCP traffic and ARP, e.g. 'icmp'. Empty for none.")
        String extraFilter() default "";
    }

    /** An open capture and sender, and their registrations. */
    private record Opened(Pcap4jPacketSource source, Pcap4jPacketSender sender,
                          ServiceRegistration<PacketSource> sourceRegistration,
                          ServiceRegistration<PacketSender> senderRegistration) {

        /** Unregisters both services, then stops the capture and closes both handles. */
        void close() {
            unregister(sourceRegistration);
            unregister(senderRegistration);
            source.close();
            sender.close();
        }
    }

    private final BundleContext context;
    private final Config config;
    private final Map<String, Object> properties;
    private final Host host;
    private ServiceEndpoints service;
    /** Between activate and deactivate: DS binds before the one and may unbind after the other. */
    private boolean active;
    private Opened opened;

    /**
     * @param context the bundle's context, to register with
     * @param config the capture settings
     * @param properties the component's configuration, passed on as service properties
     */
    @Activate
    public Pcap4jCaptureComponent(BundleContext context, Config config, Map<String, Object> properties) {
        this(context, config, properties, LinuxHost.INSTANCE);
    }

    Pcap4jCaptureComponent(BundleContext context, Config config, Map<String, Object> properties, Host host) {
        this.context = context;
        this.config = config;
        this.properties = properties;
        this.host = host;
    }

    /** Validates, opens the capture and the sender, registers both services. */
    @Activate
    synchronized void activate() {
        active = true;
        open();
    }

    /** Unregisters both services, then stops the capture and closes both handles. */
    @Deactivate
    synchronized void deactivate() {
        active = false;
        close();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, updated = "updatedProtectedService")
    synchronized void bindProtectedService(ProtectedService protectedService) {
        service = protectedService.endpoints();
        reopen();
    }

    /** Another service is another filter: the capture is opened afresh. */
    synchronized void updatedProtectedService(ProtectedService protectedService) {
        bindProtectedService(protectedService);
    }

    synchronized void unbindProtectedService(ProtectedService protectedService) {
        service = null;
        reopen();
    }

    private void reopen() {
        if (active) {
            close();
            open();
        }
    }

    private void open() {
        Pcap4jPacketSource openedSource = null;
        Pcap4jPacketSender openedSender;
        try {
            CaptureSettings settings = CaptureSettings.validate(service, config, host);
            openedSource = Pcap4jPacketSource.open(settings);
            openedSender = Pcap4jPacketSender.open(settings.interfaceName());
        } catch (InvalidConfigurationException | CaptureException e) {
            // One line, no stack trace: the message says what to fix. A refused configuration names
            // its PID itself; libpcap's refusals get this component's PID in front.
            List<String> unconfigured = new ArrayList<>(service == null ? List.of(SERVICE_PID) : List.of());
            unconfigured.addAll(unconfigured(properties, PID));
            if (e instanceof InvalidConfigurationException && !unconfigured.isEmpty()) {
                // Not (yet) configured at all: normal while FileInstall has not delivered the
                // configuration after a start, so not an error; DS activates again when it comes.
                LOG.info("{}: waiting for configuration {} ({}).", PID, unconfigured, e.getMessage());
            } else {
                String what = e instanceof CaptureException ? PID + ": " + e.getMessage() + "." : e.getMessage();
                LOG.error("{} No live PacketSource or PacketSender is registered.", what);
            }
            if (openedSource != null) {
                openedSource.close();
            }
            return;
        }
        openedSource.start();

        Hashtable<String, Object> serviceProperties = new Hashtable<>();
        properties.forEach((key, value) -> {
            if (!key.startsWith(".")) { // DS convention: keys that start with a dot stay private
                serviceProperties.put(key, value);
            }
        });
        // the service's keys, as when they came merged into this component's configuration
        serviceProperties.put(ProtectedService.ADDRESSES, openedSource.settings().addresses().toArray(new String[0]));
        serviceProperties.put(ProtectedService.PORTS, service.ports());
        serviceProperties.put("migware.interface", openedSource.settings().interfaceName());
        serviceProperties.put("migware.source.name", openedSource.name());
        serviceProperties.put(Constants.SERVICE_DESCRIPTION, "MigWare live capture on " + openedSource.settings().interfaceName());
        ServiceRegistration<PacketSource> sourceRegistration = context.registerService(PacketSource.class, openedSource, serviceProperties);
        serviceProperties.put(Constants.SERVICE_DESCRIPTION, "MigWare frame injection on " + openedSource.settings().interfaceName());
        ServiceRegistration<PacketSender> senderRegistration = context.registerService(PacketSender.class, openedSender, serviceProperties);
        opened = new Opened(openedSource, openedSender, sourceRegistration, senderRegistration);
    }

    private void close() {
        if (opened != null) {
            opened.close();
            opened = null;
        }
    }

    /** @return the live source, or null when the configuration was refused; for tests */
    synchronized Pcap4jPacketSource source() {
        return opened == null ? null : opened.source();
    }

    /** @return the sender, or null when the configuration was refused; for tests */
    synchronized Pcap4jPacketSender sender() {
        return opened == null ? null : opened.sender();
    }

    /**
     * @return those of {@code pids} for which Configuration Admin holds no configuration: DS lists
     *     the ones it used in {@code service.pid} (a String, or a list or array for several PIDs)
     */
    static List<String> unconfigured(Map<String, Object> properties, String... pids) {
        Object configured = properties.get(Constants.SERVICE_PID);
        List<String> present = new ArrayList<>();
        if (configured instanceof String one) {
            present.add(one);
        } else if (configured instanceof Collection<?> several) {
            several.forEach(pid -> present.add(String.valueOf(pid)));
        } else if (configured instanceof Object[] several) {
            Arrays.stream(several).forEach(pid -> present.add(String.valueOf(pid)));
        }
        return Arrays.stream(pids).filter(pid -> !present.contains(pid)).toList();
    }

    private static void unregister(ServiceRegistration<?> registration) {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework unregistered it first when the bundle stopped
            }
        }
    }
}
