package org.migware.lab.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.migware.lab.JavaCommand;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;

/** What the wire-impairment box needs, said before it is started (no root needed). */
class ImpairedLinkTest {

    @Test
    void theBoxNeedsPacketSocketsAndJna(@TempDir Path dir) throws IOException {
        Path table = Files.createFile(dir.resolve("packet"));
        assertEquals(List.of(), ImpairedLink.prerequisitesMissing(table), "JNA is on the test classpath, as in lib/");
        List<String> missing = ImpairedLink.prerequisitesMissing(dir.resolve("no-packet"));
        assertEquals(1, missing.size(), missing.toString());
        assertTrue(missing.get(0).contains("AF_PACKET") && missing.get(0).contains("modprobe af_packet"), missing.get(0));
        assertTrue(ImpairedLink.jnaClasspath().endsWith(".jar"), ImpairedLink.jnaClasspath());
    }

    @Test
    void theNewEndsAreNamedAfterTheRoleWithinLinuxsFifteenCharacters() {
        for (Role role : Role.values()) {
            assertTrue(ImpairedLink.portName(role).length() <= 15 && ImpairedLink.boxName(role).length() <= 15);
        }
        assertEquals("backup-port", ImpairedLink.portName(Role.BACKUP));
        assertEquals("client-box", ImpairedLink.boxName(Role.CLIENT));
    }

    @Test
    void aBoxThatCannotOpenItsSocketsSaysWhyAndExits3() {
        List<String> cmd = JavaCommand.of(WireBox.class, ImpairedLink.JVM_OPTIONS, List.of(ImpairedLink.jnaClasspath()),
                List.of("--role-side", "mwnosuch0", "--hub-side", "mwnosuch1"));
        ExecResult result = Commands.run(Duration.ofSeconds(30), cmd);
        assertEquals(3, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("cannot open the packet sockets: no interface 'mwnosuch0'"), result.stderr());
        assertFalse(result.stdout().contains(WireBox.READY), result.stdout());

        ExecResult usage = Commands.run(Duration.ofSeconds(30), JavaCommand.of(WireBox.class, ImpairedLink.JVM_OPTIONS,
                List.of(ImpairedLink.jnaClasspath()), List.of("--role-side", "a", "--hub-side", "b", "--from-role-reorder", "5")));
        assertEquals(2, usage.exitCode(), usage.toString());
        assertTrue(usage.stderr().contains("reordering needs a delay"), usage.stderr());
    }

    @Test
    void theBoxTakesEachDirectionsDuplicationFromItsCommandLine() {
        WireBox.Options o = WireBox.Options.parse("--role-side", "a", "--hub-side", "b", "--towards-role-duplicate", "5",
                "--from-role-delay-us", "2000", "--from-role-reorder", "25", "--from-role-duplicate", "1.5");
        assertEquals(Impairment.duplicate(5), o.towardsRole);
        assertEquals(Impairment.delay(Duration.ofMillis(2)).withReorder(25).withDuplicate(1.5), o.fromRole);
    }
}
