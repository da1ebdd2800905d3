package org.migware.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Running external tools: lookup, privilege check, run-and-capture, process-tree termination. */
public final class Commands {

    private static final System.Logger LOG = System.getLogger("org.migware.lab");

    /** Tools such as ip and tc live in sbin, which is not on every root PATH (e.g. under sudo or in CI images). */
    private static final List<String> EXTRA_DIRS = List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

    private Commands() {
    }

    public static Optional<Path> findTool(String name) {
        Set<String> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isEmpty()) {
                    dirs.add(dir);
                }
            }
        }
        dirs.addAll(EXTRA_DIRS);
        for (String dir : dirs) {
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Makes sure the sbin directories are on the PATH of a command we start, so that commands run
     * inside a namespace ({@code ip netns exec ns tc ...}) find the same tools we do.
     */
    public static ProcessBuilder withToolPath(ProcessBuilder builder) {
        Map<String, String> env = builder.environment();
        Set<String> dirs = new LinkedHashSet<>();
        String path = env.get("PATH");
        if (path != null && !path.isEmpty()) {
            dirs.addAll(List.of(path.split(":")));
        }
        dirs.addAll(EXTRA_DIRS);
        env.put("PATH", String.join(":", dirs));
        return builder;
    }

    public static String tool(String name, String packageHint) {
        return findTool(name)
                .orElseThrow(() -> new LabException("required tool '" + name + "' not found on PATH or in sbin"
                        + " (install " + packageHint + ")"))
                .toString();
    }

    /** Effective uid from /proc, because the JDK has no portable call for it and we want no extra module. */
    public static int effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot read /proc/self/status", e);
        }
        return -1;
    }

    public static ExecResult run(Duration timeout, List<String> command) {
        LOG.log(System.Logger.Level.DEBUG, "exec {0}", String.join(" ", command));
        long start = System.nanoTime();
        Process process;
        try {
            process = withToolPath(new ProcessBuilder(command)).start();
        } catch (IOException e) {
            throw new LabException("cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        closeQuietly(process.getOutputStream());
        Drain out = Drain.start(process.getInputStream(), "lab-exec-stdout");
        Drain err = Drain.start(process.getErrorStream(), "lab-exec-stderr");
        boolean exited;
        try {
            exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            destroyTree(process.toHandle(), Duration.ZERO);
            throw new LabException("interrupted while running " + String.join(" ", command), e);
        }
        if (!exited) {
            destroyTree(process.toHandle(), Duration.ZERO);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        // A background grandchild may hold the pipes open; do not wait for it forever.
        String stdout = out.text(Duration.ofSeconds(1));
        String stderr = err.text(Duration.ofSeconds(1));
        int code = exited ? process.exitValue() : -1;
        return new ExecResult(List.copyOf(command), code, stdout, stderr, !exited, elapsed);
    }

    public static ExecResult run(Duration timeout, String... command) {
        return run(timeout, List.of(command));
    }

    /**
     * Terminates a process and every descendant it has: SIGTERM to all, then SIGKILL to whatever is
     * still alive after {@code grace}. Descendants are collected first, because once the parent
     * dies its children are re-parented and no longer found through it.
     *
     * @return true when all of them are gone
     */
    public static boolean destroyTree(ProcessHandle root, Duration grace) {
        return destroyTrees(List.of(root), grace);
    }

    /** Like {@link #destroyTree} for several trees at once, so they share one grace period. */
    public static boolean destroyTrees(List<ProcessHandle> roots, Duration grace) {
        List<ProcessHandle> tree = new ArrayList<>();
        for (ProcessHandle root : roots) {
            root.descendants().forEach(tree::add);
            tree.add(root);
        }
        if (!grace.isZero()) {
            tree.forEach(ProcessHandle::destroy);
            if (awaitGone(tree, grace)) {
                return true;
            }
        }
        for (ProcessHandle handle : tree) {
            if (isRunning(handle)) {
                handle.destroyForcibly();
            }
        }
        return awaitGone(tree, Duration.ofSeconds(2));
    }

    /**
     * Polls rather than using {@link ProcessHandle#onExit()}: for processes that are not our
     * children the JDK polls with a 300 ms back-off, which made every cleanup slow.
     */
    private static boolean awaitGone(List<ProcessHandle> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (processes.stream().noneMatch(Commands::isRunning)) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /**
     * Alive and not a zombie: a killed grandchild stays a zombie until its new parent reaps it,
     * which is no reason to wait (or to send SIGKILL).
     */
    public static boolean isRunning(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(handle.pid()), "stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            return false; // gone between the two checks
        }
    }

    public static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // nothing useful to do
        }
    }

    /** Reads a stream to its end on a daemon thread, so a chatty command cannot block on a full pipe. */
    private static final class Drain implements Runnable {
        private final InputStream in;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final Thread thread;

        private Drain(InputStream in, String name) {
            this.in = in;
            this.thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        static Drain start(InputStream in, String name) {
            Drain drain = new Drain(in, name);
            drain.thread.start();
            return drain;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    synchronized (bytes) {
                        bytes.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                // stream closed under us: keep what we have
            }
        }

        String text(Duration wait) {
            try {
                thread.join(Math.max(1, wait.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
