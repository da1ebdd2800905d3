package org.migware.lab.chromium;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;

/**
 * Headless Chromium ({@code /usr/bin/chromium}, installed by {@code .ci/setup-machine}) for the
 * tests that open a page MigWare writes or serves: a fresh profile per run and nothing that
 * reaches out to the network on its own.
 *
 * <p>Only JDK types in and out: the container tests load this class through the framework's boot
 * delegation (package {@value #PACKAGE}), from outside the OSGi framework.
 */
public final class HeadlessChromium {

    /** This class's package, for a framework's boot delegation. */
    public static final String PACKAGE = "org.migware.lab.chromium";
    private static final long TIMEOUT_SECONDS = 90;
    private static final int TAIL = 4000;

    private HeadlessChromium() {
    }

    /**
     * What one run printed.
     *
     * @param exit its exit status
     * @param stdout its standard output (the DOM with {@code --dump-dom})
     * @param stderr its standard error (the console with {@code --enable-logging=stderr})
     */
    public record Run(int exit, String stdout, String stderr) {

        /** @return the page's console messages, errors included, from {@code --enable-logging=stderr --v=0} */
        public List<String> console() {
            return stderr.lines().filter(line -> line.contains(":CONSOLE")).toList();
        }

        /** @return the end of standard error, for a failure message */
        public String stderrTail() {
            return tail(stderr);
        }
    }

    /**
     * Runs Chromium once and waits for it, at most 90 s.
     *
     * @param args what to do, e.g. {@code --dump-dom URL} or {@code --screenshot=FILE URL}
     * @param dir a folder for its profile and output (created)
     * @return what it printed
     * @throws IOException if it cannot be started
     * @throws InterruptedException if interrupted while waiting
     */
    public static Run run(List<String> args, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        List<String> cmd = command(args, dir);
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("chromium did not finish within " + TIMEOUT_SECONDS + " s: " + tail(read(err)));
        }
        return new Run(p.exitValue(), read(out), read(err));
    }

    /**
     * @param args what to do
     * @param dir the folder of its profile
     * @return the command line that runs Chromium headless with a fresh profile in {@code dir}, nothing
     *     reaching out on its own, and {@code args}
     */
    public static List<String> command(List<String> args, Path dir) {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + dir.resolve("profile")));
        cmd.addAll(args);
        return cmd;
    }

    /**
     * What a screenshot holds, sampled every second pixel each way.
     *
     * @param width its width
     * @param height its height
     * @param colours how many distinct colours
     * @param inked how many sampled pixels are not white
     * @param sampled how many pixels were sampled
     */
    public record Picture(int width, int height, int colours, long inked, long sampled) {
    }

    /**
     * @param png a screenshot
     * @return what it holds
     * @throws IOException if it cannot be read as an image
     */
    public static Picture picture(Path png) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        if (image == null) {
            throw new IOException("not an image: " + png);
        }
        Set<Integer> colours = new HashSet<>();
        long inked = 0;
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                if (rgb != 0xffffff) {
                    inked++;
                }
            }
        }
        long sampled = (long) (image.getHeight() / 2) * (image.getWidth() / 2);
        return new Picture(image.getWidth(), image.getHeight(), colours.size(), inked, sampled);
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String tail(String text) {
        return text.length() <= TAIL ? text : "..." + text.substring(text.length() - TAIL);
    }
}
