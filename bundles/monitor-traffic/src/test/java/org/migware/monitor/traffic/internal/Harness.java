package org.migware.monitor.traffic.internal;

import org.migware.api.connection.ServiceEndpoints;

import java.util.ArrayList;
import java.util.List;

import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.api.packet.ParsedPacket;
import org.migware.monitor.support.ProbeSettings;
import org.migware.monitor.support.VerdictStateMachine;
import org.migware.parser.internal.PacketParserComponent;
import org.migware.testing.FakeClock;
import org.migware.testing.TcpFrame;

/**
 * The detector and the shared verdict state machine on a fake clock, fed with built frames
 * through the real parser, evaluated every {@link #EVALUATE_MILLIS} of fake time as the
 * component's loop would.
 */
final class Harness {

    static final int EVALUATE_MILLIS = 100;

    final FakeClock clock = new FakeClock();
    final StallDetector detector;
    final VerdictStateMachine machine;
    final List<HealthVerdict> changes = new ArrayList<>();
    final List<Evidence> evidence = new ArrayList<>();
    private final ParsedPacket view = new PacketParserComponent().newView();
    private long nextEvaluation = EVALUATE_MILLIS;

    Harness() {
        this(DetectorSettings.DEFAULTS, 3, 1);
    }

    Harness(DetectorSettings settings, int misses, int recoveries) {
        ServiceEndpoints service = ServiceEndpoints.parse(new String[] {"10.77.0.2"}, new int[] {TcpFrame.SERVICE_PORT});
        detector = new StallDetector(service, settings, clock);
        machine = new VerdictStateMachine(TrafficMonitorComponent.NAME, service.toString(),
                new ProbeSettings(EVALUATE_MILLIS, 1000, misses, recoveries), clock, "starting");
    }

    void send(TcpFrame frame) {
        byte[] bytes = frame.build();
        detector.accept(view, bytes, 0, bytes.length);
    }

    /** Moves fake time on, evaluating at every evaluation tick on the way. */
    void advance(long millis) {
        long target = clock.elapsedMillis() + millis;
        while (nextEvaluation <= target) {
            clock.advanceMillis(nextEvaluation - clock.elapsedMillis());
            evaluate();
            nextEvaluation += EVALUATE_MILLIS;
        }
        clock.advanceMillis(target - clock.elapsedMillis());
    }

    private void evaluate() {
        Evidence found = detector.evaluate();
        evidence.add(found);
        machine.record(TrafficMonitorComponent.toProbeResult(found)).ifPresent(changes::add);
    }

    HealthStatus status() {
        return machine.current().status();
    }

    Evidence lastEvidence() {
        return evidence.get(evidence.size() - 1);
    }

    boolean everDown() {
        return changes.stream().anyMatch(v -> v.status() == HealthStatus.DOWN)
                || evidence.stream().anyMatch(e -> e.status() == HealthStatus.DOWN);
    }

    Connection connection(int clientPort, long initialSequence) {
        return new Connection(clientPort, (int) initialSequence);
    }

    /** One client connection; sequence values are unsigned 32-bit in ints. */
    final class Connection {
        final int clientPort;
        int clientNext;
        int serverNext = 0x5000_0000;
        /** the highest ACK the server sent, as the test drives it */
        int serverAcked;
        int lastSegmentStart;
        int lastSegmentLength;

        Connection(int clientPort, int initialSequence) {
            this.clientPort = clientPort;
            this.clientNext = initialSequence;
            this.serverAcked = initialSequence;
        }

        /** @return whether the client has sent bytes the server has not acknowledged */
        boolean outstanding() {
            return clientNext - serverAcked > 0;
        }

        /** SYN, SYN-ACK, ACK. */
        Connection handshake() {
            send(TcpFrame.fromClient(clientPort).seq(clientNext).flags(0x02));
            send(TcpFrame.fromServer(clientPort).seq(serverNext).ack(clientNext + 1L).flags(0x02));
            clientNext++;
            serverNext++;
            serverAcked = clientNext;
            send(TcpFrame.fromClient(clientPort).seq(clientNext).ack(serverNext));
            return this;
        }

        /** The client sends {@code length} new bytes. */
        void data(int length) {
            lastSegmentStart = clientNext;
            lastSegmentLength = length;
            send(TcpFrame.fromClient(clientPort).seq(clientNext).ack(serverNext).flags(0x08).payload(length));
            clientNext += length;
        }

        /** The client sends its last segment again. */
        void retransmit() {
            send(TcpFrame.fromClient(clientPort).seq(lastSegmentStart).ack(serverNext).flags(0x08).payload(lastSegmentLength));
        }

        /** The server acknowledges everything the client sent. */
        void serverAcksAll() {
            serverAcks(clientNext);
        }

        void serverAcks(int ack) {
            send(TcpFrame.fromServer(clientPort).seq(serverNext).ack(ack & 0xffff_ffffL));
            if (ack - serverAcked > 0) {
                serverAcked = ack;
            }
        }

        /** The server sends {@code length} bytes of its own without acknowledging anything new. */
        void serverData(int length) {
            send(TcpFrame.fromServer(clientPort).seq(serverNext).ack(serverAcked & 0xffff_ffffL).flags(0x08).payload(length));
            serverNext += length;
        }

        /** The server answers with {@code length} bytes of its own, acknowledging everything. */
        void serverReplies(int length) {
            send(TcpFrame.fromServer(clientPort).seq(serverNext).ack(clientNext & 0xffff_ffffL).flags(0x08).payload(length));
            serverNext += length;
            serverAcked = clientNext;
        }

        void clientReset() {
            send(TcpFrame.fromClient(clientPort).seq(clientNext).flags(0x04));
        }

        void serverReset() {
            send(TcpFrame.fromServer(clientPort).seq(serverNext).flags(0x04));
        }

        /** A keepalive: one byte below what the client sent last, already acknowledged. */
        void keepalive() {
            send(TcpFrame.fromClient(clientPort).seq(clientNext - 1L).ack(serverNext).payload(1));
        }
    }
}
