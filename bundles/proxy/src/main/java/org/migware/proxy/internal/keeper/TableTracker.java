package org.migware.proxy.internal.keeper;

import java.net.InetAddress;
import java.util.Optional;
import java.util.function.Supplier;

import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.packet.AddressWords;
import org.migware.api.wire.Ipv4Header;

/**
 * The tracker's table as the keeper's idle sweep asks it: one lookup per silent connection, on
 * the sweep's thread (each takes the tracker's lock once and builds a snapshot; never per frame).
 */
public final class TableTracker implements IdleExpiry.Tracker {

    /** The table now; {@code null} while no tracker runs. */
    private final Supplier<ConnectionTable> table;

    public TableTracker(Supplier<ConnectionTable> table) {
        this.table = table;
    }

    @Override
    public IdleExpiry.Tracked of(int clientAddress, int clientPort, int serviceAddress, int servicePort) {
        ConnectionTable current = table.get();
        if (current == null) {
            return IdleExpiry.Tracked.UNKNOWN;
        }
        Optional<ConnectionSnapshot> found;
        try {
            found = current.find(new ConnectionKey(address(clientAddress), clientPort, address(serviceAddress), servicePort));
        } catch (RuntimeException e) {
            return IdleExpiry.Tracked.UNKNOWN; // the tracker is going away as we ask
        }
        if (found.isEmpty()) {
            return IdleExpiry.Tracked.FORGOTTEN;
        }
        return found.get().state().isLive() ? IdleExpiry.Tracked.LIVE : IdleExpiry.Tracked.NOT_LIVE;
    }

    private static InetAddress address(int ipv4) {
        return AddressWords.toInetAddress(0, Ipv4Header.MAPPED_PREFIX | Integer.toUnsignedLong(ipv4));
    }
}
