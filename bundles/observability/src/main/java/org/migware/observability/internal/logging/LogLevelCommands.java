package org.migware.observability.internal.logging;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code log:get} and {@code log:set}, the names Karaf gives them: the container's log levels,
 * changed at run time. A change is an update of Pax Logging's configuration (PID
 * {@code org.ops4j.pax.logging}) in Configuration Admin, which Pax Logging applies at once; FileInstall
 * writes it back to {@code etc/org.ops4j.pax.logging.cfg} when it can write there, so it outlives
 * a restart (where etc/ is read-only, as in the package's /etc/migware under systemd, it lasts
 * until the container stops).
 */
@Component(service = LogLevelCommands.class, property = {
    "osgi.command.scope=log",
    "osgi.command.function=get",
    "osgi.command.function=set"
})
public final class LogLevelCommands {

    static final String PID = "org.ops4j.pax.logging";

    private final ConfigurationAdmin configurations;

    @Activate
    public LogLevelCommands(@Reference ConfigurationAdmin configurations) {
        this.configurations = configurations;
    }

    @Descriptor("the log levels in force: the root's and each named logger's")
    public String get() throws IOException {
        Map<String, String> levels = LogLevels.levels(configuration().getProperties());
        if (levels.isEmpty()) {
            return "no logging configuration (" + PID + "): Pax Logging logs at its defaults";
        }
        return levels.entrySet().stream().map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining("\n"));
    }

    @Descriptor("sets the root level")
    public String set(@Descriptor("TRACE, DEBUG, INFO, WARN, ERROR, FATAL or OFF") String level) throws IOException {
        return set(level, LogLevels.ROOT);
    }

    @Descriptor("sets a logger's level (a class or package name, Events for the framework's events, ROOT)")
    public String set(@Descriptor("TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF, or DEFAULT (inherit again)") String level,
            @Descriptor("the logger, e.g. org.migware.tracker") String logger) throws IOException {
        Configuration configuration = configuration();
        configuration.update(LogLevels.with(configuration.getProperties(), level, logger));
        return logger + " = " + level.trim().toUpperCase(Locale.ROOT);
    }

    /** The configuration FileInstall made from etc/, whichever bundle it is bound to; created when there is none. */
    private Configuration configuration() throws IOException {
        return configurations.getConfiguration(PID, "?");
    }
}
