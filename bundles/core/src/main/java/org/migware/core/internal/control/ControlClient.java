package org.migware.core.internal.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code bin/migware exec '<command>'}: runs one Gogo command in a running container through
 * its control socket and prints the answer. Plain JDK, no OSGi, so the script can run it
 * straight from the core bundle's jar.
 */
public final class ControlClient {

    private ControlClient() {
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: ControlClient <control socket path> <command...>");
            System.exit(2);
        }
        System.exit(run(Path.of(args[0]), String.join(" ", java.util.Arrays.copyOfRange(args, 1, args.length)), System.out, System.err));
    }

    /** @return the command's exit status: 0 done, 1 the command failed, 3 no container answered */
    static int run(Path socket, String command, PrintStream out, PrintStream err) {
        if (!Files.exists(socket)) {
            err.println("migware: no control socket at " + socket
                    + ": is the container running (bin/migware) with this MIGWARE_HOME?");
            return 3;
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap((command.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            int exit = 1;
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith(ControlProtocol.EXIT_TRAILER)) {
                    exit = Integer.parseInt(line.substring(ControlProtocol.EXIT_TRAILER.length()).trim());
                } else {
                    out.println(line);
                }
            }
            return exit;
        } catch (IOException | NumberFormatException e) {
            err.println("migware: cannot talk to the container at " + socket + ": " + e.getMessage());
            return 3;
        }
    }
}
