package org.migware.monitor.support;

import java.time.Duration;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * One check of the target: the part of a monitor that a site writes.
 *
 * <p>A {@link ProbeLoop} calls {@link #probe(Duration)} once per interval, always from the same
 * thread and never concurrently. The probe should give up by itself when {@code timeout} has
 * passed and say why. If it does not return in time anyway, the loop counts a miss ("no result
 * within ... ms") and interrupts the thread; if it throws, the loop counts a miss whose reason is
 * the exception's message. Blocking I/O is fine: the loop's scheduling does not depend on it.
 *
 * <pre>{@code
 * Probe probe = timeout -> {
 *     try (Socket socket = new Socket()) {
 *         socket.connect(new InetSocketAddress("192.0.2.10", 7000), (int) timeout.toMillis());
 *         return ProbeResult.success("connected");
 *     } catch (ConnectException e) {
 *         return ProbeResult.miss("connection refused");
 *     }
 * };
 * }</pre>
 */
@ConsumerType
@FunctionalInterface
public interface Probe {

    /**
     * Checks the target once.
     *
     * @param timeout how long the check may take, never negative
     * @return {@link ProbeResult#success(String)}, {@link ProbeResult#miss(String)} or, when the
     *         probe itself cannot work (no privilege, no such command), {@link ProbeResult#unknown(String)}
     * @throws Exception counted as a miss with the exception's message as its reason
     */
    ProbeResult probe(Duration timeout) throws Exception;
}
