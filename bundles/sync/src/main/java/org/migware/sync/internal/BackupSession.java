package org.migware.sync.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.migware.api.connection.ConnectionSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving host's end of one backup's authenticated session: a bounded queue of signed
 * frames and the thread that writes them. Every message takes the next sequence number when it
 * is queued; when the queue is full the message is dropped with its number, so the backup sees
 * the gap and asks for a full transfer (conntrackd's FT-FW recovers from a lost message the same
 * way). A full transfer replaces whatever was queued: it is made from the same table, later.
 *
 * <p>Lock order: the server's table lock, then this session's monitor.
 */
final class BackupSession {

    private static final Logger LOG = LoggerFactory.getLogger(BackupSession.class);

    private final String peer;
    private final Socket socket;
    private final OutputStream out;
    private final SessionMac sendMac;
    /** The writer thread's own HMAC for full transfers, encoded outside the monitor while changes are queued. */
    private final SessionMac transferMac;
    private final int capacity;
    private final long aliveMillis;
    private final SyncCounters counters;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private long nextSequence = 1;
    private boolean overflowing;
    private volatile boolean transferOwed;
    private volatile boolean closed;

    BackupSession(String peer, Socket socket, SessionMac sendMac, SessionMac transferMac, int capacity, long aliveMillis,
            SyncCounters counters) throws IOException {
        this.peer = peer;
        this.socket = socket;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        this.sendMac = sendMac;
        this.transferMac = transferMac;
        this.capacity = capacity;
        this.aliveMillis = aliveMillis;
        this.counters = counters;
    }

    String peer() {
        return peer;
    }

    synchronized int queued() {
        return queue.size();
    }

    boolean isClosed() {
        return closed;
    }

    /** The backup asked for the whole table (at its start, after a gap). */
    void requestTransfer() {
        transferOwed = true;
        synchronized (this) {
            notifyAll();
        }
    }

    /** Queues one message, or drops it (its sequence number with it) when the queue is full. */
    synchronized void offer(MessageType type, byte[] payload) {
        long sequence = nextSequence++;
        if (queue.size() >= capacity) {
            counters.overflowDrops.incrementAndGet();
            if (!overflowing) {
                overflowing = true;
                LOG.warn("sync: the queue to backup {} is full ({} messages): changes are dropped from message {} on;"
                        + " the backup will see the gap and ask for a full transfer", peer, capacity, sequence);
            }
            return;
        }
        queue.add(Frames.encode(type, sequence, payload, sendMac));
        notifyAll();
    }

    /** A full transfer: its first sequence number and the connections, numbered from it after a begin message. */
    record Transfer(long firstSequence, List<ConnectionSnapshot> connections) {
    }

    /**
     * Reserves the numbers of a full transfer and empties the queue (the transfer is made from the
     * same table, later). Called under the server's table lock, so that no change is queued between
     * the table read and the numbering; the frames are made and written by {@link #write(Transfer)},
     * one at a time, so a big table costs no more memory than its snapshot.
     */
    synchronized Transfer reserveTransfer(List<ConnectionSnapshot> table) {
        transferOwed = false;
        overflowing = false;
        queue.clear();
        long first = nextSequence;
        nextSequence += table.size() + 2L;
        return new Transfer(first, table);
    }

    /** Writes a reserved transfer: begin, one entry per connection, end. Only the writer thread calls it. */
    void write(Transfer transfer) throws IOException {
        byte[] count = new byte[4];
        Frames.putInt(count, 0, transfer.connections().size());
        long sequence = transfer.firstSequence();
        out.write(Frames.encode(MessageType.TRANSFER_BEGIN, sequence++, count, transferMac));
        for (ConnectionSnapshot c : transfer.connections()) {
            out.write(Frames.encode(MessageType.TRANSFER_ENTRY, sequence++, ConnectionCodec.encodeEntry(c), transferMac));
        }
        out.write(Frames.encode(MessageType.TRANSFER_END, sequence, count, transferMac));
        out.flush();
        counters.messagesSent.addAndGet(transfer.connections().size() + 2L);
    }

    boolean transferOwed() {
        return transferOwed;
    }

    /** @return the queued frames, waiting up to the alive interval; an ALIVE frame when nothing came */
    synchronized List<byte[]> takeQueued() throws InterruptedException {
        long deadline = System.nanoTime() + aliveMillis * 1_000_000L;
        while (queue.isEmpty() && !transferOwed && !closed) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return List.of(Frames.encode(MessageType.ALIVE, nextSequence++, new byte[0], sendMac));
            }
            wait(left);
        }
        List<byte[]> frames = new ArrayList<>(queue);
        queue.clear();
        return frames;
    }

    /** Writes frames outside every lock: a slow backup only fills its own queue. */
    void write(List<byte[]> frames) throws IOException {
        for (byte[] frame : frames) {
            out.write(frame);
        }
        out.flush();
        counters.messagesSent.addAndGet(frames.size());
    }

    void close() {
        closed = true;
        synchronized (this) {
            notifyAll();
        }
        try {
            socket.close();
        } catch (IOException e) {
            LOG.debug("sync: closing the session of backup {}: {}", peer, e.toString());
        }
    }
}
