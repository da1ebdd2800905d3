package org.migware.api.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;


/**
 * A site's shared key (the state sync channel's), read from a file that only its owner may read,
 * as sshd demands of a private key: whoever holds the key can feed a backup's table, and read a
 * serving host's. Every host of a site has the same file, for example made with
 * {@code head -c 32 /dev/urandom > /etc/migware/sync.key; chmod 600 /etc/migware/sync.key}. The
 * bundle that uses the key and {@code bin/migware check} judge the file by the same rules.
 *
 * @since 1.4
 */
public final class SharedKeys {

    /** Below this, an HMAC-SHA256 key is guessable (RFC 2104 asks for at least the output length, 32). */
    public static final int MIN_LENGTH = 16;
    /** A key file is small; a bigger one is a wrong path, not a key. */
    public static final int MAX_LENGTH = 4096;

    private SharedKeys() {
    }

    /** The key's bytes, or why there are none. */
    public record Loaded(byte[] key, List<String> problems) {
    }

    /** @return the file's bytes as the key, or the problems, each a sentence that says what to do */
    public static Loaded load(String keyFile) {
        if (keyFile == null || keyFile.isBlank()) {
            return new Loaded(null, List.of("no keyFile is configured: the sync channel needs a shared key"
                    + " (head -c 32 /dev/urandom > FILE; chmod 600 FILE, the same file on every host)"));
        }
        Path path = Path.of(keyFile.strip());
        if (!Files.isRegularFile(path)) {
            return new Loaded(null, List.of("the sync key file " + path + " does not exist"));
        }
        List<String> problems = new ArrayList<>(readableByOthers(path));
        problems.addAll(StrictModes.fileProblems(path, "MigWare trusts it as the sync key"));
        if (!problems.isEmpty()) {
            return new Loaded(null, problems);
        }
        try {
            long size = Files.size(path);
            if (size > MAX_LENGTH) {
                return new Loaded(null, List.of("the sync key file " + path + " has " + size + " bytes, more than "
                        + MAX_LENGTH + ": is it the right file?"));
            }
            byte[] key = Files.readAllBytes(path);
            if (key.length < MIN_LENGTH) {
                return new Loaded(null, List.of("the sync key file " + path + " has " + key.length + " bytes, fewer than "
                        + MIN_LENGTH + " (head -c 32 /dev/urandom > " + path + ")"));
            }
            return new Loaded(key, List.of());
        } catch (IOException e) {
            return new Loaded(null, List.of("cannot read the sync key file " + path + ": " + e.getMessage()));
        }
    }

    private static List<String> readableByOthers(Path path) {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path.toRealPath(), "unix:mode");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return List.of("cannot read the permissions of " + path + ": " + e.getMessage());
        }
        if ((mode & 0077) != 0) {
            return List.of(String.format("the sync key file %s has mode %04o: its group or every user may use it, not only"
                    + " its owner; refused (chmod 600 %s)", path, mode & 07777, path));
        }
        return List.of();
    }
}
