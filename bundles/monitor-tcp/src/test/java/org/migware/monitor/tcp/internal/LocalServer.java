package org.migware.monitor.tcp.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A TCP server on 127.0.0.1 for the tests: accepts on its own thread, reads one chunk, writes
 * {@code answer(chunk)} (nothing if null) and keeps the connection open until the client closes it.
 * Counts open connections so a test can see that the probe closed every socket.
 */
final class LocalServer implements AutoCloseable {

    private final ServerSocket server;
    private final UnaryOperator<String> answer;
    final AtomicInteger open = new AtomicInteger();
    final AtomicInteger accepted = new AtomicInteger();
    private final Thread acceptor;

    LocalServer(UnaryOperator<String> answer) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        this.answer = answer;
        this.acceptor = new Thread(this::acceptLoop, "local-server-" + port());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.incrementAndGet();
                open.incrementAndGet();
                Thread handler = new Thread(() -> serve(socket), "local-server-conn");
                handler.setDaemon(true);
                handler.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            byte[] buffer = new byte[1024];
            int read = in.read(buffer);
            if (read > 0) {
                String reply = answer.apply(new String(buffer, 0, read, java.nio.charset.StandardCharsets.UTF_8));
                if (reply != null) {
                    out.write(reply.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    out.flush();
                }
            }
            while (in.read(buffer) >= 0) {
                // until the client closes
            }
        } catch (IOException e) {
            // the client went away
        } finally {
            open.decrementAndGet();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        // The JDK closes a listening socket whose thread is blocked in accept() only when that
        // thread wakes: until then the kernel still completes handshakes. Wait for it, so that
        // "closed" means refused.
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return a port on 127.0.0.1 on which nothing listens (it did a moment ago) */
    static int closedPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return probe.getLocalPort();
        }
    }
}
