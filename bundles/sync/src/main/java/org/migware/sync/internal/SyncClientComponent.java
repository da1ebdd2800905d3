package org.migware.sync.internal;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.config.SharedKeys;
import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverListener;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.FailoverStatus;
import org.migware.api.sync.ConnectionImport;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup side of state sync: follows the serving host's table into this host's tracker,
 * which keeps tracking from its own capture too. Off unless its configuration names the serving
 * host and a key file.
 *
 * <p>Immediate: the backup side must connect and learn the table as soon as it is configured, not when someone first asks for its status (a delayed component
 * providing a service is only activated then; found by RejoinLabTest).
 */
@Component(service = {SyncEndpoint.class, FailoverListener.class}, immediate = true, configurationPid = SyncClientComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = SyncClientComponent.Config.class)
public final class SyncClientComponent implements SyncEndpoint, FailoverListener {

    static final String PID = ConfigurationPids.SYNC_CLIENT;
    private static final Logger LOG = LoggerFactory.getLogger(SyncClientComponent.class);

    /** The serving host to follow, and the reconnection's pace. */
    @ObjectClassDefinition(name = "MigWare state sync, backup side",
            description = "Imports the serving host's table into this host's tracker: the handshakes of connections opened"
                    + " before this host joined (issue 13, after conntrackd's FT-FW)")
    public @interface Config {

        @AttributeDefinition(name = "Serving host's address", description = "Empty: off")
        String peerAddress() default "";

        @AttributeDefinition(name = "Serving host's port")
        int peerPort() default 7079;

        @AttributeDefinition(name = "Key file", description = "The shared key (16 bytes or more), mode 0600; the same file"
                + " on every host")
        String keyFile() default "";

        @AttributeDefinition(name = "First reconnection delay (ms)", description = "Doubled after each failed attempt,"
                + " up to the maximum; jittered")
        long reconnectMinMillis() default 200;

        @AttributeDefinition(name = "Longest reconnection delay (ms)")
        long reconnectMaxMillis() default 5000;

        @AttributeDefinition(name = "Alive interval (ms)")
        long aliveMillis() default 1000;

        @AttributeDefinition(name = "Dead after (ms)", description = "A serving host silent this long is reconnected to")
        long deadAfterMillis() default 5000;
    }

    private final SyncCounters counters = new SyncCounters();
    private final SyncClient client;
    private final String problem;
    /** Whether the configuration leaves this side off on purpose (no address): not a problem. */
    private final boolean off;
    private final String peer;

    @Activate
    public SyncClientComponent(Config config, @Reference ConnectionImport table) {
        this.peer = config.peerAddress().strip() + ":" + config.peerPort();
        String why = null;
        SyncClient started = null;
        this.off = config.peerAddress().isBlank();
        if (off) {
            why = "no peerAddress: the backup side is off";
            LOG.info("sync: {}", why);
        } else {
            SharedKeys.Loaded key = SharedKeys.load(config.keyFile());
            if (key.key() == null) {
                why = String.join("; ", key.problems());
                LOG.error("sync: the backup side does not start: {}", why);
            } else {
                started = new SyncClient(new InetSocketAddress(config.peerAddress().strip(), config.peerPort()), key.key(),
                        table, new SyncClient.Settings(Math.max(10, config.reconnectMinMillis()),
                                Math.max(config.reconnectMinMillis(), config.reconnectMaxMillis()),
                                Math.max(10, config.aliveMillis()), Math.max(100, config.deadAfterMillis())), counters);
                started.start();
            }
        }
        this.client = started;
        this.problem = why;
    }

    /** The core, which says whether this host serves; absent in a container without it (then: from the events alone). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile FailoverStatus failover;

    /**
     * Follows the roles: while this host serves the service address the backup side is paused
     * (see {@link SyncClient#paused(boolean)}), and it follows the serving host again once this
     * host watches. The core tells the current state at registration, so a restart in PROXY
     * starts paused.
     */
    @Override
    public void stateChanged(FailoverEvent event) {
        if (client != null) {
            FailoverStatus core = failover;
            client.paused(core != null ? core.serving() : event.to() == FailoverState.RECOVERY || event.to() == FailoverState.PROXY);
        }
    }

    @Deactivate
    void deactivate() {
        if (client != null) {
            client.close();
        }
    }

    @Override
    public String role() {
        return "backup";
    }

    @Override
    public String describe() {
        if (off) {
            return "backup side: off (no peerAddress)";
        }
        if (client == null) {
            return "backup side of " + peer + ": PROBLEM: " + problem;
        }
        if (client.paused()) {
            return "backup side of " + peer + ": " + SyncClient.PAUSED + " (it imports no table while it serves)";
        }
        return "backup side of " + peer + ": " + (client.connected() ? "connected" : "not connected")
                + (client.lastTransfer() == null ? ", no full transfer yet" : ", last full transfer " + client.lastTransfer())
                + (client.connected() || client.lastProblem() == null ? "" : " (" + client.lastProblem() + ")");
    }

    @Override
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("role", role());
        map.put("peer", peer);
        map.put("off", off);
        map.put("running", client != null);
        map.put("problem", problem);
        map.put("connected", client != null && client.connected());
        map.put("paused", client != null && client.paused());
        map.put("lastTransfer", client == null || client.lastTransfer() == null ? null : client.lastTransfer().toString());
        map.put("lastProblem", client == null ? null : client.lastProblem());
        map.putAll(counters.asMap());
        return map;
    }
}
