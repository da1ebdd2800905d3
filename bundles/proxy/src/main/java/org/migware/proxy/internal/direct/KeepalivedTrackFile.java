package org.migware.proxy.internal.direct;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The join between MigWare's decision and keepalived: a keepalived {@code track_file} (weight 0)
 * that MigWare writes. {@code 1} holds this host's VRRP instance in FAULT, so keepalived never
 * takes the service address on its own; {@code 0}, written once MigWare has decided the failover
 * and the carried tuples are in the nftables set, lets it go BACKUP and, with no advert from a
 * master, MASTER after its down timer (3 adverts and the skew).
 *
 * <p>Written to a temporary file and renamed: keepalived reads the file on every close-after-write
 * and rename (inotify), and a half-written (empty) file would read as 0. A deleted file also reads
 * as 0 to keepalived, so keepalived's {@code init_file 1} recreates it held.
 */
public final class KeepalivedTrackFile {

    /** What the file says. */
    public enum HandOff {
        HELD, RELEASED
    }

    private final Path file;
    private HandOff written;

    /** @param file the track file, as keepalived's {@code vrrp_track_file} names it */
    public KeepalivedTrackFile(Path file) {
        this.file = file;
    }

    /** @return the file */
    public Path file() {
        return file;
    }

    /** @return what MigWare last wrote, {@code null} before the first write */
    public synchronized HandOff written() {
        return written;
    }

    /** Writes {@code handOff} unless it is already what the file says. */
    public synchronized void write(HandOff handOff) throws IOException {
        if (handOff == written) {
            return;
        }
        Path directory = file.toAbsolutePath().getParent();
        if (directory == null || !Files.isDirectory(directory)) {
            throw new IOException("keepalived track file " + file + ": its folder does not exist");
        }
        Path temporary = directory.resolve("." + file.getFileName() + ".migware-tmp");
        Files.writeString(temporary, handOff == HandOff.HELD ? "1\n" : "0\n", StandardCharsets.US_ASCII);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        written = handOff;
    }
}
