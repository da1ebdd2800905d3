package org.migware.proxy.internal.state;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The replica's SYN-ACKs to forged handshakes, written before the ACK that completes each
 * handshake leaves: once the replica has that ACK, its application may accept the connection and
 * read the client's bytes, and a MigWare that crashes then must come back knowing that connection,
 * or it would forge it a second time (a second connection, the client's bytes handed over twice).
 * The snapshot of the mappings is written every second at best; this journal covers the time since.
 *
 * <p>Each entry is the packet as the TUN gave it (two bytes of length, then the bytes). It is
 * written with {@code write(2)} and not synced: it must survive the process (a {@code kill -9},
 * the OOM killer), and the kernel's page cache does; a crash of the host ends the failover anyway.
 * Replaying an entry is feeding the packet to the engine again, which is idempotent: a mapping
 * already established ignores it.
 *
 * <p>Generations: each snapshot of the mappings starts a new journal file under the engine's lock,
 * and once the snapshot is durable the older files are removed. A restart replays every file left,
 * oldest first.
 */
public final class HandshakeJournal implements AutoCloseable {

    /** A TUN packet is at most an MTU; anything longer in a file is corruption. */
    static final int MAX_ENTRY = 65_535;
    private static final String PREFIX = "handshakes.";
    private static final String SUFFIX = ".journal";

    private final Path directory;
    private FileChannel current;
    private long generation;
    private final ByteBuffer header = ByteBuffer.allocate(2);
    private final ByteBuffer[] entry = new ByteBuffer[2];
    private long failures;

    /** Reads one entry of a journal. */
    @FunctionalInterface
    public interface Replay {
        void packet(byte[] packet, int length);
    }

    public HandshakeJournal(Path directory) {
        this.directory = directory;
        this.generation = latestGeneration(directory) + 1;
    }

    /**
     * Feeds every entry of every journal file left in the folder to {@code replay}, oldest first.
     * A truncated last entry (the process died within the write) ends its file quietly.
     *
     * @return the number of entries replayed
     * @throws IOException when a file cannot be read or holds an impossible length
     */
    public int replay(Replay replay) throws IOException {
        int entries = 0;
        byte[] packet = new byte[MAX_ENTRY];
        for (Path file : files(directory)) {
            try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
                while (true) {
                    int length;
                    try {
                        length = in.readUnsignedShort();
                        in.readFully(packet, 0, length);
                    } catch (EOFException truncated) {
                        break;
                    }
                    if (length == 0) {
                        throw new IOException(file + ": an entry of length 0");
                    }
                    replay.packet(packet, length);
                    entries++;
                }
            }
        }
        return entries;
    }

    /**
     * Appends one packet; called under the engine's lock, before the answer to it is sent.
     *
     * @return false when it could not be written (counted; the caller goes on: a full disk must not stop recovery)
     */
    public boolean append(byte[] packet, int offset, int length) {
        if (length <= 0 || length > MAX_ENTRY) {
            failures++;
            return false;
        }
        try {
            FileChannel channel = channel();
            header.clear();
            header.putShort((short) length).flip();
            ByteBuffer body = ByteBuffer.wrap(packet, offset, length);
            entry[0] = header;
            entry[1] = body;
            while (body.hasRemaining()) {
                channel.write(entry);
            }
            return true;
        } catch (IOException e) {
            failures++;
            return false;
        }
    }

    /**
     * Starts a new file: entries from now on belong to the next snapshot. Called under the engine's
     * lock, with the snapshot's serialisation.
     *
     * @return the generation the snapshot being taken covers: pass it to {@link #retire} once that snapshot is durable
     */
    public long rotate() {
        long covered = generation;
        closeCurrent();
        generation++;
        return covered;
    }

    /** Removes the files up to and including {@code generation}: a durable snapshot holds what they said. */
    public void retire(long upTo) throws IOException {
        for (Path file : files(directory)) {
            if (generationOf(file) <= upTo) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** Removes every journal file: there is no migration to carry on. */
    public void clear() throws IOException {
        closeCurrent();
        for (Path file : files(directory)) {
            Files.deleteIfExists(file);
        }
    }

    /** @return entries that could not be written */
    public long failures() {
        return failures;
    }

    @Override
    public void close() {
        closeCurrent();
    }

    private FileChannel channel() throws IOException {
        if (current == null) {
            Path file = directory.resolve(PREFIX + generation + SUFFIX);
            current = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        return current;
    }

    private void closeCurrent() {
        if (current != null) {
            try {
                current.close();
            } catch (IOException ignored) {
                // nothing was buffered: every append went to the kernel already
            }
            current = null;
        }
    }

    private static long latestGeneration(Path directory) {
        try {
            List<Path> files = files(directory);
            return files.isEmpty() ? 0 : generationOf(files.get(files.size() - 1));
        } catch (IOException e) {
            return 0;
        }
    }

    /** @return the journal files, oldest generation first */
    static List<Path> files(Path directory) throws IOException {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return files;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, PREFIX + "*" + SUFFIX)) {
            for (Path file : stream) {
                if (generationOf(file) >= 0) {
                    files.add(file);
                }
            }
        }
        files.sort((a, b) -> Long.compare(generationOf(a), generationOf(b)));
        return files;
    }

    private static long generationOf(Path file) {
        String name = file.getFileName().toString();
        try {
            return Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            return -1;
        }
    }
}
