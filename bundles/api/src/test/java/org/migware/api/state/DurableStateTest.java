package org.migware.api.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** State files hold the clients' bytes: their owner's only, whatever the umask, and whole or absent. */
class DurableStateTest {

    @TempDir
    Path folder;

    @ParameterizedTest
    @EnumSource(DurableState.Survives.class)
    void aStateFileIsWrittenOwnerOnlyAndWhole(DurableState.Survives survives) throws Exception {
        DurableState state = DurableState.in(null, folder);
        // a leftover temporary file of a crash, world-readable: it must not lend its mode
        Path leftover = folder.resolve("proxy.state.tmp");
        Files.write(leftover, new byte[] {9});
        Files.setPosixFilePermissions(leftover, PosixFilePermissions.fromString("rw-r--r--"));

        state.write("proxy.state", out -> out.write(new byte[] {1, 2, 3}), survives);

        Path file = folder.resolve("proxy.state");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));
        assertFalse(Files.exists(leftover));
        assertArrayEquals(new byte[] {1, 2, 3}, state.read("proxy.state", in -> in.readAllBytes()));
    }

    @ParameterizedTest
    @EnumSource(DurableState.Survives.class)
    void aWriterThatFailsLeavesThePreviousVersion(DurableState.Survives survives) throws Exception {
        DurableState state = DurableState.in(null, folder);
        state.write("table.state", out -> out.writeInt(42), survives);
        assertThrows(IOException.class, () -> state.write("table.state", out -> {
            out.writeInt(7);
            throw new IOException("disk full");
        }, survives));
        assertEquals(Integer.valueOf(42), state.<Integer>read("table.state", in -> in.readInt()));
        state.write("table.state", out -> out.writeInt(43), survives);
        assertEquals(Integer.valueOf(43), state.<Integer>read("table.state", in -> in.readInt()), "a later version replaces it whole");
        assertFalse(Files.exists(folder.resolve("table.state.tmp")), "no temporary file is left");
    }

    @Test
    void theConfiguredFolderIsCreatedForItsOwnerOnlyAndWins() throws Exception {
        Path configured = folder.resolve("var/state");
        DurableState state = DurableState.in(configured.toString(), folder.resolve("fallback"));
        assertEquals(configured, state.directory());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(configured)));
        assertNull(state.read("absent.state", in -> in.readInt()));
        assertEquals(-1, state.size("absent.state"));
        state.write("x.state", out -> out.writeByte(1));
        state.delete("x.state");
        assertFalse(Files.exists(configured.resolve("x.state")));
    }
}
