package org.migware.proxy.internal.recovery;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How many connections wait in the replica's accept queue: completed handshakes its application
 * has not accepted yet. The replica runs on this host, in this network namespace, so its
 * listening socket is in {@code /proc/net/tcp} (or {@code tcp6}, for a dual-stack listener) with
 * that number as {@code rx_queue}.
 *
 * <p>Why it matters: a forged handshake completes in microseconds, an application accepts at its
 * own pace. Once the accept queue (the listen backlog, often 128) is full, Linux drops new SYNs
 * and the handshakes' last ACKs, and each dropped connection waits for a retransmission timer
 * (200 ms of MigWare's, a second of the replica's). Pacing on the handshakes in flight alone,
 * 1,000 connections took 0.5 s to recover. The pacer therefore counts the queue as in flight too.
 *
 * <p>Listening sockets come first in those files (the kernel walks its listening hash before the
 * established one), so only their first lines are read: a few kilobytes, even with 10,000
 * connections open.
 */
public final class ReplicaAcceptQueue {

    /** Returned when no listener on the port was found (or the files cannot be read). */
    public static final int UNKNOWN = -1;

    private static final String LISTEN = "0A";
    private static final int STATE_COLUMN = 3;
    private static final int QUEUES_COLUMN = 4;
    private static final int LOCAL_COLUMN = 1;

    private final Path[] tables;
    private final byte[] buffer = new byte[16 * 1024];
    private int listenerPort = -1;
    private boolean[] listenerTables;

    /** The real tables of this network namespace. */
    public ReplicaAcceptQueue() {
        this(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
    }

    /** @param tables files in the format of {@code /proc/net/tcp}, for tests */
    ReplicaAcceptQueue(Path... tables) {
        this.tables = tables.clone();
    }

    /**
     * @param port the replica's port
     * @return the connections waiting to be accepted on every listener of that port, or
     *     {@link #UNKNOWN} when there is none
     */
    public int waiting(int port) {
        if (port != listenerPort) {
            // Once, per port: which tables hold its listeners. Reading a table without one costs
            // the kernel a walk over every socket of the other family (10 ms for tcp6 beside
            // 9,000 IPv4 connections), which the pacer cannot pay every millisecond.
            boolean[] found = new boolean[tables.length];
            boolean any = false;
            for (int i = 0; i < tables.length; i++) {
                found[i] = waitingIn(tables[i], port) >= 0;
                any |= found[i];
            }
            if (!any) {
                return UNKNOWN;
            }
            listenerPort = port;
            listenerTables = found;
        }
        int total = 0;
        boolean found = false;
        for (int i = 0; i < tables.length; i++) {
            if (!listenerTables[i]) {
                continue;
            }
            int waiting = waitingIn(tables[i], port);
            if (waiting >= 0) {
                total += waiting;
                found = true;
            }
        }
        if (!found) {
            listenerPort = -1; // the listener went away: look everywhere again next time
            return UNKNOWN;
        }
        return total;
    }

    private int waitingIn(Path table, int port) {
        if (!Files.isReadable(table)) {
            return UNKNOWN;
        }
        String portHex = String.format("%04X", port);
        int total = UNKNOWN;
        try (InputStream in = Files.newInputStream(table)) {
            StringBuilder pending = new StringBuilder();
            boolean header = true;
            for (int read; (read = in.read(buffer)) > 0; ) {
                pending.append(new String(buffer, 0, read, StandardCharsets.US_ASCII));
                int newline;
                while ((newline = pending.indexOf("\n")) >= 0) {
                    String line = pending.substring(0, newline);
                    pending.delete(0, newline + 1);
                    if (header) {
                        header = false;
                        continue;
                    }
                    String[] columns = line.trim().split("\\s+");
                    if (columns.length <= QUEUES_COLUMN) {
                        continue;
                    }
                    if (!LISTEN.equals(columns[STATE_COLUMN])) {
                        return total; // past the listeners
                    }
                    String local = columns[LOCAL_COLUMN];
                    if (local.endsWith(":" + portHex)) {
                        String queues = columns[QUEUES_COLUMN];
                        int waiting = Integer.parseInt(queues.substring(queues.indexOf(':') + 1), 16);
                        total = Math.max(total, 0) + waiting;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
        return total;
    }
}
