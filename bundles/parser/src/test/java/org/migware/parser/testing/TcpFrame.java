package org.migware.parser.testing;

/**
 * The frames moved to the test-support jar as {@link org.migware.testing.TcpFrame}; this class
 * forwards to it only so that the tests that still import it from the parser's test jar (the
 * proxy's) compile until they import the new one. It has no logic of its own.
 *
 * @deprecated use {@link org.migware.testing.TcpFrame} from the {@code test-support} artifact
 */
@Deprecated(forRemoval = true)
public final class TcpFrame {

    public static final int CLIENT_IP = org.migware.testing.TcpFrame.CLIENT_IP;
    public static final int SERVER_IP = org.migware.testing.TcpFrame.SERVER_IP;
    public static final int SERVICE_PORT = org.migware.testing.TcpFrame.SERVICE_PORT;
    public static final int CLIENT_PORT = org.migware.testing.TcpFrame.CLIENT_PORT;
    public static final long CLIENT_MAC = org.migware.testing.TcpFrame.CLIENT_MAC;
    public static final long SERVER_MAC = org.migware.testing.TcpFrame.SERVER_MAC;

    private final org.migware.testing.TcpFrame frame;

    private TcpFrame(org.migware.testing.TcpFrame frame) {
        this.frame = frame;
    }

    public static TcpFrame fromClient(int clientPort) {
        return new TcpFrame(org.migware.testing.TcpFrame.fromClient(clientPort));
    }

    public static TcpFrame fromServer(int clientPort) {
        return new TcpFrame(org.migware.testing.TcpFrame.fromServer(clientPort));
    }

    public TcpFrame toPort(int port) {
        frame.toPort(port);
        return this;
    }

    public TcpFrame from(int ip, int port) {
        frame.from(ip, port);
        return this;
    }

    public TcpFrame to(int ip, int port) {
        frame.to(ip, port);
        return this;
    }

    public TcpFrame seq(long value) {
        frame.seq(value);
        return this;
    }

    public TcpFrame ack(long value) {
        frame.ack(value);
        return this;
    }

    public TcpFrame flags(int value) {
        frame.flags(value);
        return this;
    }

    public TcpFrame window(int value) {
        frame.window(value);
        return this;
    }

    public TcpFrame payload(int length) {
        frame.payload(length);
        return this;
    }

    public TcpFrame payload(byte[] bytes) {
        frame.payload(bytes);
        return this;
    }

    public TcpFrame payload(String text) {
        frame.payload(text);
        return this;
    }

    public TcpFrame synOptions(int mssValue, int shift, boolean sack) {
        frame.synOptions(mssValue, shift, sack);
        return this;
    }

    public TcpFrame timestamps(long value, long echo) {
        frame.timestamps(value, echo);
        return this;
    }

    public byte[] build() {
        return frame.build();
    }

    public byte[] buildIpv4() {
        return frame.buildIpv4();
    }

    @Override
    public String toString() {
        return frame.toString();
    }
}
