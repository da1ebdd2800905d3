package org.migware.service.internal;

import java.util.Hashtable;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.connection.ProtectedService;
import org.migware.api.connection.ServiceEndpoints;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of PID {@value ConfigurationPids#SERVICE}: validates {@code addresses} and
 * {@code ports} and, while they are valid, registers {@link ProtectedService} for the tracker,
 * the capture and the monitors.
 *
 * <p>Registered by hand, not by DS: a wrong configuration must give one clear log line naming
 * the key and no service at all, where a DS activation that throws logs a stack trace. A change
 * keeps the registration and only sets its properties, so consumers get their {@code updated}
 * call and keep their state (the tracker its table).
 *
 * <p>Why a bundle of its own and not a component of the core: the core, the tracker, the parser
 * and the capture are updated while the container runs, and the service would leave with any of
 * them, blinding the tracker and restarting the capture for the length of the update. This
 * bundle holds nothing but this configuration, so nothing has a reason to update it.
 */
@Component(configurationPid = ConfigurationPids.SERVICE, service = {}, immediate = true)
@Designate(ocd = ProtectedServiceComponent.Config.class)
public final class ProtectedServiceComponent implements ProtectedService {

    private static final Logger LOG = LoggerFactory.getLogger(ProtectedServiceComponent.class);

    /** The service MigWare protects. */
    @ObjectClassDefinition(name = "MigWare protected service",
            description = "The primary's service that clients connect to: its IP addresses and TCP ports. The tracker,"
                    + " the capture and the monitors all take it from here. Nothing is tracked until both are set.")
    public @interface Config {

        /** @return the service's addresses */
        @AttributeDefinition(name = "Service addresses",
                description = "IPv4 or IPv6 address(es) of the service on the primary (literals, no host names;"
                        + " not the backup's own address).")
        String[] addresses() default {};

        /** @return the service's ports */
        @AttributeDefinition(name = "Service ports", description = "TCP port(s) of the service.")
        int[] ports() default {};
    }

    private final BundleContext context;
    private final Logger log;
    private volatile ServiceEndpoints endpoints;
    private ServiceRegistration<ProtectedService> registration;

    /** Validates the configuration and registers the service if it is valid. */
    @Activate
    public ProtectedServiceComponent(BundleContext context, Config config) {
        this(context, config, LOG);
    }

    ProtectedServiceComponent(BundleContext context, Config config, Logger log) {
        this.context = context;
        this.log = log;
        apply(config);
    }

    @Modified
    void modified(Config config) {
        apply(config);
    }

    @Deactivate
    synchronized void deactivate() {
        unregister();
    }

    @Override
    public ServiceEndpoints endpoints() {
        return endpoints;
    }

    private synchronized void apply(Config config) {
        if (ServiceSettings.unconfigured(config)) {
            // Normal while FileInstall has not delivered etc/ after a start: no error.
            log.info("{}: waiting for 'addresses' and 'ports'; nothing is tracked or captured until then", ConfigurationPids.SERVICE);
            unregister();
            return;
        }
        ServiceEndpoints valid;
        try {
            valid = ServiceSettings.validate(config);
        } catch (ServiceSettings.InvalidServiceConfiguration e) {
            log.error("{}: {} Nothing is tracked or captured until it is fixed.", ConfigurationPids.SERVICE, e.getMessage());
            unregister();
            return;
        }
        // the value first: a consumer's updated() reads it when the properties change
        endpoints = valid;
        Hashtable<String, Object> properties = properties(valid);
        if (registration == null) {
            registration = context.registerService(ProtectedService.class, this, properties);
            log.info("{}: protecting {}", ConfigurationPids.SERVICE, valid);
        } else {
            registration.setProperties(properties);
            log.info("{}: now protecting {}", ConfigurationPids.SERVICE, valid);
        }
    }

    private static Hashtable<String, Object> properties(ServiceEndpoints endpoints) {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(ADDRESSES, endpoints.addresses().stream().map(address -> address.getHostAddress()).toArray(String[]::new));
        properties.put(PORTS, endpoints.ports());
        properties.put(Constants.SERVICE_DESCRIPTION, "MigWare protected service " + endpoints);
        return properties;
    }

    private void unregister() {
        ServiceRegistration<ProtectedService> old = registration;
        registration = null;
        if (old != null) {
            try {
                old.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework unregistered it first when the bundle stopped
            }
        }
    }
}
