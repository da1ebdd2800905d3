package org.migware.logging.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.apache.logging.log4j.Level;
import org.ops4j.pax.logging.PaxLoggingService;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code log:get} and {@code log:set}, the names Karaf gives them: the container's log levels,
 * changed at run time. A change is made in the running log4j2 in place ({@link RunningLog4j2}: no
 * line is lost, unlike a reconfiguration through Pax Logging's PID, see {@link ConfigurationSettled})
 * and written into the log4j2 file Pax Logging was given (framework property
 * {@code org.ops4j.pax.logging.property.file}: {@code etc/log4j2.properties}), so it outlives a
 * restart; where that file cannot be written (the package's read-only /etc/migware), the change
 * lasts until the container stops, and log:set says so. It returns once the new level is in force,
 * as the loggers themselves report it.
 */
@Component(service = LogLevelCommands.class, property = {
    "osgi.command.scope=log",
    "osgi.command.function=get",
    "osgi.command.function=set"
})
public final class LogLevelCommands {

    static final String FILE_PROPERTY = "org.ops4j.pax.logging.property.file";
    /** A name under no configured logger but the root, to see the root level in force. */
    static final String ROOT_PROBE = "migware-log-set-root-probe";
    private static final long IN_FORCE_WAIT_MILLIS = 5_000;

    private final Path file;
    private final PaxLoggingService logging;
    private final Bundle bundle;

    @Activate
    public LogLevelCommands(BundleContext context, @Reference PaxLoggingService logging) {
        String configured = context.getProperty(FILE_PROPERTY);
        this.file = configured == null || configured.isBlank() ? null : Path.of(configured.trim());
        this.logging = logging;
        this.bundle = context.getBundle();
    }

    @Descriptor("the log levels in force: the root's and each named logger's")
    public String get() {
        return RunningLog4j2.of(logging, bundle).levels().entrySet().stream()
                .map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining("\n"));
    }

    @Descriptor("sets the root level")
    public String set(@Descriptor("TRACE, DEBUG, INFO, WARN, ERROR, FATAL or OFF") String level)
            throws IOException, InterruptedException {
        return set(level, LogLevelsFile.ROOT);
    }

    @Descriptor("sets a logger's level (a class or package name, Events for the framework's events, ROOT)")
    public String set(@Descriptor("TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF, or DEFAULT (inherit again)") String level,
            @Descriptor("the logger, e.g. org.migware.tracker") String logger) throws IOException, InterruptedException {
        LogLevelsFile changed = LogLevelsFile.of(read()).with(level, logger);
        String wanted = level.trim().toUpperCase(Locale.ROOT);
        boolean root = LogLevelsFile.ROOT.equalsIgnoreCase(logger.trim());
        RunningLog4j2.of(logging, bundle).setLevel(root ? "" : logger.trim(),
                LogLevelsFile.DEFAULT.equals(wanted) ? null : Level.toLevel(wanted));
        String said = logger.trim() + " = " + wanted;
        String probe = root ? ROOT_PROBE : logger.trim();
        if (!awaitInForce(LoggerFactory.getLogger(probe), changed.effectiveLevel(probe))) {
            return said + " (set, but the loggers do not report it after " + IN_FORCE_WAIT_MILLIS / 1000 + " s)";
        }
        try {
            write(changed.lines());
        } catch (IOException e) {
            return said + " (in force until the container stops; not written: " + e.getMessage() + ")";
        }
        return said;
    }

    private List<String> read() throws IOException {
        if (file == null) {
            throw new IOException("no logging configuration file: the framework property " + FILE_PROPERTY + " names none");
        }
        return Files.readAllLines(file, StandardCharsets.UTF_8);
    }

    /** Replaces the file whole (a temporary file beside it, renamed over it), with its permissions. */
    private void write(List<String> lines) throws IOException {
        Path temporary = file.resolveSibling("." + file.getFileName() + ".log-set");
        try {
            Files.write(temporary, lines, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(temporary, Files.getPosixFilePermissions(file));
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileSystemException e) {
            Files.deleteIfExists(temporary);
            throw new IOException("cannot write " + file + " (" + e.getMessage() + "); where the configuration is "
                    + "read-only (the package's /etc/migware under systemd), edit the file as root for the next start", e);
        }
    }

    private static boolean awaitInForce(Logger logger, String level) throws InterruptedException {
        long deadline = System.nanoTime() + IN_FORCE_WAIT_MILLIS * 1_000_000;
        while (!inForce(logger, level)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /** @return whether {@code logger} writes exactly the levels {@code level} lets through */
    static boolean inForce(Logger logger, String level) {
        switch (level) {
            case "TRACE":
                return logger.isTraceEnabled();
            case "DEBUG":
                return logger.isDebugEnabled() && !logger.isTraceEnabled();
            case "INFO":
                return logger.isInfoEnabled() && !logger.isDebugEnabled();
            case "WARN":
                return logger.isWarnEnabled() && !logger.isInfoEnabled();
            case "ERROR":
                return logger.isErrorEnabled() && !logger.isWarnEnabled();
            default: // FATAL, OFF: slf4j has no FATAL
                return !logger.isErrorEnabled();
        }
    }
}
