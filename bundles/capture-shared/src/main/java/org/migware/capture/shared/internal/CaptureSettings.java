package org.migware.capture.shared.internal;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.connection.ServiceEndpoints;

/**
 * The validated settings of one live capture. {@link #validate} is the only way from configuration
 * to settings, and it turns each mistake into one sentence that names the key.
 *
 * @param interfaceName the interface to capture on and send from
 * @param snapshotLength bytes kept of each frame
 * @param bufferSize bytes of the capture's ring buffer in the kernel
 * @param direction which frames of the interface to capture
 * @param filter the BPF expression
 * @param addresses the service addresses, normalised
 * @param ports the service ports
 */
public record CaptureSettings(String interfaceName, int snapshotLength, int bufferSize, Direction direction,
                              String filter, List<String> addresses, List<Integer> ports) {

    /** Ethernet (14) plus the largest IPv4 (60) and TCP (60) headers: less would cut TCP options. */
    public static final int MIN_SNAPSHOT_LENGTH = 134;
    /** libpcap's MAXIMUM_SNAPLEN. */
    public static final int MAX_SNAPSHOT_LENGTH = 262_144;
    /** Below this the ring holds a few dozen full frames: drops under any burst. */
    public static final int MIN_BUFFER_SIZE = 1 << 20;

    /** Which frames of the interface are captured. */
    public enum Direction {
        /**
         * Frames that arrive at the interface: the mirrored client/primary traffic. Frames that this
         * host sends (its own health checks to the primary, and the frames the proxy injects) are
         * left out, so the tracker never mistakes them for the client's or the primary's.
         */
        IN,
        /** Arriving and leaving frames, for diagnosis. */
        INOUT
    }

    /**
     * The settings that every live backend reads from its own configuration, under the same keys
     * and defaults, as accessors of the backend's DS property type (an annotation, which cannot
     * extend an interface): {@code new Readings(config::interfaceName, config::snapshotLength, ...)}.
     *
     * @param interfaceName key interfaceName
     * @param snapshotLength key snapshotLength
     * @param bufferSize key bufferSize
     * @param direction key direction
     * @param extraFilter key extraFilter
     */
    public record Readings(Supplier<String> interfaceName, Supplier<Integer> snapshotLength,
                           Supplier<Integer> bufferSize, Supplier<String> direction, Supplier<String> extraFilter) {
    }

    /** Defensive copies. */
    public CaptureSettings {
        addresses = List.copyOf(addresses);
        ports = List.copyOf(ports);
    }

    /**
     * Checks every setting, then the host: whether the interface exists and whether this process
     * may capture.
     *
     * @param service the service to watch, validated by its owner; null while there is none
     * @param pid the PID of the backend's configuration, named in every message
     * @param config the capture settings every live backend has, read from that PID
     * @param host the machine
     * @return settings to open the capture with
     * @throws InvalidConfigurationException with the one line to log
     */
    public static CaptureSettings validate(ServiceEndpoints service, String pid, Readings config, Host host)
            throws InvalidConfigurationException {
        String servicePid = ConfigurationPids.SERVICE;

        if (service == null) {
            // not configured, or refused by the service's owner, which has named the key
            throw invalid(servicePid, "'addresses' is not set; give the service's IP addresses, e.g. 10.77.0.2.");
        }
        List<String> addresses = new ArrayList<>();
        for (InetAddress address : service.addresses()) {
            addresses.add(BpfFilter.normalise(address.getHostAddress()));
        }
        List<Integer> ports = new ArrayList<>();
        for (int port : service.ports()) {
            ports.add(port);
        }

        String interfaceName = read(pid, "interfaceName", "a string", config.interfaceName());
        interfaceName = interfaceName == null ? "" : interfaceName.trim();
        if (interfaceName.isEmpty()) {
            throw invalid(pid, "'interfaceName' is not set; set it to the interface that sees the clients' traffic,"
                    + " one of " + host.interfaceNames() + ".");
        }

        int snapshotLength = read(pid, "snapshotLength", "an integer", config.snapshotLength());
        if (snapshotLength < MIN_SNAPSHOT_LENGTH || snapshotLength > MAX_SNAPSHOT_LENGTH) {
            throw invalid(pid, "'snapshotLength' is " + snapshotLength + "; use " + MIN_SNAPSHOT_LENGTH + " to "
                    + MAX_SNAPSHOT_LENGTH + " (65535 by default; 262144 where GRO merges segments).");
        }

        int bufferSize = read(pid, "bufferSize", "an integer", config.bufferSize());
        if (bufferSize < MIN_BUFFER_SIZE) {
            throw invalid(pid, "'bufferSize' is " + bufferSize + " bytes; use at least " + MIN_BUFFER_SIZE
                    + " (16777216 by default).");
        }

        String directionSetting = read(pid, "direction", "a string", config.direction());
        Direction direction;
        try {
            direction = Direction.valueOf(directionSetting == null ? "" : directionSetting.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw invalid(pid, "'direction' is '" + directionSetting + "'; use IN (default) or INOUT.");
        }

        String extraFilter = read(pid, "extraFilter", "a string", config.extraFilter());
        String filter = BpfFilter.build(addresses, ports, extraFilter);
        Optional<String> filterError = host.filterError(filter, snapshotLength);
        if (filterError.isPresent()) {
            if (extraFilter != null && !extraFilter.isBlank()) {
                throw invalid(pid, "'extraFilter' is not a valid BPF expression: " + filterError.get()
                        + " (the whole filter was: " + filter + ").");
            }
            throw invalid(pid, "the filter built from 'addresses' and 'ports' does not compile: "
                    + filterError.get() + " (" + filter + ").");
        }

        List<String> interfaces = host.interfaceNames();
        if (!interfaces.contains(interfaceName)) {
            throw invalid(pid, "'interfaceName' is '" + interfaceName + "', which does not exist on this host;"
                    + " the interfaces are " + interfaces + ".");
        }
        if (!host.mayCapture()) {
            throw invalid(pid, "capturing on '" + interfaceName + "' needs root or the CAP_NET_RAW capability,"
                    + " and this JVM runs as '" + host.userName() + "' without it"
                    + " (run as root, or: setcap cap_net_raw,cap_net_admin+ep on the java binary).");
        }
        return new CaptureSettings(interfaceName, snapshotLength, bufferSize, direction, filter, addresses, ports);
    }

    /** Reads one setting; a value DS cannot convert to the attribute's type becomes a clear error. */
    private static <T> T read(String pid, String key, String expected, Supplier<T> accessor)
            throws InvalidConfigurationException {
        try {
            return accessor.get();
        } catch (RuntimeException e) {
            throw invalid(pid, "'" + key + "' should be " + expected + " but cannot be read as one (" + e.getMessage() + ").");
        }
    }

    private static InvalidConfigurationException invalid(String pid, String what) {
        return new InvalidConfigurationException(pid + ": " + what);
    }
}
