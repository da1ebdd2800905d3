package org.migware.lab.workloads;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.OneCpu;
import org.migware.lab.network.Role;

/**
 * One real curl in the client's namespace fetching one or more URLs over one keep-alive
 * connection (curl reuses it for the next URL of the same host) at a limited rate. A shell around
 * it writes curl's exit code and the instant it exited (nanoseconds of the machine's clock, the
 * clock MigWare's status uses) to a file, so the oracle is curl's own verdict and its time.
 */
public final class CurlDownload {

    private final LabProcess process;
    private final List<Path> outputs;
    private final Path exitFile;

    private CurlDownload(LabProcess process, List<Path> outputs, Path exitFile) {
        this.process = process;
        this.outputs = outputs;
        this.exitFile = exitFile;
    }

    /**
     * What curl did: its exit code (0, or e.g. 56 "failure receiving network data", 18 "partial
     * file"), when it exited, and per URL what {@code -w} said.
     *
     * @param exitCode curl's exit code
     * @param exited when it exited
     * @param transfers per URL {@code <num_connects> <http_code> <size_download>}, in order
     * @param stderr curl's error text
     */
    public record Outcome(int exitCode, Instant exited, List<String> transfers, String stderr) {
    }

    /**
     * Starts curl.
     *
     * @param dir where the downloaded bodies go ({@code <name>-<i>.body})
     * @param bytesPerSecond curl's {@code --limit-rate}
     * @param urls fetched in order on one connection
     */
    public static CurlDownload start(LabNetwork lab, Role role, String name, Path dir, long bytesPerSecond, String... urls) {
        List<Path> outputs = new ArrayList<>();
        List<String> curl = new ArrayList<>(List.of("curl", "-sS", "--limit-rate", Long.toString(bytesPerSecond),
                "-w", "'%{num_connects} %{http_code} %{size_download}\\n'"));
        for (int i = 0; i < urls.length; i++) {
            Path body = dir.resolve(name + "-" + i + ".body");
            outputs.add(body);
            curl.add("-o");
            curl.add(body.toString());
            curl.add(urls[i]);
        }
        Path exitFile = dir.resolve(name + ".exit");
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(exitFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir, e);
        }
        // date +%s%N right after curl returns: the exit's instant on the machine's clock.
        String script = String.join(" ", curl) + "; echo \"$? $(date +%s%N)\" > " + exitFile;
        LabProcess process = lab.start(role, name, OneCpu.command("sh", "-c", script));
        return new CurlDownload(process, List.copyOf(outputs), exitFile);
    }

    /** @return the body files, one per URL */
    public List<Path> outputs() {
        return outputs;
    }

    /** @return the outcome once curl has exited, or empty while it runs */
    public Optional<Outcome> outcome() {
        if (process.isAlive() || !Files.exists(exitFile)) {
            return Optional.empty();
        }
        try {
            String[] fields = Files.readString(exitFile).trim().split(" ");
            if (fields.length < 2) {
                return Optional.empty();
            }
            long nanos = Long.parseLong(fields[1]);
            Instant exited = Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L);
            List<String> transfers = process.stdout().lines().filter(l -> !l.isBlank()).toList();
            return Optional.of(new Outcome(Integer.parseInt(fields[0]), exited, transfers, process.stderr().trim()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + exitFile, e);
        }
    }

    /** @return the outcome, waiting up to {@code timeout}; empty if curl still runs then (it is then ended) */
    public Optional<Outcome> await(Duration timeout) {
        process.waitFor(timeout);
        Optional<Outcome> outcome = outcome();
        if (outcome.isEmpty()) {
            process.destroy(Duration.ZERO);
        }
        return outcome;
    }
}
