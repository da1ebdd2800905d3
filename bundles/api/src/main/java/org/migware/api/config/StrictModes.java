package org.migware.api.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What MigWare runs or loads must not be changeable by anyone but its owner, as sshd's
 * StrictModes demands of the files it trusts: a command named in etc/ (the fence, the notify
 * command, an exec monitor's probe) runs with MigWare's capabilities, and a jar in deploy/ runs
 * inside it. A file, or the folder it is in, that its group or every user can write (a folder with
 * the sticky bit excepted, as /tmp is) would let that user run anything as MigWare.
 *
 * <p>Only the permission bits are judged, not the owner: the package installs its files as root,
 * a tarball's belong to whoever unpacked them, and both are fine. Each problem is one sentence
 * that says what to do.
 */
public final class StrictModes {

    private static final String DEFAULT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
    /** A first word that is a file name, not shell syntax. */
    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./+-]+");

    private StrictModes() {
    }

    /**
     * @param command a shell command as MigWare runs it ({@code /bin/sh -c}): its first word names
     *        the program, a path or a name the shell finds on the PATH
     * @return why the command's program must not be run: missing, not executable, or writable
     *         (it or its folder) by others than its owner; empty when it may run. A first word that
     *         is shell syntax ({@code VAR=x}, {@code (}, quotes) or a name not on the PATH (a
     *         builtin such as {@code exec}, a keyword) names no file to judge: empty, and the shell
     *         says what it makes of it.
     */
    public static List<String> commandProblems(String command) {
        String trimmed = command == null ? "" : command.strip();
        if (trimmed.isEmpty()) {
            return List.of();
        }
        String program = trimmed.split("\\s+", 2)[0].replaceAll("[;&|]+$", "");
        if (!PLAIN_WORD.matcher(program).matches()) {
            return List.of();
        }
        if (!program.contains("/") && onPath(program) == null) {
            return List.of();
        }
        return programProblems(program);
    }

    /**
     * @param program a program's path, or a name looked up on the PATH
     * @return why it must not be run: missing, not executable, or writable (it or its folder) by
     *         others than its owner; empty when it may run
     */
    public static List<String> programProblems(String program) {
        Path path;
        if (program.contains("/")) {
            path = Path.of(program);
        } else {
            path = onPath(program);
            if (path == null) {
                return List.of("'" + program + "' is not found on the PATH (" + System.getenv().getOrDefault("PATH", DEFAULT_PATH) + ")");
            }
        }
        if (!Files.isRegularFile(path)) {
            return List.of(path + " does not exist");
        }
        if (!Files.isExecutable(path)) {
            return List.of(path + " is not executable (chmod +x)");
        }
        return fileProblems(path, "MigWare runs it");
    }

    /**
     * @param file a file MigWare trusts (a program, a jar)
     * @param why what MigWare does with it, for the message: "MigWare runs it", "MigWare loads it"
     * @return why it must not be trusted: it or its folder is writable by others than its owner
     *         (symbolic links resolved first); empty when it may be trusted
     */
    public static List<String> fileProblems(Path file, String why) {
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            return List.of("cannot resolve " + file + ": " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        writableByOthers(real, false, why, problems);
        if (real.getParent() != null) {
            writableByOthers(real.getParent(), true, why, problems);
        }
        return problems;
    }

    private static void writableByOthers(Path path, boolean folder, String why, List<String> problems) {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            problems.add("cannot read the permissions of " + path + ": " + e.getMessage());
            return;
        }
        boolean others = (mode & 0022) != 0;
        boolean sticky = (mode & 01000) != 0;
        if (others && !(folder && sticky)) {
            problems.add((folder ? "its folder " : "") + path + " is writable by " + ((mode & 0020) != 0 ? "its group" : "")
                    + ((mode & 0022) == 0022 ? " and " : "") + ((mode & 0002) != 0 ? "every user" : "")
                    + ", not only its owner: " + why + " (chmod go-w " + path + ")");
        }
    }

    private static Path onPath(String program) {
        for (String folder : System.getenv().getOrDefault("PATH", DEFAULT_PATH).split(":")) {
            if (folder.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(folder, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
