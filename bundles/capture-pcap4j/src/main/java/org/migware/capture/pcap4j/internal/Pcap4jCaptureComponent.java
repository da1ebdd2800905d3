package org.migware.capture.pcap4j.internal;

import java.util.Map;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.packet.PacketSender;
import org.migware.api.packet.PacketSource;
import org.migware.capture.shared.internal.CaptureException;
import org.migware.capture.shared.internal.CaptureSettings;
import org.migware.capture.shared.internal.Host;
import org.migware.capture.shared.internal.InvalidConfigurationException;
import org.migware.capture.shared.internal.LiveCaptureComponent;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * Live capture and injection on one interface through pcap4j over libpcap: a {@link PacketSource}
 * and a {@link PacketSender}, configured by PID {@value #PID}. What every live backend does (the
 * service reference, registering by hand after validation, one log line for a refusal) is
 * {@link LiveCaptureComponent}'s; this class validates its configuration and opens libpcap.
 */
@Component(configurationPid = Pcap4jCaptureComponent.PID, service = {}, immediate = true)
@Designate(ocd = Pcap4jCaptureComponent.Config.class)
public final class Pcap4jCaptureComponent extends LiveCaptureComponent {

    /** This component's own PID. */
    public static final String PID = ConfigurationPids.CAPTURE_PCAP4J;

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

    /** pcap4j's source and its separate sending handle. */
    private record Opened(Pcap4jPacketSource source, Pcap4jPacketSender sender) implements Backend {
        @Override
        public void close() {
            source.close();
            sender.close();
        }
    }

    private final Config config;
    private final Host host;

    /**
     * @param context the bundle's context, to register with
     * @param config the capture settings
     * @param properties the component's configuration, passed on as service properties
     */
    @Activate
    public Pcap4jCaptureComponent(BundleContext context, Config config, Map<String, Object> properties) {
        this(context, config, properties, Pcap4jFilters.HOST);
    }

    Pcap4jCaptureComponent(BundleContext context, Config config, Map<String, Object> properties, Host host) {
        super(context, PID, properties);
        this.config = config;
        this.host = host;
    }

    @Override
    protected Backend open(ServiceEndpoints service) throws InvalidConfigurationException, CaptureException {
        CaptureSettings settings = validate(service, config, host);
        Pcap4jPacketSource source = Pcap4jPacketSource.open(settings);
        try {
            return new Opened(source, Pcap4jPacketSender.open(settings.interfaceName()));
        } catch (CaptureException e) {
            source.close();
            throw e;
        }
    }

    /** Validates this backend's configuration with the checks every live backend shares. */
    static CaptureSettings validate(ServiceEndpoints service, Config config, Host host)
            throws InvalidConfigurationException {
        return CaptureSettings.validate(service, PID, readings(config), host);
    }

    /** @return the shared keys of the configuration */
    static CaptureSettings.Readings readings(Config config) {
        return new CaptureSettings.Readings(config::interfaceName, config::snapshotLength, config::bufferSize,
                config::direction, config::extraFilter);
    }

    /** @return the live source, or null when the configuration was refused; for tests */
    synchronized Pcap4jPacketSource source() {
        Backend backend = backend();
        return backend == null ? null : ((Opened) backend).source();
    }

    /** @return the sender, or null when the configuration was refused; for tests */
    synchronized Pcap4jPacketSender sender() {
        Backend backend = backend();
        return backend == null ? null : ((Opened) backend).sender();
    }
}
