package org.migware.proxy.internal.recorder;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.felix.service.command.Descriptor;
import org.migware.api.config.ConfigurationPids;
import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverListener;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.MappingSnapshot;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the most recent frames MigWare captured and sent, on the wire and on the TUN, in a ring
 * of fixed size, and writes those of one client as pcapng on request ({@code migware:pcap}): what
 * happened to a connection around a failover, as tshark shows it. Off unless {@code ringBytes} is
 * set ({@code etc/org.migware.recorder.cfg}): the proxy then pays a call and a null check per
 * frame; on, one copy per frame into the ring.
 *
 * <p>With {@code failoverSeconds} set it also writes, on its own, every frame from that long
 * before each failover (NORMAL to RECOVERY) to that long after, once the time after has passed,
 * into {@code recordingsDir}: the record of a failover nobody was watching.
 */
@Component(service = {FlightRecorder.class, FailoverListener.class}, configurationPid = ConfigurationPids.RECORDER,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, property = {
            "osgi.command.scope=migware",
            "osgi.command.function=pcap"
        })
@Designate(ocd = FlightRecorder.Config.class)
public final class FlightRecorder implements FailoverListener {

    /** How much the ring holds. */
    @ObjectClassDefinition(name = "MigWare frame recorder")
    public @interface Config {

        @AttributeDefinition(name = "Ring bytes", description = "Bytes of recent frames kept (wire and TUN together); the oldest go"
                + " first. 0: the recorder is off")
        int ringBytes() default 0;

        @AttributeDefinition(name = "Snap length", description = "The most bytes kept of one frame")
        int snapLength() default 2048;

        @AttributeDefinition(name = "Failover seconds", description = "Write every frame from this many seconds before each"
                + " failover to as many after, on its own, as failover-<time>.pcapng in the recordings folder; 0: only on"
                + " request (migware:pcap). The ring must hold twice this time of traffic")
        int failoverSeconds() default 0;

        @AttributeDefinition(name = "Recordings folder", description = "Where the failover recordings go; empty: recordings/"
                + " in the container's var folder (framework property migware.var)")
        String recordingsDir() default "";
    }

    /** One frame copied out of the ring. */
    private record Recorded(FrameRing.Side side, long epochNanos, int originalLength, byte[] bytes) {
    }

    /** Which frames of the ring to write. */
    private interface Selection {
        boolean wanted(FrameRing.Side side, long epochNanos, byte[] bytes, int offset, int length);
    }

    private static final Logger LOG = LoggerFactory.getLogger(FlightRecorder.class);
    private static final DateTimeFormatter FILE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** Null while the recorder is off. */
    private final FrameRing ring;
    private final Clock clock = Clock.systemUTC();
    private volatile Supplier<List<MappingSnapshot>> mappings = List::of;
    /** 0: no recording of its own at a failover. */
    private final long failoverNanos;
    /** Null when nothing is recorded on its own. */
    private final Path recordings;
    /** Writes the failover recordings, off the failover's thread; null when there are none to write. */
    private final ScheduledExecutorService writer;

    @Activate
    public FlightRecorder(Config config, BundleContext context) {
        this(config, recordingsFolder(config, context.getProperty("migware.var")));
    }

    FlightRecorder(Config config, Path recordings) {
        this.ring = config.ringBytes() <= 0 ? null : new FrameRing(config.ringBytes(), config.snapLength());
        boolean onFailover = ring != null && config.failoverSeconds() > 0 && recordings != null;
        if (ring != null && config.failoverSeconds() > 0 && recordings == null) {
            LOG.warn("recorder: failoverSeconds is set but there is no folder for the recordings: set recordingsDir");
        }
        this.failoverNanos = onFailover ? TimeUnit.SECONDS.toNanos(config.failoverSeconds()) : 0;
        this.recordings = onFailover ? recordings : null;
        this.writer = onFailover ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "migware-recorder-failover");
            thread.setDaemon(true);
            return thread;
        }) : null;
    }

    private static Path recordingsFolder(Config config, String var) {
        if (!config.recordingsDir().isBlank()) {
            return Path.of(config.recordingsDir());
        }
        return var == null || var.isBlank() ? null : Path.of(var, "recordings");
    }

    @Deactivate
    void deactivate() {
        if (writer != null) {
            writer.shutdownNow();
        }
    }

    /** At a failover, schedules the recording of the frames around it, once the time after it has passed. */
    @Override
    public void stateChanged(FailoverEvent event) {
        if (writer == null || event.to() != FailoverState.RECOVERY
                || event.from() != FailoverState.NORMAL && event.from() != FailoverState.CLAIMING) {
            return;
        }
        long at = event.time().getEpochSecond() * 1_000_000_000L + event.time().getNano();
        long delayNanos = Math.max(0, at + failoverNanos - nowNanos());
        writer.schedule(() -> recordFailover(at), delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Writes every frame of the ring from failoverSeconds before {@code at} to as long after. */
    void recordFailover(long at) {
        Path file = recordings.resolve("failover-" + FILE_TIME.format(java.time.Instant.ofEpochSecond(0, at)) + ".pcapng");
        long from = at - failoverNanos;
        long to = at + failoverNanos;
        long[] oldest = {Long.MAX_VALUE};
        try {
            Files.createDirectories(recordings);
            long written = write(file, (side, time, bytes, offset, length) -> {
                oldest[0] = Math.min(oldest[0], time);
                return time >= from && time <= to;
            });
            String partial = oldest[0] > from ? " (the ring held only the last " + TimeUnit.NANOSECONDS.toMillis(at - Math.min(at, oldest[0]))
                    + " ms before it: raise ringBytes to keep all " + TimeUnit.NANOSECONDS.toSeconds(failoverNanos) + " s)" : "";
            LOG.info("recorder: wrote {} frames around the failover at {} to {}{}", written, java.time.Instant.ofEpochSecond(0, at),
                    file, partial);
        } catch (IOException | RuntimeException e) {
            LOG.error("recorder: cannot write the recording of the failover at {} to {}: {}", java.time.Instant.ofEpochSecond(0, at),
                    file, e.toString());
        }
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
        long written = write(target, (side, time, bytes, offset, length) -> filter.matches(bytes, offset, length, side.ethernet()));
        return "wrote " + written + " frames of " + filter + " to " + target + " (the ring holds " + ring.size() + " frames of "
                + ring.recorded() + " recorded, " + ring.capacityBytes() + " bytes)";
    }

    /**
     * Writes the selected frames of the ring to {@code target} (replaced; mode 0600) as pcapng.
     *
     * @return how many were written
     */
    private long write(Path target, Selection selection) throws IOException {
        Files.deleteIfExists(target);
        Files.createFile(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        // Copied out under the ring's lock, written after it: the capture thread must not wait for the disk.
        List<Recorded> frames = new java.util.ArrayList<>();
        ring.forEach((side, time, original, bytes, offset, length) -> {
            if (selection.wanted(side, time, bytes, offset, length)) {
                frames.add(new Recorded(side, time, original, java.util.Arrays.copyOfRange(bytes, offset, offset + length)));
            }
        });
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.WRITE);
                PcapngWriter pcapng = new PcapngWriter(out, 65_535, "wire", "tun")) {
            for (Recorded frame : frames) {
                pcapng.write(frame.side(), frame.epochNanos(), frame.originalLength(), frame.bytes(), 0, frame.bytes().length);
            }
            return pcapng.packets();
        }
    }
}
