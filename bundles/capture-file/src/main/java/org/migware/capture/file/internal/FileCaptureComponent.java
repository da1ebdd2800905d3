package org.migware.capture.file.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Hashtable;
import java.util.Map;
import java.util.function.Supplier;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.packet.PacketSource;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Offers a {@link FilePacketSource} for the file named in configuration PID
 * {@value #PID}.
 *
 * <p>Why the service is registered by hand instead of by DS: a wrong setting must give one clear
 * log line, and a DS activate method (or constructor) that throws makes SCR log a stack trace and
 * retry. So this is an immediate component that provides no service itself; it validates its
 * configuration and only when that passes registers the {@link PacketSource} through the
 * {@link BundleContext}, and unregisters it in {@link #deactivate()}.
 *
 * <p>There is no {@code @Modified}: a changed configuration re-creates the component, which is
 * what a different file needs anyway (running replays end, subscribers subscribe again).
 */
@Component(configurationPid = FileCaptureComponent.PID, service = {}, immediate = true)
@Designate(ocd = FileCaptureComponent.Config.class)
public final class FileCaptureComponent {

    /** The configuration PID. */
    public static final String PID = ConfigurationPids.CAPTURE_FILE;

    private static final Logger LOG = LoggerFactory.getLogger(FileCaptureComponent.class);

    /** The settings of the file source. */
    @ObjectClassDefinition(name = "MigWare capture from a pcap file",
            description = "Replays a pcap or pcapng file of Ethernet frames as a packet source.")
    public @interface Config {

        /** @return the capture file */
        @AttributeDefinition(name = "Path", description = "The pcap or pcapng file to replay (required).")
        String path() default "";

        /** @return 0 for as fast as possible, else a factor of real time */
        @AttributeDefinition(name = "Replay speed",
                description = "0 = as fast as the listeners take the frames; 1.0 = real time; 2.0 = twice as fast.")
        double replaySpeed() default 0;
    }

    private final FilePacketSource source;
    private final ServiceRegistration<PacketSource> registration;

    /**
     * Validates the configuration and, if it is right, registers the source.
     *
     * @param context the bundle's context, to register the source with
     * @param config the typed configuration
     * @param properties the same configuration as a map, passed on as service properties
     */
    @Activate
    public FileCaptureComponent(BundleContext context, Config config, Map<String, Object> properties) {
        Settings settings;
        try {
            settings = validate(config);
        } catch (InvalidConfigurationException e) {
            if (!isConfigured(properties)) {
                // Not (yet) configured at all: normal while FileInstall has not delivered the
                // configuration after a start, so not an error; DS activates again when it comes.
                LOG.info("{}: waiting for configuration ({}).", PID, e.getMessage());
            } else if (e.notSet()) {
                // No path is how the distribution ships this source: off, next to the live capture.
                LOG.info("{} No file PacketSource is registered.", e.getMessage());
            } else {
                LOG.error("{} No file PacketSource is registered.", e.getMessage());
            }
            this.source = null;
            this.registration = null;
            return;
        }
        this.source = new FilePacketSource(settings.path(), settings.replaySpeed());
        Hashtable<String, Object> serviceProperties = new Hashtable<>();
        properties.forEach((key, value) -> {
            if (!key.startsWith(".")) { // DS convention: keys that start with a dot stay private
                serviceProperties.put(key, value);
            }
        });
        serviceProperties.put("migware.source.name", source.name());
        serviceProperties.put(Constants.SERVICE_DESCRIPTION, "MigWare packets replayed from " + settings.path());
        this.registration = context.registerService(PacketSource.class, source, serviceProperties);
        LOG.info("{}: registered (replay speed {})", source.name(),
                settings.replaySpeed() == 0 ? "as fast as possible" : settings.replaySpeed() + "x");
    }

    /** Unregisters the source, then stops its replays and waits for them. */
    @Deactivate
    void deactivate() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework unregistered it first when the bundle stopped
            }
        }
        if (source != null) {
            source.close();
        }
    }

    /** @return the registered source, or null when the configuration was wrong; for tests */
    FilePacketSource source() {
        return source;
    }

    /** @return whether Configuration Admin holds a configuration for {@value #PID}: DS then sets {@code service.pid} */
    static boolean isConfigured(Map<String, Object> properties) {
        Object configured = properties.get(Constants.SERVICE_PID);
        if (configured instanceof Collection<?> several) {
            return several.contains(PID);
        }
        if (configured instanceof Object[] several) {
            return Arrays.asList(several).contains(PID);
        }
        return PID.equals(configured);
    }

    /** The validated settings. */
    record Settings(Path path, double replaySpeed) {
    }

    /**
     * Checks every setting and opens the file once, so that a missing, unreadable or foreign file is
     * reported now, naming the key, rather than as a failed replay later.
     *
     * @param config the typed configuration
     * @return the settings to use
     * @throws InvalidConfigurationException with the one line to log
     */
    static Settings validate(Config config) throws InvalidConfigurationException {
        String pathSetting = read("path", "a string", config::path);
        if (pathSetting == null || pathSetting.isBlank()) {
            throw new InvalidConfigurationException(PID + ": 'path' is not set; set it to the pcap or pcapng file to replay.", true);
        }
        double speed = read("replaySpeed", "a number", config::replaySpeed);
        if (!(speed >= 0) || Double.isInfinite(speed)) {
            throw invalid("'replaySpeed' is " + speed
                    + "; use 0 (as fast as possible) or a positive factor (1.0 = real time).");
        }
        Path path;
        try {
            path = Path.of(pathSetting.trim());
        } catch (InvalidPathException e) {
            throw invalid("'path' is not a valid path: " + e.getMessage());
        }
        if (!Files.exists(path)) {
            throw invalid("'path' names " + path.toAbsolutePath() + ", which does not exist.");
        }
        if (!Files.isRegularFile(path)) {
            throw invalid("'path' names " + path.toAbsolutePath() + ", which is not a regular file.");
        }
        if (!Files.isReadable(path)) {
            throw invalid("'path' names " + path.toAbsolutePath() + ", which user '"
                    + System.getProperty("user.name") + "' may not read.");
        }
        try (PcapFileReader reader = PcapFileReader.open(path)) {
            LOG.debug("{} is a {} file in {} byte order", path, reader.format(), reader.byteOrder());
        } catch (PcapFormatException e) {
            throw invalid("'path' names a file MigWare cannot read: " + e.getMessage());
        } catch (IOException e) {
            throw invalid("'path' names " + path.toAbsolutePath() + ", which cannot be read: " + e);
        }
        return new Settings(path, speed);
    }

    /** Reads one setting; a value DS cannot convert to the attribute's type becomes a clear error. */
    private static <T> T read(String key, String expected, Supplier<T> accessor) throws InvalidConfigurationException {
        try {
            return accessor.get();
        } catch (RuntimeException e) {
            throw invalid("'" + key + "' should be " + expected + " but cannot be read as one (" + e.getMessage() + ").");
        }
    }

    private static InvalidConfigurationException invalid(String what) {
        return new InvalidConfigurationException(PID + ": " + what);
    }
}
