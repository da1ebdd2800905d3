package org.migware.monitor.support;

import org.migware.api.connection.ProtectedService;
import org.migware.api.connection.ServiceEndpoints;

/**
 * The probe loop of a monitor that follows two inputs, its own configuration and the
 * {@link ProtectedService}, and starts afresh (verdict {@code UNKNOWN} again) whenever either
 * changes. {@link ServiceProbingMonitor} holds one and hands it what DS delivers; a monitor
 * extends that class.
 *
 * <p>DS binds before it activates and may unbind after it deactivates: a loop runs only in
 * between.
 *
 * @param <C> the monitor's typed configuration
 * @since 1.1
 */
public final class RestartingProbeLoop<C> {

    /** A running loop and whatever it holds open. */
    @FunctionalInterface
    public interface Running {

        /** @return the loop whose verdict the monitor reports */
        ProbeLoop loop();

        /** Stops the loop (waiting for a probe in progress), then closes what it held open. */
        default void close() {
            loop().close();
        }
    }

    /**
     * Starts a loop for one pair of inputs.
     *
     * @param <C> the monitor's typed configuration
     */
    @FunctionalInterface
    public interface Starter<C> {

        /**
         * @param service the service's endpoints, or null while there is no {@link ProtectedService}
         * @param config the monitor's configuration
         * @return the running loop; an idle one whose reason names the key to fix when the inputs are unusable
         */
        Running start(ServiceEndpoints service, C config);
    }

    private final Starter<C> starter;
    private C config;
    private ServiceEndpoints service;
    private boolean active;
    private volatile Running running;

    /**
     * @param config the monitor's configuration at activation
     * @param starter starts a loop for a pair of inputs
     */
    public RestartingProbeLoop(C config, Starter<C> starter) {
        this.config = config;
        this.starter = starter;
    }

    /** Starts the first loop. */
    public synchronized void activate() {
        running = starter.start(service, config);
        active = true;
    }

    /** @param newConfig the monitor's changed configuration */
    public synchronized void configure(C newConfig) {
        config = newConfig;
        restart();
    }

    /** @param endpoints the service's endpoints, new or changed; null when the service left */
    public synchronized void service(ServiceEndpoints endpoints) {
        service = endpoints;
        restart();
    }

    /** Stops the loop for good. */
    public synchronized void deactivate() {
        active = false;
        running.close();
    }

    /** @return the current loop (the last one after deactivation) */
    public ProbeLoop loop() {
        return running.loop();
    }

    private void restart() {
        if (active) {
            running.close();
            running = starter.start(service, config);
        }
    }
}
