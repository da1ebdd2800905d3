package org.migware.monitor.traffic.internal;

import org.migware.api.connection.ServiceEndpoints;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.migware.api.health.HealthStatus;
import org.migware.api.packet.ParsedPacket;
import org.migware.api.wire.SequenceNumbers;

/**
 * The passive failure detector: follows client connections to the service from captured
 * packets and, when asked, says whether the traffic shows a dead primary, a live one, or
 * nothing either way.
 *
 * <p>The evidence of a dead primary is clients retransmitting data that the primary no longer
 * acknowledges while the primary sends nothing at all, on any connection: a live server that is
 * merely slow on one connection still sends ACKs, duplicate ACKs or data on the others, and a
 * live path that drops one segment still yields duplicate ACKs. An idle service (no client data
 * outstanding) is never evidence of anything.
 *
 * <p>Per connection it keeps only what that needs, in flat arrays indexed by an open-addressing
 * (linear probing) hash table of fixed size: the client's highest sequence end, the server's
 * highest ACK, since when the oldest unacknowledged client data has waited, and how many client
 * retransmissions of unacknowledged data came since the server's last ACK progress. Accepting a
 * packet allocates nothing. Times come from one monotonic clock, read when a packet is accepted
 * and when an evaluation runs, so capture timestamps (a replayed file, a stepped wall clock)
 * cannot make the server look silent.
 *
 * <p>Thread-safe: the capture thread accepts packets, the evaluation thread evaluates, both
 * under this object's lock.
 */
final class StallDetector {

    private static final long NANOS_PER_MILLI = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int FREE = 0;

    private final LongSupplier nanoClock;

    private ServiceEndpoints service;
    private DetectorSettings settings;
    private long stallNanos;
    private long idleNanos;

    // ---- the table: slot i is in use when serverIndex[i] != FREE ----
    private int mask;
    private long[] clientHigh;
    private long[] clientLow;
    /** client port in the high 16 bits, server port in the low 16 */
    private int[] ports;
    /** index of the configured service address plus one; {@link #FREE} marks an unused slot */
    private int[] serverIndex;
    /** the client's highest sequence end (SYN and FIN count one) */
    private int[] clientSequenceEnd;
    /** the server's highest ACK, or where the first client segment seen began until the server ACKs */
    private int[] acknowledged;
    /** client retransmissions of unacknowledged data since the server's last ACK progress */
    private int[] retransmissions;
    /** since when the oldest unacknowledged client data has waited without ACK progress */
    private long[] outstandingSince;
    private long[] lastPacket;
    private int size;

    // ---- across every connection ----
    private long lastServerPacket;
    private long lastServerProgress;
    private boolean serverProgressSeen;
    private long segmentsNotFollowed;

    /**
     * @param service the service's endpoints, or {@code null} while not configured (nothing is followed)
     * @param settings the thresholds
     * @param nanoClock a monotonic clock in nanoseconds, {@code System::nanoTime} outside tests
     */
    StallDetector(ServiceEndpoints service, DetectorSettings settings, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.service = service;
        applySettings(settings);
        allocate(settings.maxConnections());
        restart();
    }

    /**
     * Takes new settings. A change of the service or of the table's bound starts afresh; a change
     * of thresholds keeps every followed connection.
     */
    synchronized void reconfigure(ServiceEndpoints newService, DetectorSettings newSettings) {
        boolean serviceChanged = newService == null ? service != null : !newService.equals(service);
        boolean boundChanged = newSettings.maxConnections() != settings.maxConnections();
        service = newService;
        applySettings(newSettings);
        if (boundChanged) {
            allocate(newSettings.maxConnections());
            restart();
        } else if (serviceChanged) {
            clear();
            restart();
        }
    }

    /** Forgets every connection and starts observing afresh, as when the packet source changes. */
    synchronized void reset() {
        clear();
        restart();
    }

    private void applySettings(DetectorSettings newSettings) {
        settings = newSettings;
        stallNanos = newSettings.stallMillis() * NANOS_PER_MILLI;
        idleNanos = newSettings.idleTimeoutMillis() * NANOS_PER_MILLI;
    }

    private void allocate(int maxConnections) {
        // at most half full, so that a probe sequence stays short and always meets a free slot
        int capacity = Integer.highestOneBit(Math.max(2, maxConnections) * 2 - 1) << 1;
        mask = capacity - 1;
        clientHigh = new long[capacity];
        clientLow = new long[capacity];
        ports = new int[capacity];
        serverIndex = new int[capacity];
        clientSequenceEnd = new int[capacity];
        acknowledged = new int[capacity];
        retransmissions = new int[capacity];
        outstandingSince = new long[capacity];
        lastPacket = new long[capacity];
        size = 0;
    }

    private void clear() {
        Arrays.fill(serverIndex, FREE);
        size = 0;
    }

    private void restart() {
        // Silence is measured from when observation began: a primary that was dead before the
        // monitor started must still be found, but only after a full stallMillis of watching.
        lastServerPacket = nanoClock.getAsLong();
        serverProgressSeen = false;
    }

