package org.migware.logging.internal;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.osgi.annotation.bundle.Header;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ManagedService;
import org.slf4j.LoggerFactory;

/**
 * Holds the container's start until Pax Logging has taken Configuration Admin's first call, so that
 * no line is logged while it reconfigures.
 * <p>
 * Pax Logging 2.3 configures log4j2 from {@code etc/log4j2.properties} when it starts (start level
 * 1), and again when Configuration Admin first calls its ManagedService (PID
 * {@code org.ops4j.pax.logging}; there is no such configuration, so it applies the same file again).
 * Each time, it stops log4j2's context and starts a new one, and for the 60 ms or so between, every
 * logger is OFF: a line logged then is lost, because the level is checked before Pax's lock is
 * taken. Measured: 1 to 5 of FileInstall's first lines of a start missing from the file.
 * <p>
 * This bundle is alone at start level 2 (bin/migware puts it there; Configuration Admin and the
 * logging bundles are at 1, every other bundle at 3). Its activator registers a ManagedService of
 * its own and returns only once Configuration Admin has called it. Felix's Configuration Admin
 * calls ManagedServices one at a time, on one thread, in the order it found them, and it found
 * Pax Logging's at level 1: when ours is called, Pax Logging's call has returned. After that
 * nothing reconfigures Pax Logging (no etc/ file has its PID); log:set changes levels through
 * log4j2's own reload of the file, which swaps configurations without a gap.
 */
@Header(name = Constants.BUNDLE_ACTIVATOR, value = "${@class}")
public final class ConfigurationSettled implements BundleActivator {

    static final String PID = "org.migware.logging.settled";
    /** Configuration Admin answers within milliseconds; this only bounds a container without it. */
    private static final long WAIT_SECONDS = 10;

    @Override
    public void start(BundleContext context) throws InterruptedException {
        CountDownLatch called = new CountDownLatch(1);
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(Constants.SERVICE_PID, PID);
        ServiceRegistration<ManagedService> registration =
                context.registerService(ManagedService.class, configuration -> called.countDown(), properties);
        try {
            if (!called.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                LoggerFactory.getLogger(ConfigurationSettled.class).warn("logging: Configuration Admin did not call "
                        + "within {} s: starting anyway; lines logged while Pax Logging applies its configuration "
                        + "may be lost", WAIT_SECONDS);
            }
        } finally {
            registration.unregister();
        }
    }

    @Override
    public void stop(BundleContext context) {
        // nothing held
    }
}
