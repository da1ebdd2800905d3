package org.migware.proxy.internal.direct;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.migware.api.config.StrictModes;

/**
 * The {@code nft} binary, fed a script on standard input ({@code nft -f -}): nft applies a whole
 * script as one transaction, so a set is never seen half rewritten. Needs CAP_NET_ADMIN, which the
 * service's unit grants.
 */
public final class NftCommand implements NftRunner {

    private static final long TIMEOUT_SECONDS = 10;
    private final String binary;

    /** @param binary the nft binary: a path, or a name looked up on PATH (usually {@code nft}) */
    public NftCommand(String binary) {
        this.binary = binary;
    }

    @Override
    public void run(String script) throws NftException {
        // a program others than its owner can change would run with CAP_NET_ADMIN (sshd's StrictModes)
        List<String> refused = StrictModes.programProblems(binary);
        if (!refused.isEmpty() && refused.stream().anyMatch(problem -> problem.contains("writable"))) {
            throw new NftException("refusing to run '" + binary + "': " + String.join("; ", refused));
        }
        Path stderr = null;
        try {
            stderr = Files.createTempFile("migware-nft", ".err");
            Process process = new ProcessBuilder(List.of(binary, "-f", "-"))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(stderr.toFile()).start();
            try (OutputStream in = process.getOutputStream()) {
                in.write(script.getBytes(StandardCharsets.UTF_8));
            }
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new NftException(binary + " did not finish within " + TIMEOUT_SECONDS + " s; killed. Script begins: " + firstLine(script));
            }
            if (process.exitValue() != 0) {
                String error = Files.readString(stderr, StandardCharsets.UTF_8).strip();
                throw new NftException(binary + " -f - failed (exit " + process.exitValue() + "): "
                        + (error.isEmpty() ? "no message" : error.lines().limit(6).reduce((a, b) -> a + " | " + b).orElse(error))
                        + (process.exitValue() == 1 && error.contains("Operation not permitted")
                                ? " (MigWare needs CAP_NET_ADMIN for the direct path)" : ""));
            }
        } catch (IOException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            if (message.contains("error=2")) {
                throw new NftException("cannot run '" + binary + "': not found. The direct path needs nftables (Debian: apt-get install"
                        + " nftables), or set 'nftBinary' in etc/org.migware.proxy.cfg", e);
            }
            throw new NftException("cannot run '" + binary + "': " + message, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NftException(binary + " interrupted", e);
        } finally {
            if (stderr != null) {
                try {
                    Files.deleteIfExists(stderr);
                } catch (IOException ignored) {
                    // a temporary file left behind: harmless
                }
            }
        }
    }

    private static String firstLine(String script) {
        int end = script.indexOf('\n');
        return end < 0 ? script : script.substring(0, end);
    }

    @Override
    public String toString() {
        return binary;
    }
}
