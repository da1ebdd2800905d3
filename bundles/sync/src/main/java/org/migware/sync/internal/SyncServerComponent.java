package org.migware.sync.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.migware.api.connection.ConnectionTable;
import org.migware.api.config.ConfigurationPids;
import org.migware.api.config.SharedKeys;
import org.migware.api.sync.ConnectionImport;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving side of state sync: streams this host's table to every backup. Off unless its
 * configuration names a listen address and a key file; a changed configuration restarts it (the
 * backups reconnect and get the whole table again).
 *
 * <p>Immediate: the serving side must listen as soon as it is configured, not when someone first asks for its status (a delayed component
 * providing a service is only activated then; found by RejoinLabTest).
 */
@Component(service = SyncEndpoint.class, immediate = true, configurationPid = SyncServerComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = SyncServerComponent.Config.class)
public final class SyncServerComponent implements SyncEndpoint {

    static final String PID = ConfigurationPids.SYNC_SERVER;
    private static final Logger LOG = LoggerFactory.getLogger(SyncServerComponent.class);

    /** Where backups connect, and the channel's bounds. */
    @ObjectClassDefinition(name = "MigWare state sync, serving side",
            description = "Streams this host's table (every established connection's handshake, then the changes) to the"
                    + " backups, over TCP with an HMAC-SHA256 on every message (issue 13, after conntrackd's FT-FW)")
    public @interface Config {

        @AttributeDefinition(name = "Listen address", description = "The address backups connect to; empty: off")
        String listenAddress() default "";

        @AttributeDefinition(name = "Listen port")
        int listenPort() default 7079;

        @AttributeDefinition(name = "Key file", description = "The shared key (16 bytes or more), mode 0600; the same file"
                + " on every host")
        String keyFile() default "";

        @AttributeDefinition(name = "Queue per backup (messages)", description = "Changes queued for one backup; when it"
                + " is full, changes are dropped and the backup, seeing the gap, asks for the whole table")
        int queueCapacity() default 10_000;

        @AttributeDefinition(name = "Poll interval (ms)", description = "How often the table is compared with the last"
                + " one: a change reaches the backups within this time")
        long pollMillis() default 200;

        @AttributeDefinition(name = "Alive interval (ms)", description = "A message at least this often, so that the"
                + " backups can tell a silent channel from a dead one")
        long aliveMillis() default 1000;

        @AttributeDefinition(name = "Dead after (ms)", description = "A backup silent this long is disconnected")
        long deadAfterMillis() default 5000;

        @AttributeDefinition(name = "Backups at most")
        int maxBackups() default 8;
    }

    private final SyncCounters counters = new SyncCounters();
    private final SyncServer server;
    private final String problem;
    /** Whether the configuration leaves this side off on purpose (no address): not a problem. */
    private final boolean off;
    private final String listen;

    @Activate
    public SyncServerComponent(Config config, @Reference ConnectionTable table, @Reference ConnectionImport changes) {
        this.listen = config.listenAddress().strip() + ":" + config.listenPort();
        String why = null;
        SyncServer started = null;
        this.off = config.listenAddress().isBlank();
        if (off) {
            why = "no listenAddress: the serving side is off";
            LOG.info("sync: {}", why);
        } else {
            SharedKeys.Loaded key = SharedKeys.load(config.keyFile());
            if (key.key() == null) {
                why = String.join("; ", key.problems());
                LOG.error("sync: the serving side does not start: {}", why);
            } else {
                SyncServer candidate = new SyncServer(new InetSocketAddress(config.listenAddress().strip(), config.listenPort()),
                        key.key(), table::connections, changes::changeCount, new SyncServer.Settings(Math.max(1, config.queueCapacity()),
                                Math.max(10, config.aliveMillis()), Math.max(100, config.deadAfterMillis()),
                                Math.max(10, config.pollMillis()), Math.max(1, config.maxBackups())), counters);
                try {
                    candidate.start();
                    started = candidate;
                } catch (IOException | RuntimeException e) {
                    candidate.close();
                    why = "cannot listen on " + listen + ": " + e.getMessage();
                    LOG.error("sync: the serving side does not start: {}", why);
                }
            }
        }
        this.server = started;
        this.problem = why;
    }

    @Deactivate
    void deactivate() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    public String role() {
        return "serving";
    }

    @Override
    public String describe() {
        if (off) {
            return "serving side: off (no listenAddress)";
        }
        if (server == null) {
            return "serving side on " + listen + ": PROBLEM: " + problem;
        }
        List<String> backups = server.backups();
        return "serving side on " + listen + ": " + backups.size() + " backup(s)" + (backups.isEmpty() ? "" : " " + backups);
    }

    @Override
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("role", role());
        map.put("listen", listen);
        map.put("off", off);
        map.put("running", server != null);
        map.put("problem", problem);
        map.put("backups", server == null ? List.of() : server.backups());
        map.putAll(counters.asMap());
        return map;
    }

    /** For tests: the bound port. */
    int port() {
        return server.port();
    }
}
