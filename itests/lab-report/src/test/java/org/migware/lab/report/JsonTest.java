package org.migware.lab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesAndReadsBackNestedValues() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("mean", 12.5);
        inner.put("count", 3);
        inner.put("nothing", Double.NaN);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("text", "tab\there \"quoted\" back\\slash\nnew line");
        root.put("list", List.of(1, 2.25, true, "x"));
        root.put("doubles", new double[] {0.001, 1e-9, 7});
        root.put("inner", inner);
        root.put("none", null);

        Map<String, Object> back = Json.parseObject(Json.write(root));

        assertEquals(root.get("text"), back.get("text"));
        assertEquals(List.of(1L, 2.25, true, "x"), back.get("list"));
        // three decimals: microseconds of the millisecond values the report holds
        assertEquals(List.of(0.001, 0L, 7L), back.get("doubles"));
        @SuppressWarnings("unchecked")
        Map<String, Object> innerBack = (Map<String, Object>) back.get("inner");
        assertEquals(12.5, innerBack.get("mean"));
        assertEquals(3L, innerBack.get("count"));
        assertNull(innerBack.get("nothing"), "NaN is not JSON: written as null");
        assertNull(back.get("none"));
    }

    @Test
    void aStringCannotEndTheScriptBlockItIsEmbeddedIn() {
        String json = Json.write(Map.of("error", "</script><script>alert(1)</script>"));
        assertFalse(json.contains("</"), json);
        assertEquals("</script><script>alert(1)</script>", Json.parseObject(json).get("error"));
    }

    @Test
    void malformedInputSaysWhere() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": [1, 2}"));
        assertEquals(true, e.getMessage().contains("offset"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{} trailing"));
    }
}
