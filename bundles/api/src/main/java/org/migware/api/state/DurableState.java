package org.migware.api.state;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * One folder of state files that outlive the process: each file is written whole or not at all
 * (a temporary file, fsync, rename, fsync of the folder; without the fsyncs for a file that need
 * only survive the process, see {@link Survives}), is its owner's only (mode 0600, whatever
 * the umask: the files hold the clients' bytes), and is read back by the next start of the
 * container, also after a {@code kill -9}.
 *
 * <p>The folder is the framework property {@value #DIRECTORY_PROPERTY} ({@code var/state} of the
 * unpacked home, {@code /var/lib/migware/state} in the package). Without it (a test container)
 * the caller's own folder is used, usually its bundle's data area, which lasts only as long as
 * the framework cache.
 *
 * <p>Readers must treat a file as untrusted: a truncated or corrupt file is reported and
 * ignored, and no length read from it may cause an allocation beyond what the file holds.
 */
public final class DurableState {

    /** The framework (or system) property naming the folder. */
    public static final String DIRECTORY_PROPERTY = "migware.state.dir";

    private final Path directory;

    /**
     * What a written file must survive. A state that matters only while the replica's connections
     * live (the replica runs on this host) need not wait for the disk: a crash of the host ends
     * those connections with it, and its fsyncs (5-80 ms on a busy machine, measured on the lab)
     * would otherwise sit between the failover's decision and its first forged SYN.
     */
    public enum Survives {
        /** A crash of the process ({@code kill -9}, the OOM killer): the kernel's page cache keeps the file. Not synced. */
        PROCESS_CRASH,
        /** Also a crash of the host or a power cut: the file and the folder's entry are synced. */
        HOST_CRASH
    }

    /** Writes the content of one state file. */
    @FunctionalInterface
    public interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    /** Reads the content of one state file. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    /**
     * @param configured the value of {@value #DIRECTORY_PROPERTY}, or {@code null}/blank for none
     * @param fallback the folder to use without one
     * @throws IOException when the folder cannot be created
     */
    public static DurableState in(String configured, Path fallback) throws IOException {
        Path directory = configured == null || configured.isBlank() ? fallback : Path.of(configured.trim());
        Files.createDirectories(directory,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return new DurableState(directory);
    }

    private DurableState(Path directory) {
        this.directory = directory;
    }

    /** @return the folder the files live in */
    public Path directory() {
        return directory;
    }

    /** @return the path of the file called {@code name} in this folder */
    public Path file(String name) {
        return directory.resolve(name);
    }

    /**
     * Writes {@code name} whole, or leaves the previous version in place.
     *
     * @return the number of bytes written
     */
    public long write(String name, Writer writer) throws IOException {
        return write(name, writer, Survives.HOST_CRASH);
    }

    /**
     * Writes {@code name} whole, or leaves the previous version in place, as durably as asked.
     *
     * @return the number of bytes written
     */
    public long write(String name, Writer writer, Survives survives) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(64 * 1024);
        try (DataOutputStream out = new DataOutputStream(buffer)) {
            writer.write(out);
        }
        return writeBytes(name, buffer, survives);
    }

    /**
     * Writes bytes already serialised (for example under a lock that must not wait for the
     * disk), whole, or leaves the previous version in place.
     *
     * @return the number of bytes written
     */
    public long writeBytes(String name, ByteArrayOutputStream content) throws IOException {
        return writeBytes(name, content, Survives.HOST_CRASH);
    }

    /**
     * Writes bytes already serialised, whole, or leaves the previous version in place, as durably
     * as asked: whole in both cases (a temporary file renamed over the old one), synced only for
     * {@link Survives#HOST_CRASH}.
     *
     * @return the number of bytes written
     */
    public long writeBytes(String name, ByteArrayOutputStream content, Survives survives) throws IOException {
        boolean sync = survives == Survives.HOST_CRASH;
        Path file = file(name);
        Path temporary = file.resolveSibling(name + ".tmp");
        Files.deleteIfExists(temporary);
        try (FileChannel channel = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                OutputStream out = new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel), 64 * 1024)) {
            content.writeTo(out);
            out.flush();
            if (sync) {
                channel.force(true);
            }
        }
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (sync) {
            syncDirectory();
        }
        return content.size();
    }

    /**
     * Reads {@code name} if it exists.
     *
     * @return what the reader made of it, or {@code null} when there is no such file
     * @throws IOException when the file is unreadable, truncated or corrupt (the reader's verdict)
     */
    public <T> T read(String name, Reader<T> reader) throws IOException {
        Path file = file(name);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 64 * 1024))) {
            return reader.read(in);
        }
    }

    /** Removes {@code name}, if it exists, durably. */
    public void delete(String name) throws IOException {
        if (Files.deleteIfExists(file(name))) {
            syncDirectory();
        }
    }

    /** @return the size of {@code name} in bytes, or -1 when it does not exist */
    public long size(String name) {
        try {
            return Files.size(file(name));
        } catch (IOException e) {
            return -1;
        }
    }

    /** A rename is durable only once the folder's own entry is on disk. */
    private void syncDirectory() throws IOException {
        try (FileChannel folder = FileChannel.open(directory, StandardOpenOption.READ)) {
            folder.force(true);
        }
    }

    @Override
    public String toString() {
        return directory.toString();
    }
}
