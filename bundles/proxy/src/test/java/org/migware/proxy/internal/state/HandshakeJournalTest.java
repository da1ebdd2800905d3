package org.migware.proxy.internal.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal of the replica's SYN-ACKs: what a restarted process reads back, whatever the crash left. */
class HandshakeJournalTest {

    @TempDir
    Path folder;

    @Test
    void entriesComeBackInOrderAcrossGenerationsUntilRetired() throws IOException {
        HandshakeJournal journal = new HandshakeJournal(folder);
        journal.append(new byte[] {0, 1, 2, 3}, 1, 2);
        long covered = journal.rotate();
        journal.append(new byte[] {9, 9, 9}, 0, 3);
        assertEquals(List.of("1 2", "9 9 9"), replayed(new HandshakeJournal(folder)));
        Path file = HandshakeJournal.files(folder).get(0);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

        journal.retire(covered);
        assertEquals(List.of("9 9 9"), replayed(new HandshakeJournal(folder)));
        // A restarted process appends to a generation after every one it found.
        HandshakeJournal restarted = new HandshakeJournal(folder);
        restarted.append(new byte[] {7}, 0, 1);
        assertEquals(List.of("9 9 9", "7"), replayed(new HandshakeJournal(folder)));
        restarted.clear();
        assertTrue(HandshakeJournal.files(folder).isEmpty());
    }

    @Test
    void anEntryCutByTheCrashEndsItsFileQuietly() throws IOException {
        HandshakeJournal journal = new HandshakeJournal(folder);
        journal.append(new byte[] {5, 6}, 0, 2);
        journal.close();
        Path file = HandshakeJournal.files(folder).get(0);
        Files.write(file, new byte[] {0, 40, 1, 2, 3}, StandardOpenOption.APPEND); // says 40 bytes, holds 3
        assertEquals(List.of("5 6"), replayed(new HandshakeJournal(folder)));
    }

    @Test
    void aZeroLengthIsCorruptionNotAnEntry() throws IOException {
        Files.write(folder.resolve("handshakes.1.journal"), new byte[] {0, 0, 0, 0});
        assertThrows(IOException.class, () -> replayed(new HandshakeJournal(folder)));
    }

    @Test
    void aPacketItCannotHoldIsCountedNotWritten() {
        HandshakeJournal journal = new HandshakeJournal(folder);
        assertEquals(false, journal.append(new byte[70_000], 0, 70_000));
        assertEquals(1, journal.failures());
    }

    private static List<String> replayed(HandshakeJournal journal) throws IOException {
        List<String> entries = new ArrayList<>();
        journal.replay((packet, length) -> {
            byte[] copy = Arrays.copyOf(packet, length);
            StringBuilder text = new StringBuilder();
            for (byte b : copy) {
                text.append(text.length() == 0 ? "" : " ").append(b);
            }
            entries.add(text.toString());
        });
        return entries;
    }
}
