package org.migware.monitor.icmp.internal;

import java.lang.reflect.Proxy;
import java.util.Map;

/** Component property type instances as DS makes them: an attribute not given takes its default. */
final class Configs {

    private Configs() {
    }

    static <A> A of(Class<A> type, Map<String, Object> values) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "annotationType":
                    return type;
                case "toString":
                    return type.getSimpleName() + values;
                case "hashCode":
                    return values.hashCode();
                case "equals":
                    return proxy == args[0];
                default:
                    return values.containsKey(method.getName()) ? values.get(method.getName()) : method.getDefaultValue();
            }
        }));
    }

    static IcmpMonitor.Config icmp(Map<String, Object> values) {
        return of(IcmpMonitor.Config.class, values);
    }
}
