package org.migware.tracker.internal;

import org.migware.api.connection.ServiceEndpoints;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.packet.ParsedPacket;
import org.migware.parser.internal.PacketParserComponent;
import org.migware.testing.TcpFrame;

/** A store for 10.77.0.2:7000 fed through the real parser, with a clock the test moves. */
final class StoreHarness {

    final AtomicLong monotonic = new AtomicLong();
    final ConnectionStore store;
    final ParsedPacket view = new PacketParserComponent().newView();
    long captureNanos = 1_700_000_000_000_000_000L;

    StoreHarness() {
        this(200_000);
    }

    StoreHarness(int maxConnections) {
        store = new ConnectionStore(ServiceEndpoints.parse(new String[] {"10.77.0.2"}, new int[] {7000}),
                new TrackerLimits(maxConnections, TimeUnit.SECONDS.toNanos(7200), TimeUnit.SECONDS.toNanos(60)),
                monotonic::get);
    }

    StoreHarness(FrameIntegrity integrity) {
        store = new ConnectionStore(ServiceEndpoints.parse(new String[] {"10.77.0.2"}, new int[] {7000}),
                new TrackerLimits(200_000, TimeUnit.SECONDS.toNanos(7200), TimeUnit.SECONDS.toNanos(60)),
                integrity, monotonic::get, 0x5eedL);
    }

    void feed(TcpFrame frame) {
        feed(frame.build());
    }

    void feed(byte[] bytes) {
        captureNanos += 1_000_000;
        store.accept(view, bytes, 0, bytes.length, captureNanos);
    }

    ConnectionSnapshot connection(int clientPort) {
        return store.find(key(clientPort)).orElseThrow(() -> new AssertionError("no connection for port " + clientPort));
    }

    static ConnectionKey key(int clientPort) {
        try {
            return new ConnectionKey(InetAddress.getByName("10.77.0.1"), clientPort, InetAddress.getByName("10.77.0.2"), 7000);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The three segments of a Linux handshake with default options. */
    void handshake(int port, long clientIsn, long serverIsn) {
        feed(TcpFrame.fromClient(port).seq(clientIsn).flags(0x02).window(64240)
                .synOptions(1460, 7, true).timestamps(1000, 0));
        feed(TcpFrame.fromServer(port).seq(serverIsn).ack(clientIsn + 1).flags(0x02).window(65160)
                .synOptions(1460, 7, true).timestamps(5000, 1000));
        feed(TcpFrame.fromClient(port).seq(clientIsn + 1).ack(serverIsn + 1).window(502).timestamps(1001, 5000));
    }
}
