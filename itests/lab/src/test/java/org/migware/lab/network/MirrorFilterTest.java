package org.migware.lab.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.migware.lab.LabException;

/** The mirror filter's nftables script and the reading of its counters (no root needed; the lab test runs them). */
class MirrorFilterTest {

    @Test
    void theScriptCountsEveryTcpFrameTowardsThePortFirstThenDropsOnlyThere() {
        String script = MirrorFilter.script("migware_mirror_backup", "backup-port", List.of("meta l4proto tcp drop-me"));
        List<String> rules = script.lines().filter(l -> l.contains("oifname")).toList();
        assertEquals(2, rules.size(), script);
        assertTrue(rules.get(0).contains("oifname \"backup-port\" meta l4proto tcp counter name \"seen\""), script);
        assertTrue(rules.get(1).contains("oifname \"backup-port\" meta l4proto tcp drop-me counter name \"dropped\" drop"),
                script);
        assertTrue(script.startsWith("table bridge migware_mirror_backup {\n counter seen { }\n counter dropped { }\n"), script);
        assertTrue(script.contains("type filter hook forward priority 0; policy accept;"), script);
    }

    @Test
    void pureAcksAreMatchedByAnIpLengthEqualToTheHeadersForEveryTcpHeaderLength() {
        List<String> matches = MirrorFilter.pureAckMatches("10.77.0.1", "10.77.0.2", 5000);
        assertEquals(11, matches.size());
        assertTrue(matches.get(0).endsWith("tcp doff 5 ip length 40"), matches.get(0));
        assertTrue(matches.get(3).endsWith("tcp doff 8 ip length 52"), "the usual ACK with timestamps: " + matches.get(3));
        assertTrue(matches.get(10).endsWith("tcp doff 15 ip length 80"), matches.get(10));
        for (String m : matches) {
            assertTrue(m.startsWith("ip saddr 10.77.0.1 ip daddr 10.77.0.2 tcp dport 5000 tcp flags & (syn | fin | rst) == 0"), m);
        }
    }

    @Test
    void theNamedCountersAreRead() {
        // nft 1.0.6's own output of "list counters table bridge ..."
        String listing = """
                table bridge migware_mirror_backup {
                	counter seen {
                		packets 9876 bytes 123456
                	}
                	counter dropped {
                		packets 98 bytes 5060
                	}
                }
                """;
        MirrorFilter.Counters c = MirrorFilter.parse(listing);
        assertEquals(9876, c.seen());
        assertEquals(98, c.dropped());
        assertEquals(100.0 * 98 / 9876, c.droppedPercent(), 1e-9);
        assertTrue(Double.isNaN(new MirrorFilter.Counters(0, 0).droppedPercent()));
        assertThrows(LabException.class, () -> MirrorFilter.parse("table bridge x {\n}\n"));
        assertThrows(LabException.class, () -> MirrorFilter.parse("table bridge x {\n\tcounter seen {\n\t\tpackets 1 bytes 2\n\t}\n}\n"));
    }
}
