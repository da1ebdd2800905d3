package org.migware.service.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import org.migware.api.connection.ServiceEndpoints;

/**
 * Turns the keys of PID {@code org.migware.service} into {@link ServiceEndpoints}, or into one
 * sentence that names the key to fix.
 *
 * <p>As forgiving as the most forgiving reader before it (the live capture): a plain .cfg line
 * gives one string, so {@code "10.0.0.1, 10.0.0.2"} is split at commas and blanks, and repeated
 * addresses and ports count once.
 */
final class ServiceSettings {

    /** Why a configuration gives no endpoints; the message names the key and says what to write. */
    static final class InvalidServiceConfiguration extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidServiceConfiguration(String message) {
            super(message, null, false, false); // logged as one line: no stack trace is even recorded
        }
    }

    private ServiceSettings() {
    }

    /**
     * @return true when neither key is set: not configured yet, which is no error
     */
    static boolean unconfigured(ProtectedServiceComponent.Config config) {
        try {
            return config.addresses().length == 0 && config.ports().length == 0;
        } catch (RuntimeException unreadable) {
            return false; // set, but wrong: validate() names it
        }
    }

    /**
     * @throws InvalidServiceConfiguration naming the key that is missing or wrong
     */
    static ServiceEndpoints validate(ProtectedServiceComponent.Config config) throws InvalidServiceConfiguration {
        String[] addressSetting = read("addresses", "a list of IP addresses", config::addresses);
        Set<String> addresses = new LinkedHashSet<>();
        for (String entry : addressSetting) {
            for (String one : (entry == null ? "" : entry).split("[,\\s]+")) {
                if (!one.isEmpty()) {
                    addresses.add(one);
                }
            }
        }
        if (addresses.isEmpty()) {
            throw new InvalidServiceConfiguration("'addresses' is not set; give the service's IP addresses, e.g. 10.77.0.2.");
        }
        int[] portSetting = read("ports", "a list of integers", config::ports);
        List<Integer> ports = new ArrayList<>();
        for (int port : portSetting) {
            if (!ports.contains(port)) {
                ports.add(port);
            }
        }
        if (ports.isEmpty()) {
            throw new InvalidServiceConfiguration("'ports' is not set; give the service's TCP ports, e.g. 7000.");
        }
        try {
            return ServiceEndpoints.parse(addresses.toArray(new String[0]), ports.stream().mapToInt(Integer::intValue).toArray());
        } catch (IllegalArgumentException e) {
            throw new InvalidServiceConfiguration(e.getMessage() + ".");
        }
    }

    /** Reads one key; a value DS cannot convert to the attribute's type becomes a clear sentence. */
    private static <T> T read(String key, String expected, Supplier<T> accessor) throws InvalidServiceConfiguration {
        try {
            return accessor.get();
        } catch (RuntimeException e) {
            throw new InvalidServiceConfiguration("'" + key + "' should be " + expected + " but cannot be read as one ("
                    + e.getMessage() + ").");
        }
    }
}
