package org.migware.capture.ring.internal;

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
 * Live capture and injection on one interface through the kernel's TPACKET_V3 packet ring: a
 * {@link PacketSource} and a {@link PacketSender} on one packet socket, configured by PID
 * {@value #PID}, with the same keys and defaults as capture-pcap4j's and three of the ring's own.
 * What every live backend does (the service reference, registering by hand after validation, one
 * log line for a refusal) is {@link LiveCaptureComponent}'s.
 *
 * <p>Which backend runs is chosen by configuration: each captures only once its PID names an
 * interface, and the distribution ships both without one.
 */
@Component(configurationPid = RingCaptureComponent.PID, service = {}, immediate = true)
@Designate(ocd = RingCaptureComponent.Config.class)
public final class RingCaptureComponent extends LiveCaptureComponent {

    /** This component's own PID. */
    public static final String PID = ConfigurationPids.CAPTURE_RING;

    /** The settings of the live capture on the packet ring. */
    @ObjectClassDefinition(name = "MigWare live capture (packet ring)",
            description = "Promiscuous capture on the kernel's TPACKET_V3 ring and frame injection through the same"
                    + " packet socket. The service's addresses and ports come from PID org.migware.service.")
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
                        + " segments up to 64 KiB (more with BIG TCP): use 262144 (and a blockSize of 524288) or turn GRO off.")
        int snapshotLength() default 65535;

        /** @return the ring in bytes */
        @AttributeDefinition(name = "Buffer size",
                description = "Bytes of the ring, mapped into MigWare's memory; at least 1 MiB. A larger one rides out longer bursts.")
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

        /** @return tp_block_size */
        @AttributeDefinition(name = "Block size",
                description = "Bytes of each block of the ring, a power of two from 4096 that holds a frame of"
                        + " snapshotLength. The ring has bufferSize / blockSize blocks.")
        int blockSize() default 256 * 1024;

        /** @return tp_retire_blk_tov */
        @AttributeDefinition(name = "Block timeout",
                description = "Milliseconds, 1 to 1000, after which the kernel hands over a block that is not full:"
                        + " the longest a frame waits in the ring at low rates.")
        int blockTimeoutMillis() default 1;
    }

    /** The source and the sender on its socket; closing the source closes the sender and the socket too. */
    private record Opened(RingPacketSource source) implements Backend {
        @Override
        public PacketSender sender() {
            return source.sender();
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
    public RingCaptureComponent(BundleContext context, Config config, Map<String, Object> properties) {
        this(context, config, properties, PcapCompiler.HOST);
    }

    RingCaptureComponent(BundleContext context, Config config, Map<String, Object> properties, Host host) {
        super(context, PID, properties);
        this.config = config;
        this.host = host;
    }

    @Override
    protected Backend open(ServiceEndpoints service) throws InvalidConfigurationException, CaptureException {
        CaptureSettings settings = CaptureSettings.validate(service, PID, new CaptureSettings.Readings(
                config::interfaceName, config::snapshotLength, config::bufferSize, config::direction,
                config::extraFilter), host);
        RingGeometry geometry = geometry(settings, config);
        return new Opened(RingPacketSource.open(settings, geometry));
    }

    /** @return the ring's shape from the validated settings and the ring's own keys */
    static RingGeometry geometry(CaptureSettings settings, Config config) throws InvalidConfigurationException {
        int blockSize;
        int blockTimeoutMillis;
        try {
            blockSize = config.blockSize();
            blockTimeoutMillis = config.blockTimeoutMillis();
        } catch (RuntimeException e) {
            throw new InvalidConfigurationException(PID + ": 'blockSize' and 'blockTimeoutMillis' should be integers"
                    + " but cannot be read as such (" + e.getMessage() + ").");
        }
        return RingGeometry.validate(PID, settings.bufferSize(), settings.snapshotLength(), blockSize, blockTimeoutMillis);
    }

    /** @return the live source, or null when the configuration was refused; for tests */
    synchronized RingPacketSource source() {
        Backend backend = backend();
        return backend == null ? null : ((Opened) backend).source();
    }
}
