package org.migware.capture.file.internal;

/** Link-layer header types (tcpdump.org/linktypes.html) that people meet most, for error messages. */
final class LinkTypes {

    /** LINKTYPE_ETHERNET: the only one MigWare reads, because its parser starts at an Ethernet header. */
    static final int ETHERNET = 1;

    private LinkTypes() {
    }

    /** @return a readable name and, where there is an obvious cause, a hint for the person */
    static String describe(int linkType) {
        return switch (linkType) {
            case 0 -> "0 (NULL, BSD loopback)";
            case 1 -> "1 (Ethernet)";
            case 101 -> "101 (RAW IP, no link header)";
            case 105 -> "105 (IEEE 802.11)";
            case 113 -> "113 (LINUX_SLL: captured on the 'any' pseudo-interface; capture on a named interface)";
            case 127 -> "127 (IEEE 802.11 radiotap)";
            case 228 -> "228 (raw IPv4)";
            case 229 -> "229 (raw IPv6)";
            case 276 -> "276 (LINUX_SLL2: captured on the 'any' pseudo-interface; capture on a named interface)";
            default -> Integer.toString(linkType);
        };
    }
}
