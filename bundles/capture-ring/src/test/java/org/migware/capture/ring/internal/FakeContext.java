package org.migware.capture.ring.internal;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/** Just enough of a BundleContext to see what a component registers and unregisters. */
final class FakeContext {

    /** Service object by the interface name it was registered under. */
    final Map<String, Object> registered = new LinkedHashMap<>();
    final Map<String, Dictionary<String, ?>> properties = new LinkedHashMap<>();
    final List<String> unregistered = new ArrayList<>();

    @SuppressWarnings("unchecked")
    BundleContext proxy() {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("registerService") && args[0] instanceof Class<?> type) {
                        String name = type.getName();
                        registered.put(name, args[1]);
                        properties.put(name, (Dictionary<String, ?>) args[2]);
                        return Proxy.newProxyInstance(getClass().getClassLoader(),
                                new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> {
                                    if (m.getName().equals("unregister")) {
                                        unregistered.add(name);
                                    }
                                    return null;
                                });
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
