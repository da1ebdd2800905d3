package org.migware.proxy.internal.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class CarriedSetTest {

    private static final int CLIENT = 0x0a4d0001; // 10.77.0.1
    private static final int SERVICE = 0x0a4d0064; // 10.77.0.100

    private final List<String> scripts = new ArrayList<>();
    private boolean failNext;
    private final NftRunner recording = script -> {
        if (failNext) {
            failNext = false;
            throw new NftRunner.NftException("nft -f - failed (exit 1): Error: No such file or directory");
        }
        scripts.add(script);
    };

    private static CarriedTuple tuple(int clientPort) {
        return new CarriedTuple(CLIENT, clientPort, SERVICE, 7000);
    }

    @Test
    void anElementIsClientThenServiceInTheSetsOrder() {
        assertEquals("10.77.0.1 . 40000 . 10.77.0.100 . 7000", tuple(40000).element());
        assertEquals("255.0.128.1", CarriedTuple.address(0xff008001));
    }

    /** The first write creates the table and replaces the whole set in the same transaction. */
    @Test
    void theFirstWriteCreatesTheTableAndReplacesTheWholeSetAtOnce() throws Exception {
        CarriedSet set = new CarriedSet(recording, "migware");
        set.sync(List.of(tuple(1), tuple(2)));
        assertEquals(1, scripts.size(), "one nft transaction");
        String script = scripts.get(0);
        assertTrue(script.startsWith("add table ip migware\n"), script);
        assertTrue(script.contains("hook prerouting priority raw"), script);
        assertTrue(script.contains("ip saddr . tcp sport . ip daddr . tcp dport @carried counter drop"), script);
        assertTrue(script.indexOf("flush set ip migware carried") < script.indexOf("add element"), "flushed before the add: " + script);
        assertTrue(script.contains("10.77.0.1 . 1 . 10.77.0.100 . 7000") && script.contains("10.77.0.1 . 2 . 10.77.0.100 . 7000"), script);
        assertEquals(2, set.size());
    }

    /** Later writes say only what changed; nothing changed, nothing is run. */
    @Test
    void laterWritesAddAndDeleteOnlyWhatChanged() throws Exception {
        CarriedSet set = new CarriedSet(recording, "migware");
        set.sync(List.of(tuple(1), tuple(2)));
        set.sync(List.of(tuple(2), tuple(3)));
        String diff = scripts.get(1);
        assertFalse(diff.contains("add table") || diff.contains("flush"), diff);
        assertEquals("delete element ip migware carried { 10.77.0.1 . 1 . 10.77.0.100 . 7000 }\n"
                + "add element ip migware carried { 10.77.0.1 . 3 . 10.77.0.100 . 7000 }\n", diff);
        set.sync(Set.of(tuple(3), tuple(2)));
        assertEquals(2, scripts.size(), "no change, no nft run");
        set.sync(List.of());
        assertEquals("delete element ip migware carried { 10.77.0.1 . 2 . 10.77.0.100 . 7000, 10.77.0.1 . 3 . 10.77.0.100 . 7000 }\n"
                .length(), scripts.get(2).length(), scripts.get(2));
        assertEquals(0, set.size());
    }

    /** After a refused write (someone removed the table, say) the next one rebuilds everything. */
    @Test
    void aFailedWriteIsFollowedByAWholeRewrite() throws Exception {
        CarriedSet set = new CarriedSet(recording, "migware");
        set.sync(List.of(tuple(1)));
        failNext = true;
        NftRunner.NftException e = assertThrows(NftRunner.NftException.class, () -> set.sync(List.of(tuple(1), tuple(2))));
        assertTrue(e.getMessage().contains("No such file"));
        assertEquals(1, set.size(), "what was last written successfully");
        set.sync(List.of(tuple(1), tuple(2)));
        String rebuilt = scripts.get(1);
        assertTrue(rebuilt.startsWith("add table ip migware") && rebuilt.contains("flush set ip migware carried"), rebuilt);
        assertEquals(2, set.size());
    }

    /** Many tuples are cut into lines of at most 1000 elements. */
    @Test
    void manyTuplesAreWrittenInBoundedLines() throws Exception {
        CarriedSet set = new CarriedSet(recording, "migware");
        List<CarriedTuple> many = new ArrayList<>();
        for (int port = 1; port <= 2500; port++) {
            many.add(tuple(port));
        }
        set.sync(many);
        long lines = scripts.get(0).lines().filter(l -> l.startsWith("add element")).count();
        assertEquals(3, lines);
        assertEquals(2500, scripts.get(0).split(" \\. 7000").length - 1);
    }

    @Test
    void aTableNameNftWouldNotTakeIsRefusedWithTheRule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CarriedSet(recording, "mig ware; flush ruleset"));
        assertTrue(e.getMessage().contains("nftTable"), e.getMessage());
    }

    /** The real binary's errors are said in words: a missing nft names the package. */
    @Test
    void aMissingNftBinaryIsSaidClearly() {
        NftRunner.NftException e = assertThrows(NftRunner.NftException.class,
                () -> new NftCommand("/nonexistent/nft").run("list tables\n"));
        assertTrue(e.getMessage().contains("not found") && e.getMessage().contains("nftables"), e.getMessage());
    }
}
