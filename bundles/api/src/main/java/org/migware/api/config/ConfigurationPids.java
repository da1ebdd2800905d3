package org.migware.api.config;

/**
 * The PID of every MigWare configuration: one component owns each, designates its metatype
 * ({@code @Designate}) and is the only one that reads it. What other bundles need of a
 * configuration they get as a service from its owner, never by reading its PID (the service's
 * addresses and ports, for example, come from {@link org.migware.api.connection.ProtectedService}).
 *
 * @since 1.0
 */
public final class ConfigurationPids {

    /** The service MigWare protects: its addresses and ports (bundle {@code org.migware.service}). */
    public static final String SERVICE = "org.migware.service";
    /** The connection tracker (bundle {@code org.migware.tracker}). */
    public static final String TRACKER = "org.migware.tracker";
    /** RECOVERY and PROXY, the migration itself (bundle {@code org.migware.proxy}). */
    public static final String PROXY = "org.migware.proxy";
    /** The core's control socket (bundle {@code org.migware.core}). */
    public static final String CORE = "org.migware.core";
    /** The failover decision (bundle {@code org.migware.core}). */
    public static final String CORE_FAILOVER = "org.migware.core.failover";
    /** Live capture and injection (bundle {@code org.migware.capture.pcap4j}). */
    public static final String CAPTURE_PCAP4J = "org.migware.capture.pcap4j";
    /** Live capture and injection on the kernel's packet ring, TPACKET_V3 (bundle {@code org.migware.capture.ring}). */
    public static final String CAPTURE_RING = "org.migware.capture.ring";
    /** Replay of a capture file (bundle {@code org.migware.capture.file}). */
    public static final String CAPTURE_FILE = "org.migware.capture.file";
    /** The ICMP monitor (bundle {@code org.migware.monitor.icmp}). */
    public static final String MONITOR_ICMP = "org.migware.monitor.icmp";
    /** The TCP monitor (bundle {@code org.migware.monitor.tcp}). */
    public static final String MONITOR_TCP = "org.migware.monitor.tcp";
    /** The passive traffic monitor (bundle {@code org.migware.monitor.traffic}). */
    public static final String MONITOR_TRAFFIC = "org.migware.monitor.traffic";
    /** The command monitor, a factory PID: one configuration per command (bundle {@code org.migware.monitor.exec}). */
    public static final String MONITOR_EXEC_FACTORY = "org.migware.monitor.exec";
    /**
     * The HTTP endpoints /metrics and /health (bundle {@code org.migware.observability}).
     *
     * @since 1.1
     */
    public static final String OBSERVABILITY = "org.migware.observability";
    /**
     * The recorder of recent frames behind {@code migware:pcap} (bundle {@code org.migware.proxy}).
     *
     * @since 1.2
     */
    public static final String RECORDER = "org.migware.recorder";
    /**
     * The notify command, run at every failover state change, monitor verdict change, arm and
     * disarm (bundle {@code org.migware.observability}).
     *
     * @since 1.2
     */
    public static final String NOTIFY = "org.migware.notify";

    /** State sync's serving side (bundle sync): streams this host's table to the backups. @since 1.4 */
    public static final String SYNC_SERVER = "org.migware.sync.server";

    /** State sync's backup side (bundle sync): imports the serving host's table. @since 1.4 */
    public static final String SYNC_CLIENT = "org.migware.sync.client";

    private ConfigurationPids() {
    }
}
