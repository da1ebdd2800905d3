package org.migware.monitor.tcp.internal;

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

    static TcpMonitor.Config tcp(Map<String, Object> values) {
        return of(TcpMonitor.Config.class, values);
    }
}
