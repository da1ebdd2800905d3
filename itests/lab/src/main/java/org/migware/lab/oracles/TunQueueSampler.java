package org.migware.lab.oracles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;

/**
 * The kernel's own counts of a TUN's transmit side, read every few tens of milliseconds while a
 * round runs ({@code ip -s link}): TX packets are those its reader (MigWare) took, TX dropped those
 * the kernel could not queue for it. Together with tcpdump on the same device, which sees every
 * packet the stack hands it (taken or dropped), they tell when the queue filled and with what —
 * the kernel's word, not MigWare's.
 */
public final class TunQueueSampler implements AutoCloseable {

    /** {@code ip -s link}: the line after "TX:  bytes packets errors dropped ..." holds the counts. */
    private static final Pattern TX = Pattern.compile("TX:[^\\n]*\\n\\s*(\\d+)\\s+(\\d+)\\s+\\d+\\s+(\\d+)");

    /** @param epochMillis when it was read; the counts are cumulative since the device was created */
    public record Sample(long epochMillis, long txPackets, long txDropped) {
    }

    private final LabNetwork lab;
    private final Role role;
    private final String device;
    private final long periodMillis;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stopped;

    private TunQueueSampler(LabNetwork lab, Role role, String device, Duration period) {
        this.lab = lab;
        this.role = role;
        this.device = device;
        this.periodMillis = Math.max(1, period.toMillis());
        this.thread = new Thread(this::run, "tun-queue-sampler");
        this.thread.setDaemon(true);
    }

    /** Starts reading {@code device}'s counts in {@code role}'s namespace every {@code period}. */
    public static TunQueueSampler start(LabNetwork lab, Role role, String device, Duration period) {
        TunQueueSampler sampler = new TunQueueSampler(lab, role, device, period);
        sampler.thread.start();
        return sampler;
    }

    private void run() {
        while (!stopped) {
            long at = System.currentTimeMillis();
            Sample s = parse(at, lab.exec(role, "ip", "-s", "link", "show", device).stdout());
            if (s != null) {
                synchronized (samples) {
                    samples.add(s);
                }
            }
            long rest = periodMillis - (System.currentTimeMillis() - at);
            if (rest > 0) {
                try {
                    Thread.sleep(rest);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** @return the counts of {@code ip -s link show}'s output, null when it has none */
    public static Sample parse(long epochMillis, String ipLink) {
        Matcher m = TX.matcher(ipLink);
        return m.find() ? new Sample(epochMillis, Long.parseLong(m.group(2)), Long.parseLong(m.group(3))) : null;
    }

    /** @return the samples so far, oldest first */
    public List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    /** @return the dropped count at the last sample at or before {@code epochMillis}, 0 before the first */
    public long droppedAt(long epochMillis) {
        long dropped = 0;
        for (Sample s : samples()) {
            if (s.epochMillis() > epochMillis) {
                break;
            }
            dropped = s.txDropped();
        }
        return dropped;
    }

    /** Writes the samples as tab-separated lines: epoch ms, TX packets, TX dropped. */
    public void write(Path file) {
        StringBuilder text = new StringBuilder("epoch_ms\ttx_packets\ttx_dropped\n");
        for (Sample s : samples()) {
            text.append(s.epochMillis()).append('\t').append(s.txPackets()).append('\t').append(s.txDropped()).append('\n');
        }
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
