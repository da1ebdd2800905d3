package org.migware.sync.internal;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.migware.api.connection.ConnectionSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving host's side: listens for backups, authenticates each (both prove the key over
 * fresh nonces before anything of the table is sent), sends each a full transfer of the synced
 * connections and then the changes, polled from the table.
 */
final class SyncServer implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(SyncServer.class);

    /** The settings of the serving side. */
    record Settings(int queueCapacity, long aliveMillis, long deadAfterMillis, long pollMillis, int maxBackups) {
    }

    private final InetSocketAddress listen;
    private final byte[] key;
    private final Supplier<List<ConnectionSnapshot>> table;
    private final LongSupplier changeCount;
    /** The table's change count at the last poll: an unchanged table is not read again. The poll's own. */
    private long polledChanges = Long.MIN_VALUE;
    private final Settings settings;
    private final SyncCounters counters;
    private final SecureRandom random = new SecureRandom();
    private final TableWatcher watcher = new TableWatcher();
    /** The table lock: polls and full transfers take it, then a session's monitor. */
    private final Object tableLock = new Object();
    private final List<BackupSession> sessions = new CopyOnWriteArrayList<>();
    /** Connections not yet authenticated: bounded, so that a flood of connections cannot take a thread each. */
    private final java.util.concurrent.atomic.AtomicInteger handshaking = new java.util.concurrent.atomic.AtomicInteger();
    /** Every accepted socket until its thread ends: closed by {@link #close()}, authenticated or not. */
    private final java.util.Set<Socket> accepted = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService poller;
    private ServerSocket server;
    private Thread acceptor;
    private volatile boolean closed;

    /**
     * @param table the table's connections
     * @param changeCount the table's change count ({@link org.migware.api.sync.ConnectionImport#changeCount()})
     */
    SyncServer(InetSocketAddress listen, byte[] key, Supplier<List<ConnectionSnapshot>> table, LongSupplier changeCount,
            Settings settings, SyncCounters counters) {
        this.listen = listen;
        this.key = key.clone();
        this.table = table;
        this.changeCount = changeCount;
        this.settings = settings;
        this.counters = counters;
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "migware-sync-poll"));
    }

    void start() throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(listen);
        poll();
        poller.scheduleWithFixedDelay(this::pollQuietly, settings.pollMillis(), settings.pollMillis(), TimeUnit.MILLISECONDS);
        acceptor = daemon(this::acceptLoop, "migware-sync-accept");
        acceptor.start();
        LOG.info("sync: serving the table to backups on {}", server.getLocalSocketAddress());
    }

    /** @return the bound port (for a configured port 0) */
    int port() {
        return server.getLocalPort();
    }

    /** @return the authenticated backups' addresses and queue lengths */
    List<String> backups() {
        return sessions.stream().map(s -> s.peer() + " (" + s.queued() + " queued)").toList();
    }

    /** Reads the table now and queues its changes (the poll thread does it every pollMillis). */
    void poll() {
        long count = changeCount.getAsLong(); // before the read: a change during it is read next time
        if (count == polledChanges) {
            return;
        }
        polledChanges = count;
        List<ConnectionSnapshot> snapshot = table.get();
        synchronized (tableLock) {
            TableWatcher.Changes changes = watcher.poll(snapshot);
            if (changes.isEmpty()) {
                return;
            }
            for (BackupSession session : sessions) {
                for (ConnectionSnapshot c : changes.gone()) {
                    session.offer(MessageType.CONNECTION_GONE,
                            ConnectionCodec.encodeGone(c.key(), c.clientToServer().initialSequence()));
                }
                for (ConnectionSnapshot c : changes.added()) {
                    session.offer(MessageType.CONNECTION_NEW, ConnectionCodec.encodeEntry(c));
                }
            }
        }
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (RuntimeException e) {
            LOG.error("sync: reading the table failed; trying again in {} ms", settings.pollMillis(), e);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.error("sync: accepting a backup's connection failed: {}", e.toString());
                }
                continue;
            }
            if (sessions.size() >= settings.maxBackups() || handshaking.get() >= settings.maxBackups()) {
                LOG.warn("sync: refused {}: already {} backups and {} connections proving the key (maxBackups {})",
                        socket.getRemoteSocketAddress(), sessions.size(), handshaking.get(), settings.maxBackups());
                closeQuietly(socket);
                continue;
            }
            handshaking.incrementAndGet();
            accepted.add(socket);
            daemon(() -> serve(socket), "migware-sync-backup-" + socket.getRemoteSocketAddress()).start();
        }
    }

    /** One backup: the handshake, then this thread reads its messages while another writes to it. */
    private void serve(Socket socket) {
        String peer = String.valueOf(socket.getRemoteSocketAddress());
        BackupSession session = null;
        boolean proving = true;
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) settings.deadAfterMillis());
            FrameReader reader = new FrameReader(new java.io.BufferedInputStream(socket.getInputStream(), 64 * 1024));
            byte[] sessionId = new byte[SessionMac.SESSION_LENGTH];
            FrameReader.Received hello = reader.read(new SessionMac(key, sessionId));
            if (hello.type() != MessageType.CLIENT_HELLO || hello.sequence() != 0
                    || hello.payload().length != SessionMac.NONCE_LENGTH) {
                throw new RejectedFrame(RejectedFrame.Kind.UNEXPECTED, "the first message is " + hello.type()
                        + " #" + hello.sequence() + ", not the backup's hello");
            }
            byte[] serverNonce = new byte[SessionMac.NONCE_LENGTH];
            random.nextBytes(serverNonce);
            System.arraycopy(hello.payload(), 0, sessionId, 0, SessionMac.NONCE_LENGTH);
            System.arraycopy(serverNonce, 0, sessionId, SessionMac.NONCE_LENGTH, SessionMac.NONCE_LENGTH);
            SessionMac receiveMac = new SessionMac(key, sessionId);
            session = new BackupSession(peer, socket, new SessionMac(key, sessionId), new SessionMac(key, sessionId),
                    settings.queueCapacity(), settings.aliveMillis(), counters);
            session.write(List.of(Frames.encode(MessageType.SERVER_HELLO, 0, serverNonce, new SessionMac(key, sessionId))));
            // Until the backup proves the key over this session's nonces, nothing of the table leaves.
            SequenceCheck sequence = new SequenceCheck(1);
            FrameReader.Received first = reader.read(receiveMac);
            if (first.type() != MessageType.RESYNC_REQUEST) {
                throw new RejectedFrame(RejectedFrame.Kind.UNEXPECTED, "the backup's first message is " + first.type()
                        + ", not its request for the table");
            }
            sequence.accept(first.sequence());
            handshaking.decrementAndGet();
            proving = false;
            counters.sessions.incrementAndGet();
            counters.resyncRequests.incrementAndGet();
            session.requestTransfer();
            sessions.add(session);
            LOG.info("sync: backup {} authenticated; sending it the table", peer);
            BackupSession writing = session;
            daemon(() -> writeLoop(writing), "migware-sync-write-" + peer).start();
            readLoop(session, reader, receiveMac, sequence);
        } catch (RejectedFrame e) {
            counters.rejected(e.kind);
            LOG.warn("sync: rejected a message from backup {}: {}; closing its channel ({} {} so far)", peer,
                    e.getMessage(), kindCount(e.kind), e.kind.name().toLowerCase());
        } catch (EOFException e) {
            LOG.info("sync: backup {} closed the channel", peer);
        } catch (SocketTimeoutException e) {
            LOG.warn("sync: backup {} said nothing for {} ms; closing its channel", peer, settings.deadAfterMillis());
        } catch (IOException e) {
            if (!closed) {
                LOG.warn("sync: the channel to backup {} failed: {}", peer, e.toString());
            }
        } finally {
            if (proving) {
                handshaking.decrementAndGet();
            }
            accepted.remove(socket);
            if (session != null) {
                sessions.remove(session);
                session.close();
            } else {
                closeQuietly(socket);
            }
        }
    }

    private long kindCount(RejectedFrame.Kind kind) {
        return switch (kind) {
            case FORGED -> counters.forged.get();
            case REPLAYED -> counters.replayed.get();
            case MALFORMED -> counters.malformed.get();
            case UNEXPECTED -> counters.unexpected.get();
        };
    }

    private void readLoop(BackupSession session, FrameReader reader, SessionMac mac, SequenceCheck sequence)
            throws IOException {
        while (!closed && !session.isClosed()) {
            FrameReader.Received message = reader.read(mac);
            if (sequence.accept(message.sequence()) == SequenceCheck.Verdict.REPLAY) {
                throw new RejectedFrame(RejectedFrame.Kind.REPLAYED, "message #" + message.sequence()
                        + " was already received (the next is #" + sequence.expected() + "): a replay");
            }
            counters.messagesReceived.incrementAndGet();
            switch (message.type()) {
                case RESYNC_REQUEST -> {
                    counters.resyncRequests.incrementAndGet();
                    LOG.info("sync: backup {} asks for the whole table", session.peer());
                    session.requestTransfer();
                }
                case ALIVE -> {
                    // the backup is there
                }
                default -> throw new RejectedFrame(RejectedFrame.Kind.UNEXPECTED,
                        message.type() + " is the serving host's message, not a backup's");
            }
        }
    }

    private void writeLoop(BackupSession session) {
        try {
            while (!closed && !session.isClosed()) {
                if (session.transferOwed()) {
                    BackupSession.Transfer transfer;
                    synchronized (tableLock) {
                        transfer = session.reserveTransfer(watcher.current());
                    }
                    session.write(transfer);
                    counters.transfers.incrementAndGet();
                    LOG.info("sync: sent backup {} the table: {} connections", session.peer(), transfer.connections().size());
                } else {
                    session.write(session.takeQueued());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            if (!closed && !session.isClosed()) {
                LOG.warn("sync: writing to backup {} failed: {}", session.peer(), e.toString());
            }
        } finally {
            session.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        poller.shutdownNow();
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                LOG.debug("sync: closing the listening socket: {}", e.toString());
            }
        }
        for (BackupSession session : sessions) {
            session.close();
        }
        sessions.clear();
        for (Socket socket : accepted) {
            closeQuietly(socket);
        }
    }

    static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing more to do with it
        }
    }
}
