package org.migware.proxy.internal.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeepalivedTrackFileTest {

    @Test
    void heldIsOneReleasedIsZeroAndNoTemporaryFileStays(@TempDir Path folder) throws IOException {
        KeepalivedTrackFile file = new KeepalivedTrackFile(folder.resolve("migware.track"));
        file.write(KeepalivedTrackFile.HandOff.HELD);
        assertEquals("1\n", Files.readString(folder.resolve("migware.track")));
        file.write(KeepalivedTrackFile.HandOff.RELEASED);
        assertEquals("0\n", Files.readString(folder.resolve("migware.track")));
        assertEquals(KeepalivedTrackFile.HandOff.RELEASED, file.written());
        try (var listing = Files.list(folder)) {
            assertEquals(1, listing.count(), "only the track file");
        }
    }

    @Test
    void aMissingFolderIsSaid(@TempDir Path folder) {
        KeepalivedTrackFile file = new KeepalivedTrackFile(folder.resolve("absent/migware.track"));
        IOException e = assertThrows(IOException.class, () -> file.write(KeepalivedTrackFile.HandOff.HELD));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
