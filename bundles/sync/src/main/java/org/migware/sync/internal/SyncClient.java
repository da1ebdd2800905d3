package org.migware.sync.internal;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.migware.api.sync.ConnectionImport;

/**
 * The backup's side: connects to the serving host, proves the key, asks for the table and keeps
 * it current in this host's tracker; reconnects with a growing, jittered delay when the channel
 * is cut, and asks for the whole table again after every reconnection and after every gap.
 */
final class SyncClient implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(SyncClient.class);
    static final String PAUSED = "paused: this host serves the service address";

    /** The settings of the backup side. */
    record Settings(long reconnectMinMillis, long reconnectMaxMillis, long aliveMillis, long deadAfterMillis) {
    }

    private final InetSocketAddress peer;
    private final byte[] key;
    private final ConnectionImport table;
    private final Settings settings;
    private final SyncCounters counters;
    private final SecureRandom random = new SecureRandom();
    private final Thread thread;
    private volatile boolean closed;
    private volatile Socket socket;
    private volatile boolean connected;
    private volatile Instant lastTransfer;
    private volatile String lastProblem;
    /** This host serves the service address: it is the source of the table now, and imports nothing. */
    private volatile boolean paused;
    /** Failed attempts since the last session that was authenticated: only the first is a warning. */
    private int failedAttempts;

    SyncClient(InetSocketAddress peer, byte[] key, ConnectionImport table, Settings settings, SyncCounters counters) {
        this.peer = peer;
        this.key = key.clone();
        this.table = table;
        this.settings = settings;
        this.counters = counters;
        this.thread = SyncServer.daemon(this::run, "migware-sync-client");
    }

    void start() {
        thread.start();
    }

    boolean connected() {
        return connected;
    }

    /** @return when the last full transfer ended, or {@code null} */
    Instant lastTransfer() {
        return lastTransfer;
    }

    /** @return why the last session ended, or {@code null} */
    String lastProblem() {
        return lastProblem;
    }

    /**
     * Stops (or resumes) following the serving host. While this host serves the service address
     * (it took over, or its carried connections drained on the direct path), a table from elsewhere
     * would only bring back connections this host has seen close: the channel is cut at once and
     * not opened again until it watches once more. Returns at once (called from a failover listener).
     */
    void paused(boolean serving) {
        if (paused == serving) {
            return;
        }
        paused = serving;
        LOG.info("sync: {}", serving ? "this host serves the service address: the backup side stops following " + peer
                : "this host watches again: the backup side follows " + peer);
        Socket s = socket;
        if (serving && s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        if (!serving) {
            thread.interrupt(); // out of the paused wait, so the table comes at once
        }
    }

    /** @return whether this side is paused because this host serves */
    boolean paused() {
        return paused;
    }

    private void run() {
        long delay = settings.reconnectMinMillis();
        while (!closed) {
            if (paused) {
                lastProblem = PAUSED;
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    if (closed) {
                        return;
                    }
                }
                continue;
            }
            boolean transferred = session();
            if (closed) {
                return;
            }
            delay = transferred ? settings.reconnectMinMillis() : Math.min(settings.reconnectMaxMillis(), delay * 2);
            long jittered = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
            try {
                Thread.sleep(jittered);
            } catch (InterruptedException e) {
                if (closed) {
                    return;
                }
                // woken by paused(false): go on at once
            }
        }
    }

    /** One session, from connect to cut. @return whether it completed a full transfer */
    private boolean session() {
        SyncSession state = new SyncSession(table, counters, peer.toString());
        try (Socket s = new Socket()) {
            socket = s;
            s.connect(peer, (int) settings.deadAfterMillis());
            s.setTcpNoDelay(true);
            s.setSoTimeout((int) settings.deadAfterMillis());
            OutputStream out = new BufferedOutputStream(s.getOutputStream());
            FrameReader reader = new FrameReader(new java.io.BufferedInputStream(s.getInputStream(), 64 * 1024));
            byte[] sessionId = new byte[SessionMac.SESSION_LENGTH];
            byte[] clientNonce = new byte[SessionMac.NONCE_LENGTH];
            random.nextBytes(clientNonce);
            send(out, Frames.encode(MessageType.CLIENT_HELLO, 0, clientNonce, new SessionMac(key, sessionId)));
            System.arraycopy(clientNonce, 0, sessionId, 0, SessionMac.NONCE_LENGTH);
            // The serving host's nonce is in the payload, and the tag covers it: read the frame, then check the tag.
            FrameReader.Received hello = reader.readServerHello(key, sessionId);
            SessionMac receiveMac = new SessionMac(key, sessionId);
            Sender sender = new Sender(out, new SessionMac(key, sessionId));
            sender.send(MessageType.RESYNC_REQUEST);
            connected = true;
            counters.sessions.incrementAndGet();
            LOG.info("sync: connected to the serving host {}{}; asked for its table", peer,
                    failedAttempts > 1 ? " after " + failedAttempts + " failed attempts" : "");
            failedAttempts = 0;
            Thread alive = SyncServer.daemon(() -> aliveLoop(sender), "migware-sync-alive");
            alive.start();
            try {
                while (!closed) {
                    FrameReader.Received message = reader.read(receiveMac);
                    if (paused) {
                        break; // not one message more into the table once this host serves
                    }
                    if (state.accept(message)) {
                        LOG.warn("sync: {} message(s) from {} were lost (the serving host's queue overflowed); asking for"
                                + " the whole table", state.lastGap(), peer);
                        counters.resyncRequests.incrementAndGet();
                        sender.send(MessageType.RESYNC_REQUEST);
                    }
                    if (state.transferEnded()) {
                        lastTransfer = Instant.now();
                    }
                }
            } finally {
                alive.interrupt();
            }
        } catch (RejectedFrame e) {
            counters.rejected(e.kind);
            lastProblem = "rejected a message: " + e.getMessage();
            LOG.warn("sync: rejected a message from the serving host {}: {}; closing the channel ({} rejected so far)",
                    peer, e.getMessage(), counters.rejected());
        } catch (EOFException e) {
            lastProblem = "the serving host closed the channel";
            LOG.info("sync: the serving host {} closed the channel; reconnecting", peer);
        } catch (SocketTimeoutException e) {
            lastProblem = "the serving host said nothing for " + settings.deadAfterMillis() + " ms";
            LOG.warn("sync: the serving host {} said nothing for {} ms; reconnecting", peer, settings.deadAfterMillis());
        } catch (IOException e) {
            if (paused) {
                lastProblem = PAUSED;
            } else if (!closed) {
                lastProblem = e.toString();
                if (failedAttempts++ == 0) {
                    LOG.warn("sync: the channel to the serving host {} failed: {}; reconnecting (further failures at debug"
                            + " level until it is back)", peer, e.toString());
                } else {
                    LOG.debug("sync: attempt {} to reach the serving host {} failed: {}", failedAttempts, peer, e.toString());
                }
            }
        } finally {
            connected = false;
            socket = null;
        }
        return state.transfers() > 0;
    }

    private void aliveLoop(Sender sender) {
        try {
            while (!closed) {
                Thread.sleep(settings.aliveMillis());
                sender.send(MessageType.ALIVE);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.debug("sync: the alive message did not go: {}", e.toString());
        }
    }

    private static void send(OutputStream out, byte[] frame) throws IOException {
        out.write(frame);
        out.flush();
    }

    /** The backup's numbered, signed messages; the read loop and the alive thread share it. */
    private final class Sender {
        private final OutputStream out;
        private final SessionMac mac;
        private long nextSequence = 1;

        Sender(OutputStream out, SessionMac mac) {
            this.out = out;
            this.mac = mac;
        }

        synchronized void send(MessageType type) throws IOException {
            SyncClient.send(out, Frames.encode(type, nextSequence++, new byte[0], mac));
            counters.messagesSent.incrementAndGet();
        }
    }

    @Override
    public void close() {
        closed = true;
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("sync: closing the channel: {}", e.toString());
            }
        }
        thread.interrupt();
    }
}
