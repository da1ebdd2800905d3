package org.migware.core.internal.control;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channel;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.migware.api.config.ConfigurationPids;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Gogo commands sent to a Unix domain socket, so that {@code bin/migware exec} (and the
 * lab's tests, from outside the backup's network namespace: a Unix socket lives in the file
 * system, not in a namespace) can ask a running container for its status.
 *
 * <p>The socket is created with mode 0600: whoever can connect can run any shell command,
 * including installing bundles, so only the container's own user may. It is bound in a private
 * directory (0700), given its mode there and only then moved into place, so that no process ever
 * finds it under the umask's mode.
 *
 * <p>Each client is served on a thread of its own, at most {@value #MAX_CLIENTS} at once, and one
 * that has not sent its command line within {@value #COMMAND_TIMEOUT_MILLIS} ms is dropped: an idle
 * client never blocks another one, {@code migware:failover} included.
 */
@Component(configurationPid = ConfigurationPids.CORE, immediate = true)
@Designate(ocd = ControlServer.Config.class)
public final class ControlServer {

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    /** The core's settings. */
    @ObjectClassDefinition(name = "MigWare core")
    public @interface Config {

        @AttributeDefinition(name = "Control socket", description = "Unix socket for 'bin/migware exec'; 'off' turns it off. Default: ${migware.var}/control.sock")
        String controlSocket() default "";
    }

    /** Clients served at once; a client beyond them is told so and closed. */
    static final int MAX_CLIENTS = 16;
    /** How long a client may take to send its command line. */
    static final long COMMAND_TIMEOUT_MILLIS = 5000;

    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private final CommandProcessor processor;
    private final Semaphore clientSlots = new Semaphore(MAX_CLIENTS);
    /** Clients that have not sent their command line yet: closed when the server goes. */
    private final Set<SocketChannel> waitingForCommand = ConcurrentHashMap.newKeySet();
    private final ExecutorService clients = Executors.newCachedThreadPool(daemon("migware-control-client"));
    private final ScheduledExecutorService commandTimeouts = Executors.newSingleThreadScheduledExecutor(daemon("migware-control-timeout"));
    private final ServerSocketChannel server;
    private final Path socketPath;
    private final Thread acceptor;

    @Activate
    public ControlServer(Config config, @Reference CommandProcessor processor) {
        this.processor = processor;
        this.socketPath = socketPath(config.controlSocket());
        ServerSocketChannel opened = null;
        Thread thread = null;
        if (socketPath != null) {
            try {
                Files.createDirectories(socketPath.toAbsolutePath().getParent());
                // A socket file left by a container that was killed would make bind fail.
                Files.deleteIfExists(socketPath);
                opened = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                bindPrivately(opened, socketPath);
                ServerSocketChannel channel = opened;
                thread = new Thread(() -> acceptLoop(channel), "migware-control");
                thread.setDaemon(true);
                thread.start();
                LOG.info("core: control socket at {}", socketPath);
            } catch (IOException | UnsupportedOperationException e) {
                LOG.error("core: cannot open the control socket '{}' (key 'controlSocket'): {}", socketPath, e.toString());
                closeQuietly(opened);
                opened = null;
            }
        }
        this.server = opened;
        this.acceptor = thread;
    }

    /**
     * Binds in a private directory beside the socket's place, sets the mode, then moves the socket
     * into place. The names there are short on purpose: a Unix socket's path may not exceed 107
     * bytes, and the bound path must fit wherever the final one does.
     */
    private static void bindPrivately(ServerSocketChannel channel, Path socketPath) throws IOException {
        Path directory = socketPath.toAbsolutePath().resolveSibling(".c" + ProcessHandle.current().pid());
        Path bound = directory.resolve("s");
        // left by a container that was killed while binding
        Files.deleteIfExists(bound);
        Files.deleteIfExists(directory);
        Files.createDirectory(directory, OWNER_ONLY_DIRECTORY);
        try {
            channel.bind(UnixDomainSocketAddress.of(bound));
            Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
            // a bound socket keeps listening when its name moves: connect() finds it by its inode
            Files.move(bound, socketPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(bound);
            Files.delete(directory);
        }
    }

    private static ThreadFactory daemon(String name) {
        return task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * The configured path, else {@code control.sock} in the container's var folder: the system
     * property {@code migware.var} that bin/migware sets (var/ of the home, or /var/lib/migware in
     * the Debian package), else {@code migware.home}'s var/ for a launcher that sets only that.
     */
    static Path socketPath(String configured) {
        String value = configured == null ? "" : configured.trim();
        if (value.isEmpty()) {
            String var = System.getProperty("migware.var");
            if (var != null && !var.isBlank()) {
                return Path.of(var, "control.sock");
            }
            String home = System.getProperty("migware.home");
            if (home == null || home.isBlank()) {
                return null;
            }
            return Path.of(home, "var", "control.sock");
        }
        if (value.equals("off") || value.equals("none")) {
            return null;
        }
        return Path.of(value);
    }

    /**
     * Closes the socket and the clients still silent. A command already running is left to finish
     * and write its output, never interrupted: it may be the very {@code update} of this bundle
     * that is deactivating us, on its own thread, and an interrupt would follow that thread into
     * the new core's activation, where a file channel would close under it.
     */
    @Deactivate
    void deactivate() {
        clients.shutdown();
        commandTimeouts.shutdownNow();
        waitingForCommand.forEach(ControlServer::closeQuietly);
        if (server != null) {
            closeQuietly(server);
            if (acceptor != Thread.currentThread()) {
                try {
                    acceptor.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            try {
                Files.deleteIfExists(socketPath);
            } catch (IOException e) {
                LOG.warn("core: could not remove the control socket {}: {}", socketPath, e.toString());
            }
        }
    }

    private void acceptLoop(ServerSocketChannel channel) {
        while (channel.isOpen()) {
            SocketChannel client;
            try {
                client = channel.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("core: control socket: cannot accept: {}", e.toString());
                continue;
            }
            if (!clientSlots.tryAcquire()) {
                LOG.warn("core: control socket: {} clients already connected, one more turned away", MAX_CLIENTS);
                refuse(client);
                continue;
            }
            try {
                clients.execute(() -> serveAndClose(client));
            } catch (RejectedExecutionException e) {
                clientSlots.release();
                closeQuietly(client);
                return; // deactivating
            }
        }
    }

    private void serveAndClose(SocketChannel client) {
        try (client) {
            serve(client);
        } catch (IOException | RuntimeException e) {
            LOG.warn("core: control request failed: {}", e.toString());
        } finally {
            clientSlots.release();
        }
    }

    private static void refuse(SocketChannel client) {
        try (client) {
            PrintStream out = new PrintStream(Channels.newOutputStream(client), true, StandardCharsets.UTF_8);
            out.println("migware: too many control clients at once (" + MAX_CLIENTS + "); try again");
            out.println(ControlProtocol.EXIT_TRAILER + 1);
        } catch (IOException e) {
            // the client went away first: nothing to tell it
        }
    }

    private void serve(SocketChannel client) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
        // a client silent past the timeout is closed under its read: it never holds a thread for long
        ScheduledFuture<?> timeout = commandTimeouts.schedule(() -> closeQuietly(client), COMMAND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        String command;
        waitingForCommand.add(client);
        try {
            command = reader.readLine();
        } catch (AsynchronousCloseException e) {
            if (server.isOpen()) {
                LOG.warn("core: control socket: a client sent no command within {} ms, dropped", COMMAND_TIMEOUT_MILLIS);
            }
            return;
        } finally {
            waitingForCommand.remove(client);
            timeout.cancel(false);
        }
        OutputStream rawOut = Channels.newOutputStream(client);
        PrintStream out = new PrintStream(rawOut, true, StandardCharsets.UTF_8);
        int exit = 0;
        if (command == null || command.isBlank()) {
            out.println("migware: empty command");
            exit = 2;
        } else {
            try (CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), out, out)) {
                Object result = session.execute(command);
                if (result != null) {
                    out.print(session.format(result, 0));
                    out.println();
                }
            } catch (Exception e) {
                out.println("migware: " + command + ": " + e);
                exit = 1;
            }
        }
        out.println(ControlProtocol.EXIT_TRAILER + exit);
        out.flush();
    }

    private static void closeQuietly(Channel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing on the way out: nothing left to do
            }
        }
    }
}
