package org.migware.testing;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/** Just enough of a BundleContext to see what a component registers and unregisters by hand. */
public final class FakeBundleContext {

    /** Service object by the interface name it was registered under. */
    public final Map<String, Object> registered = new LinkedHashMap<>();
    public final Map<String, Dictionary<String, ?>> properties = new LinkedHashMap<>();
    public final List<String> unregistered = new ArrayList<>();

    /** @return the context to hand to the component */
    @SuppressWarnings("unchecked")
    public BundleContext proxy() {
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
