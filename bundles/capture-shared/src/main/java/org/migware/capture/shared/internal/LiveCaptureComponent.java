package org.migware.capture.shared.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.connection.ProtectedService;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.packet.PacketSender;
import org.migware.api.packet.PacketSource;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every live capture component does, whichever backend opens the interface: a
 * {@link PacketSource} and a {@link PacketSender} on one interface, registered by hand.
 *
 * <p>The service to watch (its addresses and ports, from which the capture filter is made) comes
 * from {@link ProtectedService}, an optional, dynamic reference: without it nothing is captured,
 * and a changed service re-opens the capture with the new filter.
 *
 * <p>Why the services are registered by hand instead of by DS: a wrong setting, a missing
 * interface or a missing privilege must give one clear log line, and a DS activate method (or
 * constructor) that throws makes SCR log a stack trace and retry. So a backend's component is an
 * immediate component that provides no service itself; it validates, opens the handles, and only
 * when all that worked registers the two services through the {@link BundleContext}; closing
 * unregisters them before it closes the handles, so no consumer uses a closed one.
 *
 * <p>There is no {@code @Modified}: any change of the component's own configuration (another
 * interface, another filter) needs new handles, so DS re-creates the component; subscribers see
 * their source leave and come back, as they do when the service changes. The DS annotations here
 * are read from the subclass (bnd's {@code -dsannotations-options: inherit}).
 */
public abstract class LiveCaptureComponent {

    /** The PID that says which service MigWare watches; the endpoints come from {@link ProtectedService}. */
    public static final String SERVICE_PID = ConfigurationPids.SERVICE;

    private static final Logger LOG = LoggerFactory.getLogger(LiveCaptureComponent.class);

    /** A backend's source and sender, opened together and not yet registered. */
    public interface Backend {
        /** @return the source, opened but not started */
        LiveCaptureSource source();

        /** @return the sender */
        PacketSender sender();

        /** @return the settings the source runs with */
        default CaptureSettings settings() {
            return source().settings();
        }

        /** Starts delivering frames. */
        default void start() {
            source().start();
        }

        /** Stops the capture and closes both handles (by default the source's, when it owns the sender's too). */
        default void close() {
            source().close();
        }
    }

    /** An open backend and its registrations. */
    private record Opened(Backend backend, ServiceRegistration<PacketSource> sourceRegistration,
                          ServiceRegistration<PacketSender> senderRegistration) {

        /** Unregisters both services, then stops the capture and closes both handles. */
        void close() {
            unregister(sourceRegistration);
            unregister(senderRegistration);
            backend.close();
        }
    }

    private final BundleContext context;
    private final String pid;
    private final Map<String, Object> properties;
    private ServiceEndpoints service;
    /** Between activate and deactivate: DS binds before the one and may unbind after the other. */
    private boolean active;
    private Opened opened;

    /**
     * @param context the bundle's context, to register with
     * @param pid the backend's own PID, for messages
     * @param properties the component's configuration, passed on as service properties
     */
    protected LiveCaptureComponent(BundleContext context, String pid, Map<String, Object> properties) {
        this.context = context;
        this.pid = pid;
        this.properties = properties;
    }

    /**
     * Validates the settings and opens the backend's handles.
     *
     * @param service the service to watch, or null when there is none
     * @return the opened source and sender
     * @throws InvalidConfigurationException when a setting is wrong, with the one line to log
     * @throws CaptureException when the backend refuses, with its reason
     */
    protected abstract Backend open(ServiceEndpoints service) throws InvalidConfigurationException, CaptureException;

    /** Validates, opens the capture and the sender, registers both services. */
    @Activate
    public synchronized void activate() {
        active = true;
        open();
    }

    /** Unregisters both services, then stops the capture and closes both handles. */
    @Deactivate
    public synchronized void deactivate() {
        active = false;
        close();
    }

    /** @param protectedService the service to watch */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, updated = "updatedProtectedService")
    public synchronized void bindProtectedService(ProtectedService protectedService) {
        service = protectedService.endpoints();
        reopen();
    }

    /** Another service is another filter: the capture is opened afresh. */
    public synchronized void updatedProtectedService(ProtectedService protectedService) {
        bindProtectedService(protectedService);
    }

    /** @param protectedService the service that left */
    public synchronized void unbindProtectedService(ProtectedService protectedService) {
        service = null;
        reopen();
    }

    /** @return whether this backend's configuration names an interface */
    private boolean interfaceNamed() {
        Object name = properties == null ? null : properties.get("interfaceName");
        return name != null && !name.toString().isBlank();
    }

    /** @return the open backend, or null when the configuration was refused; for tests */
    protected synchronized Backend backend() {
        return opened == null ? null : opened.backend();
    }

    private void reopen() {
        if (active) {
            close();
            open();
        }
    }

    private void open() {
        Backend backend;
        try {
            backend = open(service);
        } catch (InvalidConfigurationException | CaptureException e) {
            // One line, no stack trace: the message says what to fix. A refused configuration names
            // its PID itself; the backend's refusals get this component's PID in front.
            List<String> unconfigured = new ArrayList<>(service == null ? List.of(SERVICE_PID) : List.of());
            unconfigured.addAll(unconfigured(properties, pid));
            if (e instanceof InvalidConfigurationException && !unconfigured.isEmpty()) {
                // Not (yet) configured at all: normal while FileInstall has not delivered the
                // configuration after a start, so not an error; DS activates again when it comes.
                LOG.info("{}: waiting for configuration {} ({}).", pid, unconfigured, e.getMessage());
            } else if (e instanceof InvalidConfigurationException && !interfaceNamed()) {
                // No interface is how a site leaves a backend unused: two live backends ship, one captures.
                // Capturing nothing at all is said where it matters: /health (503: the capture) and bin/migware check.
                LOG.info("{}: idle: no 'interfaceName' (set it to capture with this backend; one live backend at a time).", pid);
            } else {
                String what = e instanceof CaptureException ? pid + ": " + e.getMessage() + "." : e.getMessage();
                LOG.error("{} No live PacketSource or PacketSender is registered.", what);
            }
            return;
        }
        backend.start();

        CaptureSettings settings = backend.settings();
        Hashtable<String, Object> serviceProperties = new Hashtable<>();
        properties.forEach((key, value) -> {
            if (!key.startsWith(".")) { // DS convention: keys that start with a dot stay private
                serviceProperties.put(key, value);
            }
        });
        // the service's keys, as when they came merged into this component's configuration
        serviceProperties.put(ProtectedService.ADDRESSES, settings.addresses().toArray(new String[0]));
        serviceProperties.put(ProtectedService.PORTS, service.ports());
        serviceProperties.put("migware.interface", settings.interfaceName());
        serviceProperties.put("migware.source.name", backend.source().name());
        serviceProperties.put(Constants.SERVICE_DESCRIPTION, "MigWare live capture on " + settings.interfaceName());
        ServiceRegistration<PacketSource> sourceRegistration = context.registerService(PacketSource.class, backend.source(), serviceProperties);
        serviceProperties.put(Constants.SERVICE_DESCRIPTION, "MigWare frame injection on " + settings.interfaceName());
        ServiceRegistration<PacketSender> senderRegistration = context.registerService(PacketSender.class, backend.sender(), serviceProperties);
        opened = new Opened(backend, sourceRegistration, senderRegistration);
    }

    private void close() {
        if (opened != null) {
            opened.close();
            opened = null;
        }
    }

    /**
     * @return those of {@code pids} for which Configuration Admin holds no configuration: DS lists
     *     the ones it used in {@code service.pid} (a String, or a list or array for several PIDs)
     */
    public static List<String> unconfigured(Map<String, Object> properties, String... pids) {
        Object configured = properties.get(Constants.SERVICE_PID);
        List<String> present = new ArrayList<>();
        if (configured instanceof String one) {
            present.add(one);
        } else if (configured instanceof Collection<?> several) {
            several.forEach(pid -> present.add(String.valueOf(pid)));
        } else if (configured instanceof Object[] several) {
            Arrays.stream(several).forEach(pid -> present.add(String.valueOf(pid)));
        }
        return Arrays.stream(pids).filter(pid -> !present.contains(pid)).toList();
    }

    private static void unregister(ServiceRegistration<?> registration) {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework unregistered it first when the bundle stopped
            }
        }
    }
}
