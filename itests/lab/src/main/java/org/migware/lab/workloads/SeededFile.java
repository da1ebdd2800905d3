package org.migware.lab.workloads;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * A file of pseudo-random bytes from a seed: the same seed and size give the same bytes on every
 * host, so a web server's content and a download's expected SHA-256 need no copy to compare with.
 */
public final class SeededFile {

    private static final int BLOCK = 1 << 20;

    private SeededFile() {
    }

    /** Writes {@code size} bytes of the seed's stream to {@code file} (replacing it). */
    public static Path write(Path file, long size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer block = ByteBuffer.allocate(BLOCK);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                for (long written = 0; written < size; ) {
                    block.clear();
                    while (block.remaining() >= Long.BYTES) {
                        block.putLong(random.nextLong());
                    }
                    block.flip();
                    block.limit((int) Math.min(BLOCK, size - written));
                    written += block.remaining();
                    while (block.hasRemaining()) {
                        out.write(block);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    /** @return the file's SHA-256, in lower-case hex */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[BLOCK];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JDK", e);
        }
    }

    /**
     * @return the length of the longest common prefix of the two files: equal to {@code received}'s
     *     size when it is a prefix of {@code original}
     */
    public static long commonPrefix(Path received, Path original) {
        try (InputStream a = Files.newInputStream(received); InputStream b = Files.newInputStream(original)) {
            byte[] x = new byte[BLOCK];
            byte[] y = new byte[BLOCK];
            long same = 0;
            while (true) {
                int n = a.readNBytes(x, 0, BLOCK);
                int m = b.readNBytes(y, 0, n);
                int mismatch = java.util.Arrays.mismatch(x, 0, n, y, 0, m);
                if (mismatch >= 0) {
                    return same + Math.min(mismatch, Math.min(n, m));
                }
                same += n;
                if (n < BLOCK) {
                    return same;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot compare " + received + " with " + original, e);
        }
    }
}
