package org.migware.proxy.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy's state files hold the clients' bytes: their owner's only, whatever the umask, and whole or absent. */
class StateFilesTest {

    @TempDir
    Path folder;

    @Test
    void aStateFileIsWrittenOwnerOnlyAndWhole() throws Exception {
        Path file = folder.resolve("proxy.state");
        // a leftover temporary file of a crash, world-readable: it must not lend its mode
        Path leftover = folder.resolve("proxy.state.tmp");
        Files.write(leftover, new byte[] {9});
        Files.setPosixFilePermissions(leftover, PosixFilePermissions.fromString("rw-r--r--"));

        ProxyComponent.writeAtomically(file, out -> out.write(new byte[] {1, 2, 3}));

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));
        assertFalse(Files.exists(leftover));
    }
}
