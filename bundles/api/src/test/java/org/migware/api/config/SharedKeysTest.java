package org.migware.api.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedKeysTest {

    @TempDir
    Path folder;

    private Path key(String permissions, int length) throws Exception {
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
        Path file = folder.resolve("sync.key");
        Files.write(file, new byte[length]);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }

    @Test
    void anOwnersOnlyKeyIsRead() throws Exception {
        SharedKeys.Loaded loaded = SharedKeys.load(key("rw-------", 32).toString());
        assertArrayEquals(new byte[32], loaded.key());
        assertTrue(loaded.problems().isEmpty());
    }

    @Test
    void aKeyItsGroupOrEveryUserMayReadIsRefused() throws Exception {
        for (String permissions : new String[] {"rw-r-----", "rw----r--", "rw-r--r--", "r-----r--"}) {
            SharedKeys.Loaded loaded = SharedKeys.load(key(permissions, 32).toString());
            assertNull(loaded.key(), permissions);
            assertTrue(loaded.problems().get(0).contains("chmod 600"), loaded.problems().toString());
        }
    }

    @Test
    void aShortMissingOrUnconfiguredKeyIsRefused() throws Exception {
        assertTrue(SharedKeys.load(key("rw-------", 8).toString()).problems().get(0).contains("fewer than 16"));
        assertTrue(SharedKeys.load(folder.resolve("absent").toString()).problems().get(0).contains("does not exist"));
        assertTrue(SharedKeys.load("").problems().get(0).contains("no keyFile"));
    }
}
