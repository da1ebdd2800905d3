package org.migware.proxy.internal.wire;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TUN to the replica, opened again when it fails, for example when its interface is deleted
 * ({@code ip link del}): the carried connections then stall until it is back, and carry on, instead
 * of falling into a silent blackhole.
 *
 * <p>The reader finds the failure (its read fails) and opens the TUN again, retrying with a
 * doubling wait while the kernel refuses. Writers never wait for that: a write during the outage
 * fails at once and counts as a drop, and the client's retransmission carries the bytes later.
 * The engine's lock, which the capture thread needs too, is never held across a reopen.
 */
public final class ReopeningTun implements Tun {

    private static final Logger LOG = LoggerFactory.getLogger(ReopeningTun.class);
    private static final long FIRST_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Opens the TUN, configured, anew. */
    @FunctionalInterface
    public interface Opener {
        Tun open() throws TunUnavailableException;
    }

    private final Opener opener;
    private final String name;
    private volatile Tun current;
    private volatile boolean closed;
    private volatile int reopened;

    public ReopeningTun(Opener opener) throws TunUnavailableException {
        this.opener = opener;
        this.current = opener.open();
        this.name = current.name();
    }

    @Override
    public int read(byte[] buffer, int offset, int length) {
        while (!closed) {
            Tun tun = current;
            try {
                int read = tun.read(buffer, offset, length);
                if (read >= 0 || closed) {
                    return read;
                }
                reopen(tun, "it was closed under its reader");
            } catch (IOException e) {
                if (closed) {
                    return -1;
                }
                reopen(tun, e.getMessage());
            }
        }
        return -1;
    }

    /**
     * Never waits and never opens the TUN again: a failure shows as "nothing queued", and the
     * reader's next {@link #read}, which waits, finds it and opens the TUN again.
     */
    @Override
    public int readIfQueued(byte[] buffer, int offset, int length) {
        if (closed) {
            return -1;
        }
        try {
            int read = current.readIfQueued(buffer, offset, length);
            return read < 0 && !closed ? 0 : read;
        } catch (IOException e) {
            return closed ? -1 : 0;
        }
    }

    @Override
    public void write(byte[] packet, int offset, int length) throws IOException {
        current.write(packet, offset, length);
    }

    /** Called by the reader only: closes the failed TUN and opens it again until that works or this closes. */
    private void reopen(Tun failed, String problem) {
        LOG.error("proxy: the TUN {} failed ({}): the carried connections stall until it is open again", name, problem);
        failed.close();
        long wait = FIRST_RETRY_NANOS;
        while (!closed) {
            try {
                Tun again = opener.open();
                synchronized (this) {
                    if (closed) {
                        again.close();
                        return;
                    }
                    current = again;
                    reopened++;
                }
                LOG.warn("proxy: the TUN {} is open again ({} time(s) since start): traffic to the replica goes on", name, reopened);
                return;
            } catch (TunUnavailableException e) {
                LOG.error("proxy: cannot open the TUN {} again ({}); retrying in {} ms", name, e.getMessage(),
                        TimeUnit.NANOSECONDS.toMillis(wait));
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
                wait = Math.min(wait * 2, MAX_RETRY_NANOS);
            }
        }
    }

    /** @return how often the TUN was opened again after a failure */
    public int reopened() {
        return reopened;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public synchronized void close() {
        closed = true;
        current.close();
    }
}
