package org.migware.proxy.internal.recorder;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;

import org.apache.felix.service.command.Descriptor;
import org.migware.api.config.ConfigurationPids;
import org.migware.api.failover.MappingSnapshot;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Keeps the most recent frames MigWare captured and sent, on the wire and on the TUN, in a ring
 * of fixed size, and writes those of one client as pcapng on request ({@code migware:pcap}): what
 * happened to a connection around a failover, as tshark shows it. Off unless {@code ringBytes} is
 * set ({@code etc/org.migware.recorder.cfg}): the proxy then pays a call and a null check per
 * frame; on, one copy per frame into the ring.
 */
@Component(service = {FlightRecorder.class}, configurationPid = ConfigurationPids.RECORDER,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, property = {
            "osgi.command.scope=migware",
            "osgi.command.function=pcap"
        })
@Designate(ocd = FlightRecorder.Config.class)
public final class FlightRecorder {

    /** How much the ring holds. */
    @ObjectClassDefinition(name = "MigWare frame recorder")
    public @interface Config {

        @AttributeDefinition(name = "Ring bytes", description = "Bytes of recent frames kept (wire and TUN together); the oldest go"
                + " first. 0: the recorder is off")
        int ringBytes() default 0;

        @AttributeDefinition(name = "Snap length", description = "The most bytes kept of one frame")
        int snapLength() default 2048;
    }

    /** One frame copied out of the ring. */
    private record Recorded(FrameRing.Side side, long epochNanos, int originalLength, byte[] bytes) {
    }

    /** Null while the recorder is off. */
    private final FrameRing ring;
    private final Clock clock = Clock.systemUTC();
    private volatile Supplier<List<MappingSnapshot>> mappings = List::of;

    @Activate
    public FlightRecorder(Config config) {
        this.ring = config.ringBytes() <= 0 ? null : new FrameRing(config.ringBytes(), config.snapLength());
    }

    /**
     * Where the shadow endpoints of the carried connections come from: the proxy tells it when it
     * binds this recorder (a reference back to the proxy would be a cycle, which SCR warns about).
     */
    public void mappingsFrom(Supplier<List<MappingSnapshot>> source) {
        mappings = source == null ? List::of : source;
    }

    /** Records one frame; {@code epochNanos} 0 takes the time now. */
    public void record(FrameRing.Side side, byte[] frame, int offset, int length, long epochNanos) {
        if (ring == null) {
            return;
        }
        ring.record(side, frame, offset, length, epochNanos != 0 ? epochNanos : nowNanos());
    }

    private long nowNanos() {
        java.time.Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /**
     * {@code migware:pcap <ip[:port]> <file>}: the recorded frames of that client's connections.
     *
     * @return one line: what was written
     */
    @Descriptor("write the recorded frames of one client (its wire segments and, after a failover, its connections' TUN side) as pcapng")
    public String pcap(@Descriptor("the client: ip or ip:port") String client, @Descriptor("the pcapng file to write (mode 0600)") String file)
            throws IOException {
        if (ring == null) {
            return "the recorder is off: set ringBytes (e.g. 67108864) in etc/" + ConfigurationPids.RECORDER + ".cfg, then the"
                    + " frames from then on are kept";
        }
        FrameFilter filter = new FrameFilter(client, mappings.get());
        Path target = Path.of(file).toAbsolutePath();
        Files.deleteIfExists(target);
        Files.createFile(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        // Copied out under the ring's lock, written after it: the capture thread must not wait for the disk.
        List<Recorded> frames = new java.util.ArrayList<>();
        ring.forEach((side, time, original, bytes, offset, length) -> {
            if (filter.matches(bytes, offset, length, side.ethernet())) {
                frames.add(new Recorded(side, time, original, java.util.Arrays.copyOfRange(bytes, offset, offset + length)));
            }
        });
        long written;
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.WRITE);
                PcapngWriter writer = new PcapngWriter(out, 65_535, "wire", "tun")) {
            for (Recorded frame : frames) {
                writer.write(frame.side(), frame.epochNanos(), frame.originalLength(), frame.bytes(), 0, frame.bytes().length);
            }
            written = writer.packets();
        }
        return "wrote " + written + " frames of " + filter + " to " + target + " (the ring holds " + ring.size() + " frames of "
                + ring.recorded() + " recorded, " + ring.capacityBytes() + " bytes)";
    }
}
