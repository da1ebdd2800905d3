package org.migware.lab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lab instance's home is a copy of the distribution. {@code bin/migware lab} run from the
 * distribution's own folder puts its results, and so the copy, inside what is copied: the copy
 * must neither walk into itself nor carry old results or a run's leftovers along.
 */
class MigwareInstanceCopyTest {

    @TempDir
    Path folder;

    @Test
    void theCopyLeavesOutItselfTheLabsResultsAndWhatARunLeft() throws Exception {
        Path distribution = Files.createDirectories(folder.resolve("migware"));
        Files.createDirectories(distribution.resolve("bin"));
        Files.writeString(distribution.resolve("bin/migware"), "#!/bin/sh\n");
        Files.createDirectories(distribution.resolve("var/log"));
        Files.writeString(distribution.resolve("var/log/migware.log"), "an old run");
        Path results = Files.createDirectories(distribution.resolve("lab-results/2026-12-07T17-00-00Z/raw/roles"));
        Files.writeString(results.resolve("client.pcap"), "old");
        // relative to the working folder, as the main job names it
        Path home = Path.of("").toAbsolutePath().relativize(results.resolve("migware-backup"));

        MigwareInstance.copyTree(distribution, home);

        Path copy = results.resolve("migware-backup");
        assertEquals("#!/bin/sh\n", Files.readString(copy.resolve("bin/migware")));
        assertFalse(Files.exists(copy.resolve("var")), "a run's leftovers are not copied");
        assertFalse(Files.exists(copy.resolve("lab-results")), "the lab's results are not copied, nor the copy into itself");
        assertTrue(Files.isDirectory(copy.resolve("bin")));
    }
}
