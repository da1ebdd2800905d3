package org.migware.lab.experiments;

import java.time.Instant;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import org.migware.lab.LabException;

/**
 * Null-safe reads of the JSON MigWare's shell writes with {@code --json} (the core's status
 * records: absent parts are {@code null}, instants ISO-8601, enums by name).
 */
final class JsonFields {

    private JsonFields() {
    }

    /**
     * The report in a command's answer. The core writes it as one line of JSON; what the bundles
     * log in the command's thread meanwhile (a component activated by the command, say) comes
     * first in the same answer, one log line each, so the report is the last line that opens an
     * object.
     *
     * @param answer a command's answer
     * @param mark a member every report of that kind has
     * @param command the command, for the message
     * @return the report's object
     * @throws LabException when the answer holds no such report (the command's words, for example)
     */
    static JsonObject report(String answer, String mark, String command) {
        String json = answer.lines().filter(line -> line.startsWith("{")).reduce((first, second) -> second).orElse("");
        try {
            JsonElement root = JsonParser.parseString(json);
            if (root.isJsonObject() && root.getAsJsonObject().has(mark)) {
                return root.getAsJsonObject();
            }
        } catch (JsonParseException e) {
            throw new LabException("not the answer of " + command + ": " + answer, e);
        }
        throw new LabException("not the answer of " + command + ": " + answer);
    }

    /** @return the member, or null when it is absent or JSON {@code null} */
    static JsonElement member(JsonObject object, String name) {
        JsonElement e = object == null ? null : object.get(name);
        return e == null || e.isJsonNull() ? null : e;
    }

    /** @return the member as an object, or null */
    static JsonObject object(JsonObject object, String name) {
        JsonElement e = member(object, name);
        return e == null ? null : e.getAsJsonObject();
    }

    /** @return the member as an array, empty when absent */
    static JsonArray array(JsonObject object, String name) {
        JsonElement e = member(object, name);
        return e == null ? new JsonArray() : e.getAsJsonArray();
    }

    /** @return the member as a string, or {@code absent} */
    static String string(JsonObject object, String name, String absent) {
        JsonElement e = member(object, name);
        return e == null ? absent : e.getAsString();
    }

    /** @return the member as a number, or {@code absent} */
    static long number(JsonObject object, String name, long absent) {
        JsonElement e = member(object, name);
        return e == null ? absent : e.getAsLong();
    }

    /** @return the member as a boolean, false when absent */
    static boolean flag(JsonObject object, String name) {
        JsonElement e = member(object, name);
        return e != null && e.getAsBoolean();
    }

    /** @return the member as an instant, or null */
    static Instant instant(JsonObject object, String name) {
        JsonElement e = member(object, name);
        return e == null ? null : Instant.parse(e.getAsString());
    }

    /** @return an endpoint ({@code {address, port, mac}}) as {@code address:port}, IPv6 in brackets, as the shell prints it */
    static String hostAndPort(JsonObject endpoint) {
        String host = string(endpoint, "address", "?");
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + number(endpoint, "port", -1);
    }
}
