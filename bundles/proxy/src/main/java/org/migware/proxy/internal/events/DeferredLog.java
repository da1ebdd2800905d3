package org.migware.proxy.internal.events;

import java.util.concurrent.ConcurrentLinkedQueue;

import org.slf4j.Logger;

/**
 * What the engine has to say, said after its lock is released: a log line written under the
 * lock would make the capture thread, the TUN reader and the pacer wait for the logger's I/O.
 *
 * <p>Code under the lock {@link #info}, {@link #warn} or {@link #later} what is to be said or
 * done; whoever took the lock calls {@link #flush} after releasing it. Arguments are formatted
 * when flushed, so they must not change meanwhile: strings, numbers, or objects whose
 * {@code toString} reads final fields only. Nothing is queued, and nothing allocated, while
 * packets pass without events; {@link #flush} of an empty queue allocates nothing either.
 */
public final class DeferredLog {

    private final Logger log;
    private final ConcurrentLinkedQueue<Runnable> pending = new ConcurrentLinkedQueue<>();

    /** @param log where the lines go (the engine's logger, so that their source is the one it always was) */
    public DeferredLog(Logger log) {
        this.log = log;
    }

    public void info(String format, Object... arguments) {
        pending.add(() -> log.info(format, arguments));
    }

    public void warn(String format, Object... arguments) {
        pending.add(() -> log.warn(format, arguments));
    }

    /** Runs {@code action} at the next {@link #flush}: a call out of the engine (to the core, say) never holds its lock. */
    public void later(Runnable action) {
        pending.add(action);
    }

    /** Says and does, in order, what was queued; call it without holding the engine's lock. */
    public void flush() {
        Runnable next;
        while ((next = pending.poll()) != null) {
            next.run();
        }
    }
}
