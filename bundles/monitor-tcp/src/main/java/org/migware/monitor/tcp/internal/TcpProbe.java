package org.migware.monitor.tcp.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.migware.monitor.support.Probe;
import org.migware.monitor.support.ProbeResult;

/**
 * One TCP check: connect within the timeout; if configured, send bytes and wait, within the same
 * timeout, for a reply that contains the expected bytes. Every socket is closed before the probe
 * returns, whatever happened.
 */
final class TcpProbe implements Probe {

    private static final int SHOWN_REPLY_BYTES = 60;
    private static final int MAX_REPLY_BYTES = 64 * 1024;

    private final String host;
    private final int port;
    private final byte[] send;
    private final byte[] expect;

    /**
     * @param send bytes to send after connecting, empty for none
     * @param expect bytes the reply must contain, empty to accept the connection alone
     */
    TcpProbe(String host, int port, byte[] send, byte[] expect) {
        this.host = host;
        this.port = port;
        this.send = send.clone();
        this.expect = expect.clone();
    }

    @Override
    public ProbeResult probe(Duration timeout) {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            return ProbeResult.miss("cannot resolve host '" + host + "'");
        }
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        try (Socket socket = new Socket()) {
            try {
                socket.connect(address, remainingMillis(deadline));
            } catch (SocketTimeoutException e) {
                return ProbeResult.miss("no connection within " + timeout.toMillis() + " ms");
            }
            if (socket.getLocalPort() == port && socket.getLocalAddress().equals(socket.getInetAddress())) {
                // TCP simultaneous open with itself: a connect to a local port nobody listens on
                // can pick that very port as its source and "succeed". Nobody answered.
                return ProbeResult.miss("connection refused (the connect reached itself: nothing listens on " + port + ")");
            }
            if (send.length > 0) {
                socket.getOutputStream().write(send);
                socket.getOutputStream().flush();
            }
            if (expect.length == 0) {
                return ProbeResult.success("connected in " + millisSince(started) + " ms");
            }
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            while (true) {
                socket.setSoTimeout(remainingMillis(deadline));
                int read;
                try {
                    read = in.read(buffer);
                } catch (SocketTimeoutException e) {
                    return ProbeResult.miss("reply without '" + printable(expect, expect.length) + "' within "
                            + timeout.toMillis() + " ms (got '" + printable(reply.toByteArray(), SHOWN_REPLY_BYTES) + "')");
                }
                if (read < 0) {
                    return ProbeResult.miss("connection closed by the server before '" + printable(expect, expect.length)
                            + "' arrived (got '" + printable(reply.toByteArray(), SHOWN_REPLY_BYTES) + "')");
                }
                reply.write(buffer, 0, read);
                if (contains(reply.toByteArray(), expect)) {
                    return ProbeResult.success("reply matched in " + millisSince(started) + " ms");
                }
                if (reply.size() > MAX_REPLY_BYTES) {
                    return ProbeResult.miss("no '" + printable(expect, expect.length) + "' in the first "
                            + reply.size() + " bytes of the reply");
                }
            }
        } catch (ConnectException e) {
            String message = String.valueOf(e.getMessage());
            return ProbeResult.miss(message.toLowerCase().contains("refused") ? "connection refused" : message);
        } catch (NoRouteToHostException e) {
            return ProbeResult.miss("no route to host");
        } catch (IOException e) {
            return ProbeResult.miss(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    /** @return milliseconds to the deadline, at least 1 (0 would mean "wait for ever" to a socket) */
    private static int remainingMillis(long deadline) {
        long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, remaining));
    }

    private static String millisSince(long started) {
        return String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - started) / 1e6);
    }

    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** The bytes as text for a log line: escapes for line ends and control bytes, at most {@code limit} bytes. */
    static String printable(byte[] bytes, int limit) {
        String text = new String(bytes, 0, Math.min(bytes.length, limit), StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (char c : text.toCharArray()) {
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\x%02x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return bytes.length > limit ? out.append("...").toString() : out.toString();
    }

    /** Resolves {@code \n}, {@code \r}, {@code \t} and {@code \\} in a configured string; other characters stay. */
    static byte[] unescape(String configured) {
        StringBuilder out = new StringBuilder(configured.length());
        for (int i = 0; i < configured.length(); i++) {
            char c = configured.charAt(i);
            if (c == '\\' && i + 1 < configured.length()) {
                char next = configured.charAt(i + 1);
                switch (next) {
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case '\\' -> out.append('\\');
                    default -> out.append(c).append(next);
                }
                i++;
            } else {
                out.append(c);
            }
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "tcp " + host + ":" + port;
    }
}
