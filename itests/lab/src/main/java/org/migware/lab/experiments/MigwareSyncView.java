package org.migware.lab.experiments;

import java.util.Set;
import java.util.TreeSet;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * What {@code migware:sync --json} shows of a MigWare's table: the connections it tracks, and
 * where each one's handshake came from ({@code capture}, {@code sync} or {@code missed}), and the
 * sync channel's sides. A test compares it with the kernels' own view ({@code ss}), never with
 * itself alone.
 */
public final class MigwareSyncView {

    private final JsonObject json;

    private MigwareSyncView(JsonObject json) {
        this.json = json;
    }

    /** @return the view now; empty while the sync bundle is still starting (the container answers before it) */
    public static MigwareSyncView of(MigwareInstance migware) {
        return new MigwareSyncView(migware.tryQuery("migware:sync --json").map(text -> JsonParser.parseString(text).getAsJsonObject())
                .orElseGet(() -> {
                    JsonObject starting = new JsonObject();
                    starting.add("sides", new JsonArray());
                    starting.add("connections", new JsonArray());
                    return starting;
                }));
    }

    /**
     * @param role "serving" or "backup"
     * @return that side's counters and state
     * @throws AssertionError when the view shows no such side
     */
    public JsonObject side(String role) {
        for (JsonElement side : json.getAsJsonArray("sides")) {
            if (side.getAsJsonObject().get("role").getAsString().equals(role)) {
                return side.getAsJsonObject();
            }
        }
        throw new AssertionError("migware:sync shows no " + role + " side: " + json.get("sides"));
    }

    /** @return the clients ({@code address:port}) of the ESTABLISHED connections whose handshake came from {@code origin} */
    public Set<String> established(String origin) {
        Set<String> clients = new TreeSet<>();
        for (JsonElement e : json.getAsJsonArray("connections")) {
            JsonObject c = e.getAsJsonObject();
            if (c.get("handshake").getAsString().equals(origin) && !c.get("state").isJsonNull()
                    && c.get("state").getAsString().equals("ESTABLISHED")) {
                clients.add(c.get("client").getAsString() + ":" + c.get("clientPort").getAsInt());
            }
        }
        return clients;
    }

    /** @return the clients of the ESTABLISHED connections with a known handshake (from the capture or through sync) */
    public Set<String> establishedKnown() {
        Set<String> clients = established("capture");
        clients.addAll(established("sync"));
        return clients;
    }
}
