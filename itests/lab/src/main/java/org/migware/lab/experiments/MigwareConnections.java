package org.migware.lab.experiments;

import static org.migware.lab.experiments.JsonFields.array;
import static org.migware.lab.experiments.JsonFields.flag;
import static org.migware.lab.experiments.JsonFields.hostAndPort;
import static org.migware.lab.experiments.JsonFields.number;
import static org.migware.lab.experiments.JsonFields.object;
import static org.migware.lab.experiments.JsonFields.report;
import static org.migware.lab.experiments.JsonFields.string;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.migware.lab.LabException;

/**
 * {@code migware:connections --json} read: the core's {@code ConnectionsReport} record, the
 * connections in the tracker's table and the ones MigWare carries since the failover.
 *
 * @param tracking whether the tracker runs
 * @param connections the tracked connections, oldest first
 * @param mappings the carried connections: client {@code address:port} to the mapping's state
 *        (QUEUED, HANDSHAKING, ESTABLISHED, FAILED, CLOSED), in address order
 * @param total how many tracked connections matched the command's filter, before its limit (the
 *        page's size when the container predates the field)
 */
public record MigwareConnections(boolean tracking, List<TrackedConnection> connections, Map<String, String> mappings, int total) {

    /** The command whose answer {@link #parse} reads. */
    public static final String COMMAND = "migware:connections --json";

    /**
     * @param filter {@code ip}, {@code ip:port}, {@code [ipv6]:port} or {@code :port}: connections
     *        with an end there
     * @param limit the most connections the answer lists
     * @return {@link #COMMAND} asking for one page, which {@link #parse} reads as well
     */
    public static String command(String filter, int limit) {
        if (filter.isBlank() || filter.chars().anyMatch(c -> Character.isWhitespace(c) || c == ';' || c == '|' || c == '"')) {
            throw new IllegalArgumentException("not a connections filter: '" + filter + "'");
        }
        return COMMAND + " --filter " + filter + " --limit " + limit;
    }

    /**
     * One connection of the tracker's table ({@code ConnectionSnapshot}).
     *
     * @param clientAddress the client's address
     * @param clientPort the client's port
     * @param handshakeSeen whether the tracker saw the connection's handshake
     * @param client what the client's side sent
     * @param server what the server's side sent
     */
    public record TrackedConnection(String clientAddress, int clientPort, boolean handshakeSeen, Side client, Side server) {
    }

    /**
     * One direction of a connection ({@code DirectionState}); -1 where the tracker does not know.
     *
     * @param initialSequence the ISN
     * @param mss the MSS option of its SYN
     * @param windowScale the window-scale option of its SYN
     * @param sackPermitted whether its SYN carried SACK-permitted
     * @param timestamps whether its SYN carried timestamps
     * @param bytes payload bytes sent
     */
    public record Side(long initialSequence, int mss, int windowScale, boolean sackPermitted, boolean timestamps, long bytes) {
    }

    /**
     * @param json the answer of {@link #COMMAND}
     * @return the connections it describes
     * @throws LabException when it is not a connections report
     */
    public static MigwareConnections parse(String json) {
        JsonObject report = report(json, "mappings", COMMAND);
        List<TrackedConnection> connections = new ArrayList<>();
        for (JsonElement e : array(report, "connections")) {
            JsonObject c = e.getAsJsonObject();
            JsonObject client = object(c, "client");
            connections.add(new TrackedConnection(string(client, "address", ""), (int) number(client, "port", -1),
                    flag(c, "handshakeSeen"), side(object(c, "clientToServer")), side(object(c, "serverToClient"))));
        }
        Map<String, String> mappings = new TreeMap<>();
        for (JsonElement e : array(report, "mappings")) {
            JsonObject m = e.getAsJsonObject();
            mappings.put(hostAndPort(object(m, "client")), string(m, "state", ""));
        }
        int total = (int) Math.max(connections.size(), number(report, "total", connections.size()));
        return new MigwareConnections(flag(report, "tracking"), List.copyOf(connections), Collections.unmodifiableMap(mappings), total);
    }

    private static Side side(JsonObject d) {
        return new Side(number(d, "initialSequence", -1), (int) number(d, "mss", -1), (int) number(d, "windowScale", -1),
                flag(d, "sackPermitted"), flag(d, "timestamps"), number(d, "bytes", -1));
    }
}
