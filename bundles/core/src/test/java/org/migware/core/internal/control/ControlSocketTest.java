package org.migware.core.internal.control;

import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control socket end to end: a real Unix socket between ControlClient and ControlServer. */
class ControlSocketTest {

    @TempDir
    Path folder;

    @Test
    void aCommandRunsAndItsExitStatusComesBack() throws Exception {
        Path socket = folder.resolve("var/control.sock");
        ControlServer server = new ControlServer(config(socket.toString()), processor());
        try {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = ControlClient.run(socket, "migware:status", new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
            assertEquals(0, exit);
            assertEquals("ran migware:status\n", out.toString(StandardCharsets.UTF_8));

            out.reset();
            exit = ControlClient.run(socket, "fail now", new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
            assertEquals(1, exit);
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("no such command"), out.toString(StandardCharsets.UTF_8));
        } finally {
            server.deactivate();
        }
        assertFalse(Files.exists(socket), "the socket file is removed on deactivation");
    }

    /** Ten clients that connect and say nothing do not keep a command from running (issue 10). */
    @Test
    @Timeout(20)
    void idleClientsDoNotBlockACommand() throws Exception {
        Path socket = folder.resolve("var/control.sock");
        ControlServer server = new ControlServer(config(socket.toString()), processor());
        List<SocketChannel> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                idle.add(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = ControlClient.run(socket, "migware:failover", new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
            assertEquals(0, exit);
            assertEquals("ran migware:failover\n", out.toString(StandardCharsets.UTF_8));
            // and the silent ones are dropped after the command timeout: their read sees the end
            ByteBuffer buffer = ByteBuffer.allocate(64);
            assertEquals(-1, idle.get(0).read(buffer), "a silent client is closed after " + ControlServer.COMMAND_TIMEOUT_MILLIS + " ms");
        } finally {
            for (SocketChannel c : idle) {
                c.close();
            }
            server.deactivate();
        }
    }

    /**
     * The socket never shows under the umask's mode, not even for an instant (issue 10): a watcher
     * polls the name as fast as it can while the server starts again and again. Binding in place
     * and then changing the mode left a window in which the watcher could find it world-connectable.
     */
    @Test
    void theSocketNeverAppearsWithAnotherModeThan0600() throws Exception {
        Path socket = folder.resolve("var/control.sock");
        Files.createDirectories(socket.getParent());
        java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicBoolean watching = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            while (watching.get()) {
                try {
                    seen.add(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
                } catch (java.io.IOException absent) {
                    // not there at this instant
                }
            }
        });
        watcher.start();
        try {
            for (int i = 0; i < 200; i++) {
                new ControlServer(config(socket.toString()), processor()).deactivate();
            }
        } finally {
            watching.set(false);
            watcher.join();
        }
        assertTrue(seen.contains("rw-------"), "the watcher saw the socket: " + seen);
        assertEquals(java.util.Set.of("rw-------"), seen, "every mode the socket was seen with");
        try (java.util.stream.Stream<Path> left = Files.list(socket.getParent())) {
            assertEquals(List.of(), left.toList(), "no private directory or socket left behind");
        }
    }

    /** A socket path near the 107-byte limit still works: the private place it is bound in is no longer. */
    @Test
    void aSocketPathNearTheLengthLimitStillWorks() throws Exception {
        Path base = folder.resolve("var");
        String name = "x".repeat(Math.max(1, 100 - base.toString().length() - 1));
        Path socket = base.resolve(name);
        assertTrue(socket.toString().length() >= 100 && socket.toString().length() <= 107, socket.toString());
        ControlServer server = new ControlServer(config(socket.toString()), processor());
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertEquals(0, ControlClient.run(socket, "migware:status", new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
        } finally {
            server.deactivate();
        }
    }

    /**
     * {@code update org.migware.core} sent through the socket deactivates the server on the very
     * thread that runs the command. That thread must not be interrupted: the new core activates
     * on it (a file channel opened by an interrupted thread closes at once) and the command's
     * output must still reach the client. The lab's core update in PROXY hung on this.
     */
    @Test
    @Timeout(20)
    void aCommandThatStopsTheServerIsNotInterruptedAndIsAnswered() throws Exception {
        Path socket = folder.resolve("var/control.sock");
        ControlServer[] current = new ControlServer[1];
        java.util.concurrent.atomic.AtomicBoolean interrupted = new java.util.concurrent.atomic.AtomicBoolean();
        CommandProcessor updating = processor(command -> {
            current[0].deactivate();
            interrupted.set(Thread.currentThread().isInterrupted());
            current[0] = new ControlServer(config(socket.toString()), processor());
            return "updated";
        });
        current[0] = new ControlServer(config(socket.toString()), updating);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertEquals(0, ControlClient.run(socket, "update org.migware.core", new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
            assertEquals("updated\n", out.toString(StandardCharsets.UTF_8));
            assertFalse(interrupted.get(), "the command's thread was interrupted by the deactivation");
            out.reset();
            assertEquals(0, ControlClient.run(socket, "migware:status", new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
            assertEquals("ran migware:status\n", out.toString(StandardCharsets.UTF_8), "the new server answers");
        } finally {
            current[0].deactivate();
        }
    }

    @Test
    void noContainerGivesExitThree() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ControlClient.run(folder.resolve("absent.sock"), "migware:status", System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(3, exit);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("is the container running"));
    }

    @Test
    void theDefaultSocketLivesUnderMigwareHome() {
        String old = System.getProperty("migware.home");
        String oldVar = System.getProperty("migware.var");
        try {
            System.clearProperty("migware.var");
            System.setProperty("migware.home", "/opt/migware");
            assertEquals(Path.of("/opt/migware/var/control.sock"), ControlServer.socketPath(""));
            assertEquals(null, ControlServer.socketPath("off"));
            assertEquals(Path.of("/run/mw.sock"), ControlServer.socketPath("/run/mw.sock"));
        } finally {
            restore("migware.home", old);
            restore("migware.var", oldVar);
        }
    }

    /** bin/migware names the var folder (MIGWARE_VAR; /var/lib/migware in the Debian package): the socket goes there. */
    @Test
    void theDefaultSocketFollowsTheVarFolder() {
        String old = System.getProperty("migware.home");
        String oldVar = System.getProperty("migware.var");
        try {
            System.setProperty("migware.home", "/usr/share/migware");
            System.setProperty("migware.var", "/var/lib/migware");
            assertEquals(Path.of("/var/lib/migware/control.sock"), ControlServer.socketPath(""));
            assertEquals(Path.of("/run/mw.sock"), ControlServer.socketPath("/run/mw.sock"));
        } finally {
            restore("migware.home", old);
            restore("migware.var", oldVar);
        }
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    private static ControlServer.Config config(String path) {
        return new ControlServer.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ControlServer.Config.class;
            }

            @Override
            public String controlSocket() {
                return path;
            }
        };
    }

    /** A Gogo processor whose sessions answer "ran CMD", or fail for a command starting with "fail". */
    private static CommandProcessor processor() {
        return processor(command -> {
            if (command.startsWith("fail")) {
                throw new IllegalArgumentException("no such command: " + command);
            }
            return "ran " + command;
        });
    }

    private static CommandProcessor processor(java.util.function.Function<String, String> commands) {
        return (CommandProcessor) Proxy.newProxyInstance(ControlSocketTest.class.getClassLoader(),
                new Class<?>[] {CommandProcessor.class}, (proxy, method, args) -> {
                    if (!method.getName().equals("createSession")) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    return Proxy.newProxyInstance(ControlSocketTest.class.getClassLoader(), new Class<?>[] {CommandSession.class},
                            (session, call, callArgs) -> switch (call.getName()) {
                                case "execute" -> commands.apply(callArgs[0].toString());
                                case "format" -> callArgs[0].toString();
                                case "close" -> null;
                                default -> throw new UnsupportedOperationException(call.getName());
                            });
                });
    }
}
