package org.migware.monitor.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.migware.monitor.support.ProbeResult;

class TcpProbeTest {

    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final byte[] NONE = new byte[0];

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void connectToAListeningPortIsASuccessAndTheSocketIsClosed() throws Exception {
        try (LocalServer server = new LocalServer(request -> null)) {
            TcpProbe probe = new TcpProbe("127.0.0.1", server.port(), NONE, NONE);
            for (int i = 0; i < 20; i++) {
                ProbeResult result = probe.probe(TIMEOUT);
                assertTrue(result.isSuccess(), result.reason());
            }
            awaitNoOpenConnections(server, 20);
        }
    }

    @Test
    void aClosedPortIsAMissConnectionRefused() throws Exception {
        ProbeResult result = new TcpProbe("127.0.0.1", LocalServer.closedPort(), NONE, NONE).probe(TIMEOUT);
        assertEquals(ProbeResult.miss("connection refused"), result);
    }

    @Test
    void sendAndExpectMatching() throws Exception {
        try (LocalServer server = new LocalServer(request -> request.equals("PING\r\n") ? "+PONG\r\n" : "-ERR\r\n")) {
            ProbeResult result = new TcpProbe("127.0.0.1", server.port(), TcpProbe.unescape("PING\\r\\n"),
                    TcpProbe.unescape("+PONG")).probe(TIMEOUT);
            assertTrue(result.isSuccess(), result.reason());
            awaitNoOpenConnections(server, 1);
        }
    }

    @Test
    void sendAndExpectNotMatchingIsAMissShowingTheReply() throws Exception {
        try (LocalServer server = new LocalServer(request -> "-ERR unknown\r\n")) {
            ProbeResult result = new TcpProbe("127.0.0.1", server.port(), bytes("PING\r\n"), bytes("+PONG"))
                    .probe(Duration.ofMillis(200));
            assertEquals(ProbeResult.miss("reply without '+PONG' within 200 ms (got '-ERR unknown\\r\\n')"), result);
            awaitNoOpenConnections(server, 1);
        }
    }

    @Test
    void noReplyWithinTheTimeoutIsAMiss() throws Exception {
        try (LocalServer server = new LocalServer(request -> null)) {
            ProbeResult result = new TcpProbe("127.0.0.1", server.port(), NONE, bytes("hello")).probe(Duration.ofMillis(100));
            assertEquals(ProbeResult.miss("reply without 'hello' within 100 ms (got '')"), result);
        }
    }

    @Test
    void aServerThatClosesBeforeTheExpectedReplyIsAMiss() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Thread closer = new Thread(() -> {
                try (Socket accepted = server.accept()) {
                    accepted.getOutputStream().write(bytes("220 busy\r\n"));
                } catch (IOException e) {
                    // the test fails on its own assertion
                }
            });
            closer.start();
            ProbeResult result = new TcpProbe("127.0.0.1", server.getLocalPort(), NONE, bytes("hello")).probe(Duration.ofSeconds(5));
            assertEquals(ProbeResult.miss("connection closed by the server before 'hello' arrived (got '220 busy\\r\\n')"), result);
            closer.join();
        }
    }

    @Test
    void escapes() {
        assertArrayEquals(bytes("a\r\nb\tc\\d\\x"), TcpProbe.unescape("a\\r\\nb\\tc\\\\d\\x"));
        assertEquals("a\\r\\n\\x01", TcpProbe.printable(new byte[] {'a', '\r', '\n', 1}, 10));
        assertEquals("ab...", TcpProbe.printable(bytes("abc"), 2));
    }

    static void awaitNoOpenConnections(LocalServer server, int accepted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.open.get() != 0 || server.accepted.get() < accepted) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("connections still open: " + server.open.get() + ", accepted " + server.accepted.get());
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }
}
