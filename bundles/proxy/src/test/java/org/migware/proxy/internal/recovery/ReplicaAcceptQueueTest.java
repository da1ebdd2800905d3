package org.migware.proxy.internal.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The accept queue as the kernel reports it: read from a file of its format, and from the real one. */
class ReplicaAcceptQueueTest {

    @Test
    void sumsTheListenersOfThePortAndStopsAtTheFirstConnection(@TempDir Path dir) throws Exception {
        Path tcp = dir.resolve("tcp");
        Files.writeString(tcp, """
                  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1062 1 0
                   1: 03004D0A:1B58 00000000:0000 0A 00000000:0000002A 00:00000000 00000000     0        0 2697 1 0
                   2: 0100007F:1B58 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 2698 1 0
                   3: 03004D0A:1B58 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2699 1 0
                   4: 03004D0A:1B59 00000000:0000 0A 00000000:00000063 00:00000000 00000000     0        0 2700 1 0
                """);
        ReplicaAcceptQueue queue = new ReplicaAcceptQueue(tcp, dir.resolve("tcp6-missing"));
        assertEquals(0x2a + 3, queue.waiting(7000), "both listeners of port 7000 (0x1B58)");
        assertEquals(0, queue.waiting(2024), "a listener with nothing waiting");
        assertEquals(ReplicaAcceptQueue.UNKNOWN, queue.waiting(7001), "0x1B59 listens only after the first connection line: not a listener row");
        assertEquals(ReplicaAcceptQueue.UNKNOWN, queue.waiting(9), "no listener");
    }

    /** The kernel's own count: three connections that completed their handshake and were not accepted. */
    @Test
    void readsTheKernelsCountForARealListener() throws Exception {
        try (ServerSocket listener = new ServerSocket()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    clients.add(new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort()));
                }
                ReplicaAcceptQueue queue = new ReplicaAcceptQueue();
                assertEquals(3, queue.waiting(listener.getLocalPort()));
                listener.accept().close();
                assertEquals(2, queue.waiting(listener.getLocalPort()));
            } finally {
                for (Socket client : clients) {
                    client.close();
                }
            }
        }
    }
}