    /**
     * Parses one captured frame with {@code view} and follows it when it is TCP to or from the
     * service. Allocates nothing.
     */
    synchronized void accept(ParsedPacket view, byte[] frame, int offset, int length) {
        if (service == null || !view.parse(frame, offset, length).isTcp()) {
            return;
        }
        ServiceEndpoints endpoints = service;
        int toService = endpoints.indexOf(view.destinationAddressHigh(), view.destinationAddressLow(), view.destinationPort());
        if (toService != ServiceEndpoints.NOT_SERVICE) {
            fromClient(view, toService, nanoClock.getAsLong());
            return;
        }
        int fromService = endpoints.indexOf(view.sourceAddressHigh(), view.sourceAddressLow(), view.sourcePort());
        if (fromService != ServiceEndpoints.NOT_SERVICE) {
            fromServer(view, fromService, nanoClock.getAsLong());
        }
    }

    private void fromClient(ParsedPacket p, int service, long now) {
        long cHigh = p.sourceAddressHigh();
        long cLow = p.sourceAddressLow();
        int packedPorts = p.sourcePort() << 16 | p.destinationPort();
        int server = service + 1;
        int flags = p.flags();
        int slot = find(cHigh, cLow, packedPorts, server);
        if ((flags & ParsedPacket.RST) != 0) {
            if (slot >= 0) {
                removeAt(slot);
            }
            return;
        }
        boolean syn = (flags & ParsedPacket.SYN) != 0;
        int sequence = p.sequenceNumber();
        int start = syn ? sequence + 1 : sequence;
        int end = start + p.payloadLength() + ((flags & ParsedPacket.FIN) != 0 ? 1 : 0);
        if (end == sequence) {
            // a pure ACK or a zero-window probe without data: nothing the server owes an answer to
            if (slot >= 0) {
                lastPacket[slot] = now;
            }
            return;
        }
        if (slot >= 0 && syn && (flags & ParsedPacket.ACK) == 0 && end != clientSequenceEnd[slot]) {
            // a new SYN on a reused 4-tuple: a new connection
            initialize(slot, sequence, end, now);
            return;
        }
        if (slot < 0) {
            if (size >= settings.maxConnections()) {
                segmentsNotFollowed++;
                return;
            }
            slot = -slot - 1;
            clientHigh[slot] = cHigh;
            clientLow[slot] = cLow;
            ports[slot] = packedPorts;
            serverIndex[slot] = server;
            size++;
            // first seen mid-stream: treat this segment as the first unacknowledged data
            initialize(slot, sequence, end, now);
            return;
        }
        lastPacket[slot] = now;
        if (SequenceNumbers.after(end, clientSequenceEnd[slot])) {
            if (!SequenceNumbers.after(clientSequenceEnd[slot], acknowledged[slot])) {
                outstandingSince[slot] = now;
            }
            clientSequenceEnd[slot] = end;
        } else if (SequenceNumbers.after(end, acknowledged[slot])) {
            // data sent before and still not acknowledged: a retransmission (a keepalive re-sends
            // acknowledged data and does not count)
            if (retransmissions[slot] != Integer.MAX_VALUE) {
                retransmissions[slot]++;
            }
        }
    }

    private void initialize(int slot, int sequence, int end, long now) {
        clientSequenceEnd[slot] = end;
        acknowledged[slot] = sequence;
        retransmissions[slot] = 0;
        outstandingSince[slot] = now;
        lastPacket[slot] = now;
    }

    private void fromServer(ParsedPacket p, int service, long now) {
        lastServerPacket = now;
        int flags = p.flags();
        int slot = find(p.destinationAddressHigh(), p.destinationAddressLow(),
                p.destinationPort() << 16 | p.sourcePort(), service + 1);
        if (slot < 0) {
            return;
        }
        if ((flags & ParsedPacket.RST) != 0) {
            removeAt(slot);
            return;
        }
        lastPacket[slot] = now;
        if ((flags & ParsedPacket.ACK) == 0) {
            return;
        }
        int ack = p.acknowledgementNumber();
        if (!SequenceNumbers.after(ack, acknowledged[slot])) {
            return;
        }
        acknowledged[slot] = ack;
        retransmissions[slot] = 0;
        lastServerProgress = now;
        serverProgressSeen = true;
        if (SequenceNumbers.after(ack, clientSequenceEnd[slot])) {
            // the mirror lost client segments that the server did receive
            clientSequenceEnd[slot] = ack;
        } else if (SequenceNumbers.after(clientSequenceEnd[slot], ack)) {
            // what is still unacknowledged waits from now on
            outstandingSince[slot] = now;
        }
    }

