package org.migware.lab.report;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.migware.lab.ExecResult;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;

/**
 * The client's own kernel as the clock of "the first new byte after the failover": from just after
 * the pull it polls {@code ss -tni} in the client's namespace every {@value #POLL_MILLIS} ms and
 * notes, per connection to the service's port, when its {@code bytes_received} first grew. A
 * connection present at the first poll grows only when new data arrives after the pull (the
 * primary's link is down, nothing was in flight any more); one that appears later (a client that
 * reconnected) counts from zero. It also notes when each connection left ESTABLISHED (a reset or
 * a close reached the client's kernel, which a rate-limited client reports only after draining
 * its socket's buffer). The resolution is the poll interval plus one {@code ss} run.
 */
final class ReceivedBytesWatch implements AutoCloseable {

    static final long POLL_MILLIS = 50;
    /** The socket line's local and peer address:port (the state column is left out under a state filter). */
    private static final Pattern SOCKET = Pattern.compile("^\\S*\\s*\\d+\\s+\\d+\\s+(\\S+):(\\d+)\\s+(\\S+):(\\d+)");
    private static final Pattern RECEIVED = Pattern.compile("bytes_received:(\\d+)");

    private final LabNetwork lab;
    private final int port;
    private final long spanNanos;
    private final Map<Integer, Long> baseline = new HashMap<>();
    private final Map<Integer, Instant> firstGrowth = new HashMap<>();
    private final Map<Integer, Instant> closed = new HashMap<>();
    private final java.util.Set<Integer> existing = new java.util.HashSet<>();
    /** Every poll's view, for raw/: epoch milliseconds, local port, bytes_received. */
    private final StringBuilder samples = new StringBuilder("epoch_ms\tlocal_port\tbytes_received\n");
    private final Thread thread;
    private volatile boolean stop;
    private boolean firstPoll = true;

    private ReceivedBytesWatch(LabNetwork lab, int port, Duration span) {
        this.lab = lab;
        this.port = port;
        this.spanNanos = span.toNanos();
        this.thread = new Thread(this::poll, "received-bytes-watch");
        this.thread.setDaemon(true);
    }

    /**
     * @param lab the lab
     * @param port the service's port the client connects to
     * @param span how long to watch at most
     * @return a running watch: call it right after the pull
     */
    static ReceivedBytesWatch start(LabNetwork lab, int port, Duration span) {
        ReceivedBytesWatch w = new ReceivedBytesWatch(lab, port, span);
        w.thread.start();
        return w;
    }

    private void poll() {
        long end = System.nanoTime() + spanNanos;
        while (!stop && System.nanoTime() < end) {
            ExecResult r;
            try {
                r = lab.exec(Role.CLIENT, Duration.ofSeconds(5), "ss", "-Htni", "state", "established", "dport", "=", ":" + port);
            } catch (RuntimeException e) {
                // stopped (interrupted) or the lab is going away: what was seen stands
                return;
            }
            Instant seen = Instant.now();
            if (r.ok()) {
                record(parse(r.stdout()), seen);
            }
            if (done()) {
                return;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void record(Map<Integer, Long> received, Instant seen) {
        for (Map.Entry<Integer, Long> c : received.entrySet()) {
            samples.append(seen.toEpochMilli()).append('\t').append(c.getKey()).append('\t').append(c.getValue()).append('\n');
            Long before = baseline.get(c.getKey());
            if (before == null) {
                baseline.put(c.getKey(), firstPoll ? c.getValue() : 0L);
                if (firstPoll) {
                    existing.add(c.getKey());
                }
                before = baseline.get(c.getKey());
            }
            if (c.getValue() > before) {
                firstGrowth.putIfAbsent(c.getKey(), seen);
            }
        }
        for (Integer port : baseline.keySet()) {
            if (!received.containsKey(port)) {
                closed.putIfAbsent(port, seen);
            }
        }
        firstPoll = false;
    }

    /**
     * @return whether every connection seen has grown or ended and one has grown: nothing more to
     *     learn (until one grows, a reconnecting client may still come)
     */
    private synchronized boolean done() {
        for (Integer port : baseline.keySet()) {
            if (!firstGrowth.containsKey(port) && !closed.containsKey(port)) {
                return false;
            }
        }
        return !firstGrowth.isEmpty();
    }

    /**
     * @param ss {@code ss -Htni} output
     * @return bytes_received by local port
     */
    static Map<Integer, Long> parse(String ss) {
        Map<Integer, Long> out = new HashMap<>();
        Integer current = null;
        for (String line : ss.split("\n")) {
            Matcher s = SOCKET.matcher(line);
            if (!line.isEmpty() && !Character.isWhitespace(line.charAt(0)) && s.find()) {
                current = Integer.parseInt(s.group(2));
                out.putIfAbsent(current, 0L);
            }
            Matcher b = RECEIVED.matcher(line);
            if (current != null && b.find()) {
                out.put(current, Long.parseLong(b.group(1)));
            }
        }
        return out;
    }

    /**
     * @param pulled when the primary's link was down
     * @param existingToo whether connections open at the first poll count: not behind a proxy that
     *     buffers (HAProxy still forwards what the primary sent before the pull), only reconnects count
     * @return per connection that received anything new, milliseconds from the pull to it
     */
    synchronized List<Double> firstByteMillis(Instant pulled, boolean existingToo) {
        List<Double> out = new ArrayList<>();
        for (Map.Entry<Integer, Instant> g : firstGrowth.entrySet()) {
            if (existingToo || !existing.contains(g.getKey())) {
                out.add(Duration.between(pulled, g.getValue()).toNanos() / 1e6);
            }
        }
        out.sort(Double::compare);
        return out;
    }

    /**
     * @param pulled when the primary's link was down
     * @return per connection that left ESTABLISHED while watched, milliseconds from the pull to then
     */
    synchronized List<Double> closedMillis(Instant pulled) {
        List<Double> out = new ArrayList<>();
        for (Instant t : closed.values()) {
            out.add(Duration.between(pulled, t).toNanos() / 1e6);
        }
        out.sort(Double::compare);
        return out;
    }

    /** @return every poll's view as TSV (epoch_ms, local_port, bytes_received) */
    synchronized String samples() {
        return samples.toString();
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
