package org.migware.proxy.internal.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.migware.api.failover.ReplicaReadiness;

class ReplicaReadinessProbeTest {

    @Test
    void namesEachServicePortWithWhetherTheReplicaListensOnIt(@TempDir Path dir) throws Exception {
        Path tcp = dir.resolve("tcp");
        // a listener (state 0A) on 7000 (0x1B58) only; 7001 (0x1B59) has an established connection, no listener
        Files.writeString(tcp, """
                  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 03004D0A:1B58 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2697 1 0
                   1: 03004D0A:1B59 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2699 1 0
                """);
        Path net = dir.resolve("net");
        Files.createDirectories(net.resolve("migware0"));
        Files.writeString(net.resolve("migware0").resolve("flags"), "0x1091\n"); // IFF_UP | IFF_POINTOPOINT | IFF_RUNNING | IFF_NOARP

        ReplicaReadiness readiness = new ReplicaReadinessProbe(net).probe("migware0", new int[] {7000, 7001}, port -> port,
                new ReplicaAcceptQueue(tcp));

        assertEquals(new ReplicaReadiness("migware0", true, List.of(
                new ReplicaReadiness.ReplicaPort(7000, 7000, true),
                new ReplicaReadiness.ReplicaPort(7001, 7001, false))), readiness);
    }

    @Test
    void aTunThatIsDownOrGoneIsNotUp(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("migware0"));
        Files.writeString(dir.resolve("migware0").resolve("flags"), "0x1090\n"); // POINTOPOINT | NOARP, not UP
        ReplicaReadinessProbe probe = new ReplicaReadinessProbe(dir);

        assertFalse(probe.isUp("migware0"));
        assertFalse(probe.isUp("gone0"));
        Files.writeString(dir.resolve("migware0").resolve("flags"), "garbage");
        assertFalse(probe.isUp("migware0"));
    }

    @Test
    void theConfiguredReplicaPortIsTheOneLookedAt(@TempDir Path dir) throws Exception {
        Path tcp = dir.resolve("tcp");
        Files.writeString(tcp, """
                  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2697 1 0
                """);

        ReplicaReadiness readiness = new ReplicaReadinessProbe(dir).probe("migware0", new int[] {7000}, port -> 8080,
                new ReplicaAcceptQueue(tcp));

        assertEquals(List.of(new ReplicaReadiness.ReplicaPort(7000, 8080, true)), readiness.ports());
        assertTrue(!readiness.tunUp());
    }
}