    /**
     * Looks at every followed connection now (and forgets those idle past the timeout).
     *
     * @return the evidence of this moment
     */
    synchronized Evidence evaluate() {
        long now = nanoClock.getAsLong();
        if (service == null) {
            return new Evidence(HealthStatus.UNKNOWN,
                    "service not configured: set 'addresses' and 'ports' in org.migware.service", 0, 0, 0);
        }
        expireIdle(now);
        int outstanding = 0;
        int stalled = 0;
        long longestStall = 0;
        long stalledRetransmissions = 0;
        int minRetransmissions = settings.minRetransmissions();
        for (int slot = 0; slot <= mask; slot++) {
            if (serverIndex[slot] == FREE || !SequenceNumbers.after(clientSequenceEnd[slot], acknowledged[slot])) {
                continue;
            }
            outstanding++;
            long waited = now - outstandingSince[slot];
            if (waited > stallNanos && retransmissions[slot] >= minRetransmissions) {
                stalled++;
                longestStall = Math.max(longestStall, waited);
                stalledRetransmissions += retransmissions[slot];
            }
        }
        long serverSilent = now - lastServerPacket;
        if (stalled >= settings.minStalledConnections() && serverSilent > stallNanos) {
            return new Evidence(HealthStatus.DOWN, stalled + " of " + connections(size)
                    + (stalled == 1 ? " has" : " have") + " client data unacknowledged for over " + settings.stallMillis()
                    + " ms (longest " + millis(longestStall) + " ms, " + stalledRetransmissions
                    + " client retransmissions since the server's last ACK progress) and the server sent nothing on any connection for "
                    + millis(serverSilent) + " ms", size, outstanding, stalled);
        }
        if (serverProgressSeen && now - lastServerProgress <= stallNanos) {
            return new Evidence(HealthStatus.UP, "the server acknowledged client data " + millis(now - lastServerProgress)
                    + " ms ago (" + connections(size) + " followed, " + outstanding + " with data outstanding)",
                    size, outstanding, stalled);
        }
        if (outstanding == 0) {
            return new Evidence(HealthStatus.UNKNOWN, Evidence.NOTHING_TO_JUDGE, size, 0, 0);
        }
        return new Evidence(HealthStatus.UNKNOWN, "client data outstanding on " + connections(outstanding) + ", "
                + stalled + " stalled, the server last sent " + millis(serverSilent)
                + " ms ago: not conclusive yet", size, outstanding, stalled);
    }

    private static String connections(int count) {
        return count == 1 ? "1 connection" : count + " connections";
    }

    private static long millis(long nanos) {
        return nanos / NANOS_PER_MILLI;
    }

    private void expireIdle(long now) {
        int slot = 0;
        while (slot <= mask) {
            if (serverIndex[slot] != FREE && now - lastPacket[slot] > idleNanos) {
                // backward-shift deletion may move a later entry into this slot: look at it again
                removeAt(slot);
            } else {
                slot++;
            }
        }
    }

    /** @return connections followed now */
    synchronized int size() {
        return size;
    }

    /** @return client segments of connections not followed because the table was full */
    synchronized long segmentsNotFollowed() {
        return segmentsNotFollowed;
    }

    // ---- open addressing ----

    private static int hash(long high, long low, int packedPorts, int server) {
        long h = high * 0x9E37_79B9_7F4A_7C15L + low;
        h = h * 0x9E37_79B9_7F4A_7C15L + ((long) packedPorts << 8 | server);
        // MurmurHash3's 64-bit finalizer
        h ^= h >>> 33;
        h *= 0xff51_afd7_ed55_8ccdL;
        h ^= h >>> 33;
        h *= 0xc4ce_b9fe_1a85_ec53L;
        h ^= h >>> 33;
        return (int) h;
    }

    /** @return the slot of the key, or {@code -(free slot) - 1} where it would go */
    private int find(long high, long low, int packedPorts, int server) {
        int slot = hash(high, low, packedPorts, server) & mask;
        while (serverIndex[slot] != FREE) {
            if (clientLow[slot] == low && ports[slot] == packedPorts && serverIndex[slot] == server
                    && clientHigh[slot] == high) {
                return slot;
            }
            slot = slot + 1 & mask;
        }
        return -slot - 1;
    }

    /** Linear probing's backward-shift deletion: no tombstones, so probe sequences never grow. */
    private void removeAt(int hole) {
        int next = hole;
        while (true) {
            next = next + 1 & mask;
            if (serverIndex[next] == FREE) {
                break;
            }
            int home = hash(clientHigh[next], clientLow[next], ports[next], serverIndex[next]) & mask;
            // the entry at next may move to hole unless its home lies cyclically in (hole, next]
            boolean stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
            if (!stays) {
                moveSlot(next, hole);
                hole = next;
            }
        }
        serverIndex[hole] = FREE;
        size--;
    }

    private void moveSlot(int from, int to) {
        clientHigh[to] = clientHigh[from];
        clientLow[to] = clientLow[from];
        ports[to] = ports[from];
        serverIndex[to] = serverIndex[from];
        clientSequenceEnd[to] = clientSequenceEnd[from];
        acknowledged[to] = acknowledged[from];
        retransmissions[to] = retransmissions[from];
        outstandingSince[to] = outstandingSince[from];
        lastPacket[to] = lastPacket[from];
    }

    @Override
    public synchronized String toString() {
        return "traffic detector for " + (service == null ? "(no service configured)" : service) + ": " + size + "/"
                + settings.maxConnections() + " connections";
    }
}
