package org.migware.api.packet;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

/** Puts whole Ethernet frames on the capture interface's wire. */
@ProviderType
public interface PacketSender {

    /**
     * Sends one frame.
     *
     * @param frame the bytes, starting with the Ethernet header
     * @param offset where the frame starts
     * @param length how many bytes to send
     * @throws IOException when the backend refuses the frame or is closed
     */
    void send(byte[] frame, int offset, int length) throws IOException;
}
