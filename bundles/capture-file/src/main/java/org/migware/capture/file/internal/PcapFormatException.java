package org.migware.capture.file.internal;

/**
 * A file that is not a capture MigWare can read: not pcap or pcapng at all, a version it does not
 * know, or a link type other than Ethernet. The message is written for a person and names the file.
 */
public final class PcapFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the file */
    public PcapFormatException(String message) {
        super(message);
    }
}
