package org.migware.libc.internal;

/**
 * The numbers and structure layouts of Linux's packet sockets with a TPACKET_V3 receive ring
 * ({@code linux/if_packet.h}, {@code linux/if_ether.h}, {@code linux/filter.h},
 * {@code sys/mman.h}), the same on x86-64 and aarch64 (LP64). Offsets are in bytes; structures
 * are read and written in native byte order, except the network-order fields that say so.
 */
public final class PacketSocketLayout {

    public static final int AF_PACKET = 17;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 0x80000;
    /** Every protocol, in host order; the socket calls take it in network order ({@link Short#reverseBytes}). */
    public static final int ETH_P_ALL = 0x0003;
    public static final int ETH_P_8021Q = 0x8100;

    public static final int SOL_SOCKET = 1;
    public static final int SO_ATTACH_FILTER = 26;

    public static final int SOL_PACKET = 263;
    public static final int PACKET_ADD_MEMBERSHIP = 1;
    public static final int PACKET_RX_RING = 5;
    public static final int PACKET_STATISTICS = 6;
    public static final int PACKET_VERSION = 10;
    /** Since Linux 4.20: the socket gets no frame that this host sends. */
    public static final int PACKET_IGNORE_OUTGOING = 23;
    public static final int PACKET_MR_PROMISC = 1;
    public static final int TPACKET_V3 = 2;

    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x1;

    /** {@code struct tpacket_req3}: the ring's geometry, for PACKET_RX_RING. */
    public static final int REQ3_SIZE = 28;
    public static final int REQ3_BLOCK_SIZE = 0;
    public static final int REQ3_BLOCK_NR = 4;
    public static final int REQ3_FRAME_SIZE = 8;
    public static final int REQ3_FRAME_NR = 12;
    public static final int REQ3_RETIRE_BLK_TOV = 16;
    public static final int REQ3_SIZEOF_PRIV = 20;
    public static final int REQ3_FEATURE_REQ_WORD = 24;

    /** {@code struct tpacket_block_desc} with its {@code tpacket_hdr_v1}: the head of each block. */
    public static final int BLOCK_STATUS = 8;
    public static final int BLOCK_NUM_PKTS = 12;
    public static final int BLOCK_OFFSET_TO_FIRST_PKT = 16;
    /** TPACKET_ALIGN(sizeof(struct tpacket_block_desc)) rounded up generously: room the kernel keeps. */
    public static final int BLOCK_HEADER_ROOM = 64;

    /** {@code struct tpacket3_hdr}: the head of each frame in a block. */
    public static final int HDR3_NEXT_OFFSET = 0;
    public static final int HDR3_SEC = 4;
    public static final int HDR3_NSEC = 8;
    public static final int HDR3_SNAPLEN = 12;
    public static final int HDR3_LEN = 16;
    public static final int HDR3_STATUS = 20;
    public static final int HDR3_MAC = 24;
    public static final int HDR3_VLAN_TCI = 32;
    public static final int HDR3_VLAN_TPID = 36;
    /** TPACKET3_HDRLEN: the header and the sockaddr_ll after it, aligned; the frame starts beyond. */
    public static final int HDR3_ROOM = 68;

    /** Block and frame status bits. */
    public static final int TP_STATUS_KERNEL = 0;
    public static final int TP_STATUS_USER = 1;
    public static final int TP_STATUS_VLAN_VALID = 1 << 4;
    public static final int TP_STATUS_VLAN_TPID_VALID = 1 << 6;

    /** {@code struct tpacket_stats_v3}; reading it resets the kernel's counters. */
    public static final int STATS3_SIZE = 12;
    public static final int STATS3_PACKETS = 0;
    public static final int STATS3_DROPS = 4;
    public static final int STATS3_FREEZE_Q_CNT = 8;

    /** {@code struct sockaddr_ll}. */
    public static final int SLL_SIZE = 20;
    public static final int SLL_FAMILY = 0;
    /** network order */
    public static final int SLL_PROTOCOL = 2;
    public static final int SLL_IFINDEX = 4;
    public static final int SLL_HALEN = 11;

    /** {@code struct packet_mreq}. */
    public static final int MREQ_SIZE = 16;
    public static final int MREQ_IFINDEX = 0;
    public static final int MREQ_TYPE = 4;

    /** {@code struct sock_fprog { unsigned short len; struct sock_filter *filter; }} (and libpcap's
     * {@code struct bpf_program { u_int bf_len; struct bpf_insn *bf_insns; }}, whose instructions
     * have sock_filter's layout). */
    public static final int FPROG_SIZE = 16;
    public static final int FPROG_LEN = 0;
    public static final int FPROG_FILTER = 8;

    private PacketSocketLayout() {
    }
}
