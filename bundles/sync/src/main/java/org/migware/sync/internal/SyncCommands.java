package org.migware.sync.internal;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.connection.TcpState;
import org.migware.api.sync.ConnectionImport;
import org.migware.api.sync.HandshakeOrigin;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import com.google.gson.GsonBuilder;

/**
 * The Gogo command {@code migware:sync}: each configured side of state sync with its counters,
 * and per connection of this host's table where its handshake came from (this host's capture,
 * the serving host's table through sync, or nobody: missed).
 */
@Component(service = SyncCommands.class, property = {
    "osgi.command.scope=migware",
    "osgi.command.function=sync"
})
public final class SyncCommands {

    private final List<SyncEndpoint> endpoints = new CopyOnWriteArrayList<>();
    private volatile ConnectionImport table;
    private volatile ConnectionTable connections;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addEndpoint(SyncEndpoint endpoint) {
        endpoints.add(endpoint);
    }

    void removeEndpoint(SyncEndpoint endpoint) {
        endpoints.remove(endpoint);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindTable(ConnectionImport newTable) {
        table = newTable;
    }

    void unbindTable(ConnectionImport oldTable) {
        if (table == oldTable) {
            table = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindConnections(ConnectionTable newTable) {
        connections = newTable;
    }

    void unbindConnections(ConnectionTable oldTable) {
        if (connections == oldTable) {
            connections = null;
        }
    }

    @Descriptor("state sync: the serving and backup sides, their counters, and per connection where its handshake came from")
    public String sync(@Descriptor("print it as JSON")
            @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json) {
        List<SyncEndpoint> sides = List.copyOf(endpoints);
        ConnectionImport current = table;
        Map<ConnectionKey, HandshakeOrigin> origins = current == null ? Map.of() : current.handshakeOrigins();
        ConnectionTable table = connections;
        Map<ConnectionKey, TcpState> states = new HashMap<>();
        if (table != null) {
            table.connections().forEach(c -> states.put(c.key(), c.state()));
        }
        return json ? json(sides, current != null, origins, states) : text(sides, current != null, origins, states);
    }

    static String text(List<SyncEndpoint> sides, boolean tableThere, Map<ConnectionKey, HandshakeOrigin> origins,
            Map<ConnectionKey, TcpState> states) {
        StringBuilder out = new StringBuilder();
        if (sides.isEmpty()) {
            out.append("sync: off (neither org.migware.sync.server nor org.migware.sync.client is configured)\n");
        }
        for (SyncEndpoint side : sides) {
            out.append("sync: ").append(side.describe()).append('\n');
            StringBuilder counters = new StringBuilder();
            side.toMap().forEach((name, value) -> {
                if (value instanceof Long n && n != 0) {
                    counters.append(' ').append(name).append('=').append(n);
                }
            });
            if (counters.length() > 0) {
                out.append("  counters:").append(counters).append('\n');
            }
        }
        if (!tableThere) {
            return out.append("connections: the tracker is not running\n").toString();
        }
        Map<HandshakeOrigin, Integer> totals = new EnumMap<>(HandshakeOrigin.class);
        origins.values().forEach(origin -> totals.merge(origin, 1, Integer::sum));
        out.append("connections by where their handshake came from: ")
                .append(totals.getOrDefault(HandshakeOrigin.CAPTURE, 0)).append(" capture, ")
                .append(totals.getOrDefault(HandshakeOrigin.SYNC, 0)).append(" sync, ")
                .append(totals.getOrDefault(HandshakeOrigin.MISSED, 0)).append(" missed\n");
        origins.forEach((key, origin) -> out.append("  ").append(key).append(" handshake=")
                .append(origin.name().toLowerCase()).append(" state=").append(states.getOrDefault(key, null)).append('\n'));
        return out.toString();
    }

    static String json(List<SyncEndpoint> sides, boolean tableThere, Map<ConnectionKey, HandshakeOrigin> origins,
            Map<ConnectionKey, TcpState> states) {
        Map<String, Object> root = new LinkedHashMap<>();
        List<Map<String, Object>> sideMaps = new ArrayList<>();
        sides.forEach(side -> sideMaps.add(side.toMap()));
        root.put("sides", sideMaps);
        root.put("trackerRunning", tableThere);
        List<Map<String, Object>> connections = new ArrayList<>();
        origins.forEach((key, origin) -> {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("client", key.clientAddress().getHostAddress());
            c.put("clientPort", key.clientPort());
            c.put("server", key.serverAddress().getHostAddress());
            c.put("serverPort", key.serverPort());
            c.put("handshake", origin.name().toLowerCase());
            TcpState state = states.get(key);
            c.put("state", state == null ? null : state.name());
            connections.add(c);
        });
        root.put("connections", connections);
        return new GsonBuilder().serializeNulls().setPrettyPrinting().create().toJson(root);
    }
}
