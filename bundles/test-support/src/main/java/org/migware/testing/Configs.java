package org.migware.testing;

import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * Component property type instances for tests, as DS would make them: an attribute not given takes
 * its default; a given {@link RuntimeException} is thrown, as DS does for a value it cannot convert.
 */
public final class Configs {

    private Configs() {
    }

    public static <A> A of(Class<A> type, Map<String, Object> values) {
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
}
