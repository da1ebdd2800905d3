package org.migware.capture.file.internal;

/**
 * The reasons under which {@link FilePacketSource} counts a frame in
 * {@link org.migware.api.packet.CaptureStatistics#droppedByUs()}. They are the same words the live
 * capture uses where the cause is the same, so dashboards need one vocabulary.
 */
public final class DropReasons {

    /** A listener threw; the frame still went to every other listener. Counted once per listener. */
    public static final String LISTENER_FAILED = "listener-failed";

    /** The file ends inside a record: the capture was cut short (a killed tcpdump, a full disk). */
    public static final String TRUNCATED_RECORD = "truncated-record";

    /** The record holds fewer bytes than the frame had on the wire (the capture's snapshot length). */
    public static final String LONGER_THAN_SNAPLEN = "longer-than-snaplen";

    /** A pcapng packet from an interface whose link type is not Ethernet. */
    public static final String UNSUPPORTED_LINK_TYPE = "unsupported-link-type";

    /** A record whose lengths contradict each other; the rest of a classic pcap file is unreadable. */
    public static final String CORRUPT_RECORD = "corrupt-record";

    private DropReasons() {
    }
}
