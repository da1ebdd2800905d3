package org.migware.logging.internal;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.TreeMap;

import org.apache.logging.log4j.Level;
import org.ops4j.pax.logging.PaxLogger;
import org.ops4j.pax.logging.PaxLoggingService;
import org.osgi.framework.Bundle;

/**
 * The log4j2 that Pax Logging runs, changed in place: one logger's level, as log4j2's own
 * {@code Configurator.setLevel} does it (the logger's configuration changed or added, then every
 * logger told), so no line is lost; a reconfiguration through Pax Logging rebuilds log4j2 and drops
 * what is logged meanwhile, and log4j2's reload of a changed file fails under Pax Logging 2.3.0
 * (its watcher thread needs a class pax-logging-api lacks).
 * <p>
 * log4j2's core is private to the pax-logging-log4j2 bundle, so it is reached by reflection: from
 * one of Pax Logging's loggers to the log4j2 logger it wraps, to its context. Pinned to the Pax
 * Logging the distribution ships (2.3.0); a later one that changes these internals makes
 * {@link #of} fail with a clear message rather than change nothing silently.
 */
final class RunningLog4j2 {

    private static final String CORE = "org.apache.logging.log4j.core.";

    private final Object context;
    private final ClassLoader core;

    private RunningLog4j2(Object context) {
        this.context = context;
        this.core = context.getClass().getClassLoader();
    }

    /** @throws IllegalStateException when Pax Logging's internals are not the ones expected */
    static RunningLog4j2 of(PaxLoggingService logging, Bundle caller) {
        try {
            PaxLogger logger = logging.getLogger(caller, RunningLog4j2.class.getName(), RunningLog4j2.class.getName());
            Field delegate = findField(logger.getClass(), "m_delegate");
            delegate.setAccessible(true);
            Object log4j2Logger = delegate.get(logger);
            Object context = log4j2Logger.getClass().getMethod("getContext").invoke(log4j2Logger);
            if (!context.getClass().getName().startsWith(CORE)) {
                throw new IllegalStateException("its logger's context is a " + context.getClass().getName());
            }
            return new RunningLog4j2(context);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot reach the log4j2 that Pax Logging runs (" + e
                    + "): this Pax Logging is not the 2.3 this bundle knows", e);
        }
    }

    /**
     * @param logger a logger's name, or "" for the root
     * @param level its level, or null to inherit its parent's again
     */
    void setLevel(String logger, Level level) {
        try {
            Object configuration = call(context, "getConfiguration");
            Class<?> loggerConfigClass = core.loadClass(CORE + "config.LoggerConfig");
            Object loggerConfig = logger.isEmpty() ? call(configuration, "getRootLogger")
                    : configuration.getClass().getMethod("getLoggerConfig", String.class).invoke(configuration, logger);
            if (logger.isEmpty() || logger.equals(call(loggerConfig, "getName"))) {
                loggerConfigClass.getMethod("setLevel", Level.class).invoke(loggerConfig, level);
            } else if (level != null) {
                Object own = loggerConfigClass.getConstructor(String.class, Level.class, boolean.class).newInstance(logger, level, true);
                configuration.getClass().getMethod("addLogger", String.class, loggerConfigClass).invoke(configuration, logger, own);
            }
            call(context, "updateLoggers");
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot set the level in the running log4j2 (" + e + ")", e);
        }
    }

    /**
     * @return the levels in force: the root's (under {@link LogLevelsFile#ROOT}) and each configured logger's own, sorted by
     *     name; "(inherited)" for a logger configured without one
     */
    Map<String, String> levels() {
        try {
            Object configuration = call(context, "getConfiguration");
            Map<String, String> levels = new TreeMap<>();
            levels.put(LogLevelsFile.ROOT, String.valueOf(call(call(configuration, "getRootLogger"), "getLevel")));
            Map<?, ?> loggers = (Map<?, ?>) call(configuration, "getLoggers");
            for (Map.Entry<?, ?> logger : loggers.entrySet()) {
                String name = String.valueOf(logger.getKey());
                if (!name.isEmpty()) {
                    Object level = call(logger.getValue(), "getExplicitLevel");
                    levels.put(name, level == null ? "(inherited)" : level.toString());
                }
            }
            return levels;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot read the levels of the running log4j2 (" + e + ")", e);
        }
    }

    private static Object call(Object target, String method) throws ReflectiveOperationException {
        return target.getClass().getMethod(method).invoke(target);
    }

    private static Field findField(Class<?> type, String name) throws NoSuchFieldException {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            try {
                return c.getDeclaredField(name);
            } catch (NoSuchFieldException e) {
                // try the superclass
            }
        }
        throw new NoSuchFieldException(type.getName() + "." + name);
    }
}
