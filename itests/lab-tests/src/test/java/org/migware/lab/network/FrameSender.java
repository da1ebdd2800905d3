package org.migware.lab.network;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.HexFormat;

/**
 * Writes whole Ethernet frames, given in hex, out of an interface with the lab's {@link PacketSocket}
 * (a zero virtio_net_hdr in front: nothing for the kernel to finish), one after the other; prints
 * how many the kernel took. What a program on a trunked role does to talk on its VLAN: it writes the
 * tag itself.
 *
 * <pre>java ... FrameSender eth0 ffffffffffff0200... 0200...</pre>
 */
public final class FrameSender {

    /** Printed with the number of frames sent. */
    public static final String SENT = "frames sent: ";

    private FrameSender() {
    }

    public static void main(String[] args) {
        int sent = 0;
        try (PacketSocket socket = PacketSocket.open(args[0], 1 << 20)) {
            for (int i = 1; i < args.length; i++) {
                byte[] frame = HexFormat.of().parseHex(args[i]);
                try (Memory m = new Memory(PacketSocket.VNET_HEADER + frame.length)) {
                    m.clear();
                    m.write(PacketSocket.VNET_HEADER, frame, 0, frame.length);
                    if (socket.send(Pointer.nativeValue(m), (int) m.size())) {
                        sent++;
                    } else {
                        System.err.println("frame " + i + " not sent: " + PacketSocket.lastError());
                    }
                }
            }
        }
        System.out.println(SENT + sent);
        System.exit(sent == args.length - 1 ? 0 : 1);
    }
}
