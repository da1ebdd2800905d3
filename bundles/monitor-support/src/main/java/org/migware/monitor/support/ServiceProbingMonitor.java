package org.migware.monitor.support;

import org.migware.api.connection.ProtectedService;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthVerdict;
import org.osgi.annotation.versioning.ConsumerType;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The Declarative Services life of a monitor that probes the {@link ProtectedService} (or a
 * target of its own configuration) through a {@link RestartingProbeLoop}: it starts probing when
 * DS activates it, follows the service as it arrives, changes and leaves, and stops when DS
 * deactivates it. A monitor extends it, implements {@link #start} and {@link #name()}, and keeps
 * only what is its own: its typed configuration (with an {@code @Modified} method that calls
 * {@link #configure}, since DS needs the concrete type) and its listeners.
 *
 * <p>DS reads the annotations of these methods through the subclass (bnd's
 * {@code -dsannotations-options: inherit}); they are public so that SCR, and a monitor's unit
 * tests in its own package, may call them.
 *
 * @param <C> the monitor's typed configuration
 * @since 1.2
 */
@ConsumerType
public abstract class ServiceProbingMonitor<C> implements HealthMonitor {

    private final RestartingProbeLoop<C> loop;

    /** @param config the monitor's configuration at activation */
    protected ServiceProbingMonitor(C config) {
        // start() runs at activation, after the subclass's constructor has set its fields
        this.loop = new RestartingProbeLoop<>(config, this::start);
    }

    /**
     * Starts a probe loop for one pair of inputs; called at activation and whenever the
     * configuration or the service changes.
     *
     * @param service the service's endpoints, or null while there is no {@link ProtectedService}
     * @param config the monitor's configuration
     * @return the running loop; an idle one whose reason names the key to fix when the inputs are unusable
     */
    protected abstract RestartingProbeLoop.Running start(ServiceEndpoints service, C config);

    /** Starts probing here, not in the constructor: DS sets the listeners in between, so they hear the first verdicts. */
    @Activate
    public void activate() {
        loop.activate();
    }

    /** @param config the monitor's changed configuration: the loop starts afresh */
    protected final void configure(C config) {
        loop.configure(config);
    }

    @Deactivate
    public void deactivate() {
        loop.deactivate();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, updated = "updatedProtectedService")
    public void bindProtectedService(ProtectedService service) {
        loop.service(service.endpoints());
    }

    public void updatedProtectedService(ProtectedService service) {
        loop.service(service.endpoints());
    }

    public void unbindProtectedService(ProtectedService service) {
        loop.service(null);
    }

    /** @return the current loop (the last one after deactivation) */
    protected final ProbeLoop loop() {
        return loop.loop();
    }

    @Override
    public HealthVerdict currentVerdict() {
        return loop.loop().currentVerdict();
    }
}
