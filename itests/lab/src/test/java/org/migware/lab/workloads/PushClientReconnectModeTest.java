package org.migware.lab.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The push client's reconnect mode (the baseline's client) against a server on loopback that closes each client's first connection
 * after its third record, as HAProxy's shutdown-sessions does: the client must reconnect, go on
 * with its next record number, and say so in its report.
 */
class PushClientReconnectModeTest {

    private static final Pattern RECORD = Pattern.compile("^c(\\d+) r(\\d+)");

    @Test
    void reconnectsAfterTheServerClosesAndGoesOnNumbering(@TempDir Path dir) throws Exception {
        Map<Long, List<List<Long>>> received = new ConcurrentHashMap<>();
        List<Thread> handlers = new CopyOnWriteArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    Socket s;
                    try {
                        s = server.accept();
                    } catch (IOException e) {
                        return;
                    }
                    Thread h = new Thread(() -> serve(s, received));
                    handlers.add(h);
                    h.start();
                }
            });
            acceptor.start();
            Path report = dir.resolve("client.tsv");
            new PushClient(new PushClient.Options().reconnect(true).host("127.0.0.1").port(server.getLocalPort())
                    .connections(2).intervalMillis(100).durationMillis(2500).reconnectDelayMillis(50).report(report).firstId(5))
                    .run();
            for (Thread h : handlers) {
                h.join(5000);
            }

            ReconnectingClientReport r = ReconnectingClientReport.read(report);
            assertTrue(r.isFinal());
            assertEquals(2, r.connections().size());
            for (ReconnectingClientReport.Connection c : r.connections()) {
                assertEquals(1, c.breaks(), c.toString());
                assertEquals(2, c.connects(), c.toString());
                assertEquals(2, c.ports().size(), c.toString());
                assertTrue(c.reconnectedAtMillis() >= c.firstBreakAtMillis() + 50, "waited the reconnect delay: " + c);
                assertEquals("the server closed the connection", c.firstError());
                assertEquals("DONE", c.state());
                List<List<Long>> conns = received.get((long) c.id());
                assertEquals(2, conns.size(), "two TCP connections for id " + c.id());
                assertEquals(List.of(1L, 2L, 3L), conns.get(0));
                List<Long> second = conns.get(1);
                assertFalse(second.isEmpty());
                assertTrue(second.get(0) >= 4, "numbering goes on after the reconnect, nothing resent: " + second);
                for (int i = 1; i < second.size(); i++) {
                    assertEquals(second.get(i - 1) + 1, second.get(i), "in order on the new connection: " + second);
                }
                assertEquals(c.recordsSent(), second.get(second.size() - 1), "the last record written arrived");
            }
        }
    }

    /** Reads records; closes the connection after the third record of a client's first connection. */
    private static void serve(Socket s, Map<Long, List<List<Long>>> received) {
        List<Long> seqs = new ArrayList<>();
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))) {
            boolean first = false;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                Matcher m = RECORD.matcher(line);
                if (!m.find()) {
                    continue;
                }
                long id = Long.parseLong(m.group(1));
                if (seqs.isEmpty()) {
                    List<List<Long>> all = received.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>());
                    first = all.isEmpty();
                    all.add(seqs);
                }
                seqs.add(Long.parseLong(m.group(2)));
                if (first && seqs.size() == 3) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away: what was read is the record
        }
    }
}
