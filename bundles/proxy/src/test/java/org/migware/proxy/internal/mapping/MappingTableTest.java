package org.migware.proxy.internal.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.migware.proxy.internal.events.DeferredLog;
import org.slf4j.LoggerFactory;

class MappingTableTest {

    private long now = 1;
    private final MappingTable table = new MappingTable(() -> now, new DeferredLog(LoggerFactory.getLogger(MappingTableTest.class)));

    private static Mapping mapping(int clientPort, int shadowPort) {
        Mapping m = new Mapping(null, 0x0a4d_0001, clientPort, 1, 0x0a4d_0002, 7000, 2, 0xc612_0002, shadowPort);
        m.state = MappingState.ESTABLISHED;
        return m;
    }

    @Test
    void aMappingIsFoundFromEitherSide() {
        Mapping m = mapping(40000, 10_000);
        table.register(m);
        assertSame(m, table.byClient(0x0a4d_0001, 40000, 0x0a4d_0002, 7000));
        assertSame(m, table.byShadow(0xc612_0002, 10_000));
        assertNull(table.byClient(0x0a4d_0001, 40000, 0x0a4d_0002, 7001), "another service port");
        assertNull(table.byShadow(0xc612_0002, 10_001));
    }

    /** One client port toward two service addresses: two connections, each found by its own address. */
    @Test
    void oneClientPortToTwoServiceAddressesIsTwoMappings() {
        Mapping first = mapping(40000, 10_000);
        Mapping second = new Mapping(null, 0x0a4d_0001, 40000, 1, 0x0a4d_0003, 7000, 2, 0xc612_0002, 10_001);
        table.register(first);
        table.register(second);
        assertSame(first, table.byClient(0x0a4d_0001, 40000, 0x0a4d_0002, 7000));
        assertSame(second, table.byClient(0x0a4d_0001, 40000, 0x0a4d_0003, 7000));
        table.close(first, "test");
        assertNull(table.byClient(0x0a4d_0001, 40000, 0x0a4d_0002, 7000));
        assertSame(second, table.byClient(0x0a4d_0001, 40000, 0x0a4d_0003, 7000), "closing one leaves the other");
    }

    @Test
    void closingAnOldConnectionLeavesTheNewOneOnTheSameClientPort() {
        Mapping old = mapping(40000, 10_000);
        Mapping reused = mapping(40000, 10_001);
        table.register(old);
        table.register(reused);
        table.close(old, "test");
        assertEquals(MappingState.CLOSED, old.state);
        assertSame(reused, table.byClient(0x0a4d_0001, 40000, 0x0a4d_0002, 7000));
        assertNull(table.byShadow(0xc612_0002, 10_000));
        assertSame(reused, table.byShadow(0xc612_0002, 10_001));
    }

    @Test
    void bothFinsCloseTheMappingAfterItsLinger() {
        Mapping m = mapping(40000, 10_000);
        table.register(m);
        m.clientFin = true;
        table.lingerIfClosed(m);
        table.removeClosed(now + MappingTable.CLOSED_LINGER_NANOS);
        assertSame(m, table.byShadow(0xc612_0002, 10_000), "one FIN closes nothing");
        m.replicaFin = true;
        table.lingerIfClosed(m);
        table.removeClosed(now + MappingTable.CLOSED_LINGER_NANOS - 1);
        assertSame(m, table.byShadow(0xc612_0002, 10_000), "still lingering");
        table.removeClosed(now + MappingTable.CLOSED_LINGER_NANOS);
        assertEquals(MappingState.CLOSED, m.state);
        List<Mapping> left = new ArrayList<>();
        table.forEachByClient(left::add);
        table.forEachByShadow(left::add);
        assertEquals(List.of(), left);
    }
}
