package org.migware.core.internal.control;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

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
 * including installing bundles, so only the container's own user may.
 */
@Component(configurationPid = ConfigurationPids.CORE, immediate = true)
@Designate(ocd = ControlServer.Config.class)
public final class ControlServer {

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    /** The core's settings. */
    @ObjectClassDefinition(name = "MigWare core")
    public @interface Config {

        @AttributeDefinition(name = "Control socket", description = "Unix socket for 'bin/migware exec'; empty turns it off. Default: ${migware.home}/var/control.sock")
        String controlSocket() default "";
    }

    private final CommandProcessor processor;
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
                opened.bind(UnixDomainSocketAddress.of(socketPath));
                Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
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

    static Path socketPath(String configured) {
        String value = configured == null ? "" : configured.trim();
        if (value.isEmpty()) {
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

    @Deactivate
    void deactivate() throws InterruptedException {
        if (server != null) {
            closeQuietly(server);
            acceptor.join(2000);
            try {
                Files.deleteIfExists(socketPath);
            } catch (IOException e) {
                LOG.warn("core: could not remove the control socket {}: {}", socketPath, e.toString());
            }
        }
    }

    private void acceptLoop(ServerSocketChannel channel) {
        while (channel.isOpen()) {
            try (SocketChannel client = channel.accept()) {
                serve(client);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("core: control request failed: {}", e.toString());
            }
        }
    }

    private void serve(SocketChannel client) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
        String command = reader.readLine();
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

    private static void closeQuietly(ServerSocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing on the way out: nothing left to do
            }
        }
    }
}
