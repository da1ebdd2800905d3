package org.migware.proxy.internal.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class DeferredLogTest {

    /** A logger that notes what it is asked to write (only info and warn with arguments matter here). */
    private static Logger recording(List<String> lines) {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class}, (proxy, method, args) -> {
            if ((method.getName().equals("info") || method.getName().equals("warn")) && args.length == 2 && args[1] instanceof Object[] a) {
                lines.add(method.getName() + " " + args[0] + " " + List.of(a));
            }
            return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
        });
    }

    @Test
    void nothingIsSaidOrDoneBeforeTheFlushAndThenAllInOrder() {
        List<String> lines = new ArrayList<>();
        DeferredLog log = new DeferredLog(recording(lines));
        log.info("one {}", 1);
        log.later(() -> lines.add("done"));
        log.warn("two {} {}", "a", "b");
        assertEquals(List.of(), lines, "said only when flushed, after the lock");
        log.flush();
        assertEquals(List.of("info one {} [1]", "done", "warn two {} {} [a, b]"), lines);
        log.flush();
        assertEquals(3, lines.size(), "said once");
    }
}
