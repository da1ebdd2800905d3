package org.migware.sync.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.TcpState;
import org.migware.api.sync.HandshakeOrigin;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

class SyncCommandsTest {

    @Test
    void eachConnectionSaysWhereItsHandshakeCameFrom() {
        FakeImportTable table = new FakeImportTable();
        table.captured(Connections.established(1000, 1, 2), HandshakeOrigin.CAPTURE);
        table.captured(Connections.of(1001, 1, 2, TcpState.ESTABLISHED, false), HandshakeOrigin.MISSED);
        table.importHandshake(Connections.established(1002, 1, 2));
        SyncCommands commands = new SyncCommands();
        commands.bindTable(table);

        String text = commands.sync(false);
        assertTrue(text.contains("sync: off"), text);
        assertTrue(text.contains("1 capture, 1 sync, 1 missed"), text);
        assertTrue(text.contains(":1002 -> ") && text.contains(":7000 handshake=sync"), text);

        JsonObject json = JsonParser.parseString(commands.sync(true)).getAsJsonObject();
        assertEquals(3, json.getAsJsonArray("connections").size());
        Map<Integer, String> byPort = new java.util.HashMap<>();
        json.getAsJsonArray("connections").forEach(e -> byPort.put(e.getAsJsonObject().get("clientPort").getAsInt(),
                e.getAsJsonObject().get("handshake").getAsString()));
        assertEquals(Map.of(1000, "capture", 1001, "missed", 1002, "sync"), byPort);
    }

    @Test
    void aSidesCountersShowWhenNotZero() {
        SyncCounters counters = new SyncCounters();
        counters.forged.incrementAndGet();
        SyncEndpoint side = new SyncEndpoint() {
            @Override
            public String role() {
                return "backup";
            }

            @Override
            public String describe() {
                return "backup side of 10.0.0.2:7079: connected";
            }

            @Override
            public Map<String, Object> toMap() {
                return new java.util.LinkedHashMap<>(counters.asMap());
            }
        };
        String text = SyncCommands.text(List.of(side), false, Map.of(), Map.of());
        assertTrue(text.contains("sync: backup side of 10.0.0.2:7079: connected"), text);
        assertTrue(text.contains("counters: rejectedForged=1\n"), text);
        assertTrue(text.contains("the tracker is not running"), text);
    }
}
