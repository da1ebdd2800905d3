package org.migware.lab;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The command-line sequence the lab tools ({@code PushClient}, {@code SinkServer},
 * {@code BulkSender}, {@code BulkReceiver}) share, kept in one place because the lab drives them
 * as separate processes and relies on every one of them behaving alike: {@code --help} prints the
 * usage and exits 0; bad arguments print the message and the usage and exit 2; SIGTERM stops the
 * tool and waits for its final report before the JVM exits; a failure of the run exits 1.
 *
 * <p>{@link #listen} opens the two servers' listening sockets the same way.
 *
 * <p>The texts stay the tools' own (the name in "... failed:", the LISTENING and "ended" lines),
 * since other code and tests parse them.
 */
public final class ToolMain {

    /** How long the shutdown hook waits for the final report. */
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(10);

    /** A tool's run: what it returns is the exit code. */
    @FunctionalInterface
    public interface Run {
        public int run() throws IOException;
    }

    private ToolMain() {
    }

    /**
     * Handles {@code --help} and parses the options; on bad arguments exits with 2.
     *
     * @param args the command line
     * @param usage the tool's usage text
     * @param parse the tool's {@code Options.parse}
     * @return the options, or null after printing the help (the caller returns, exit code 0)
     */
    public static <O> O options(String[] args, String usage, Function<String[], O> parse) {
        if (List.of(args).contains("--help")) {
            System.out.println(usage);
            return null;
        }
        try {
            return parse.apply(args);
        } catch (IllegalArgumentException e) {
            usageError(System.err, e.getMessage(), usage);
            return null;
        }
    }

    static void usageError(PrintStream err, String message, String usage) {
        err.println(message);
        err.println(usage);
        System.exit(2);
    }

    /** A server that cannot bind: says so and exits with 1. */
    public static void cannotListen(String bind, int port, IOException e) {
        System.err.println("cannot listen on " + bind + ":" + port + ": " + e.getMessage());
        System.exit(1);
    }

    /**
     * Makes SIGTERM end the tool cleanly: stop it, then wait for its final report.
     *
     * @param name the tool's name in words ("sink server"); the hook thread is "sink-server-shutdown"
     * @param stop the tool's {@code stop()}
     * @param awaitFinished the tool's {@code awaitFinished(Duration)}
     */
    public static void stopOnShutdown(String name, Runnable stop, Predicate<Duration> awaitFinished) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.run();
            awaitFinished.test(SHUTDOWN_WAIT);
        }, name.replace(' ', '-') + "-shutdown"));
    }

    /** Prints a server's LISTENING line with its bound address, flushed for the process that waits for it. */
    public static void listening(String prefix, InetSocketAddress address) {
        System.out.println(prefix + hostPort(address));
        System.out.flush();
    }

    /** @return {@code ip:port}, as the LISTENING lines and the reports' {@code listen} field write it */
    public static String hostPort(InetSocketAddress address) {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /**
     * Runs the tool; a failure is printed as "&lt;name&gt; failed: ..." and gives exit code 1.
     *
     * @return the exit code
     */
    public static int run(String name, Run run) {
        try {
            return run.run();
        } catch (IOException | RuntimeException e) {
            System.err.println(name + " failed: " + e);
            return 1;
        }
    }

    /**
     * Opens a server's listening socket, non-blocking and registered for accepts; on failure closes
     * it and the selector. SO_REUSEADDR: a restarted server must be able to listen again while old
     * connections sit in TIME_WAIT.
     *
     * @param backlog the listen backlog; 0 = the JDK's default (what {@code bind(address)} uses)
     */
    public static ServerSocketChannel listen(Selector selector, String bind, int port, int backlog) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(bind, port), backlog);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            return server;
        } catch (IOException | RuntimeException e) {
            Commands.closeQuietly(server);
            Commands.closeQuietly(selector);
            throw e;
        }
    }

    /**
     * The tools' {@code awaitFinished}: waits for the latch their {@code run()} counts down at its end.
     *
     * @return true when it was counted down in time; false on timeout or interrupt (interrupt flag kept)
     */
    public static boolean await(CountDownLatch finished, Duration timeout) {
        try {
            return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
