package org.migware.capture.pcap4j.internal;

import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * Component property type instances for tests, as DS would make them: an attribute not given takes
 * its default; a given {@link RuntimeException} is thrown, as DS does for a value it cannot convert.
 */
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
                    Object value = values.containsKey(method.getName())
                            ? values.get(method.getName()) : method.getDefaultValue();
                    if (value instanceof RuntimeException e) {
                        throw e;
                    }
                    return value;
            }
        }));
    }

    static Pcap4jCaptureComponent.Config capture(Map<String, Object> values) {
        return of(Pcap4jCaptureComponent.Config.class, values);
    }
}
