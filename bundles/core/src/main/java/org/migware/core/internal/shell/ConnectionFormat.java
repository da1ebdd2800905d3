package org.migware.core.internal.shell;

import java.time.Duration;
import java.time.Instant;

import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;

/**
 * One line per connection, as {@code key=value} words so that a person can read it and a
 * script can split it. Unknown values print as {@code -}.
 */
final class ConnectionFormat {

    private ConnectionFormat() {
    }

    static String line(ConnectionSnapshot c, Instant now) {
        StringBuilder line = new StringBuilder(320);
        line.append(c.client().hostAndPort()).append(" -> ").append(c.server().hostAndPort())
                .append(" state=").append(c.state())
                .append(" handshake=").append(c.handshakeSeen() ? "seen" : "missed")
                .append(" idle=").append(formatIdle(Duration.between(c.lastActivity(), now)))
                .append(" client.mac=").append(orDash(c.client().mac()))
                .append(" server.mac=").append(orDash(c.server().mac()))
                .append(" sack=").append(c.sackNegotiated() ? "on" : "off")
                .append(" ts=").append(c.timestampsNegotiated() ? "on" : "off")
                .append(" ecn=").append(c.clientToServer().classicEcnWith(c.serverToClient()) ? "on" : "off");
        side(line, "c", c.clientToServer());
        side(line, "s", c.serverToClient());
        return line.toString();
    }

    private static void side(StringBuilder line, String prefix, DirectionState d) {
        line.append(' ').append(prefix).append(".isn=").append(value(d.initialSequence()))
                .append(' ').append(prefix).append(".mss=").append(value(d.mss()))
                .append(' ').append(prefix).append(".ws=").append(value(d.windowScale()))
                .append(' ').append(prefix).append(".sackok=").append(d.sackPermitted() ? 1 : 0)
                .append(' ').append(prefix).append(".tsopt=").append(d.timestamps() ? 1 : 0)
                .append(' ').append(prefix).append(".ack=").append(value(d.highestAck()))
                .append(' ').append(prefix).append(".end=").append(value(d.highestSequenceEnd()))
                .append(' ').append(prefix).append(".tsval=").append(value(d.lastTimestampValue()))
                .append(' ').append(prefix).append(".win=").append(value(d.lastWindow()))
                .append(' ').append(prefix).append(".bytes=").append(d.bytes())
                .append(' ').append(prefix).append(".pkts=").append(d.packets())
                .append(' ').append(prefix).append(".retrans=").append(d.retransmissions())
                .append(' ').append(prefix).append(".ooo=").append(d.outOfOrder());
    }

    private static String value(long v) {
        return v < 0 ? "-" : Long.toString(v);
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }

    private static String formatIdle(Duration idle) {
        long millis = Math.max(0, idle.toMillis());
        return millis < 10_000 ? String.format("%.1fs", millis / 1000.0) : (millis / 1000) + "s";
    }
}
