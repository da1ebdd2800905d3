package org.migware.api.wire;

/**
 * TCP option kinds and lengths. EOL (0) and NOP (1) are one byte; every other option is kind,
 * length (counting kind and length) and value.
 *
 * <pre>
 *   MSS            |  2  |  4  |  MSS (16)   |                 RFC 9293
 *   Window scale   |  3  |  3  | shift |                       RFC 7323
 *   SACK-permitted |  4  |  2  |                               RFC 2018
 *   SACK           |  5  | 2+8n| n x (left edge, right edge)   RFC 2018, n = 1..4
 *   Timestamps     |  8  | 10  | TSval (32) | TSecr (32) |     RFC 7323
 *   TCP-MD5        | 19  | 18  | digest (16 bytes)             RFC 2385
 *   TCP-AO         | 29  | &gt;=4 | KeyID | RNextKeyID | MAC      RFC 5925
 *   MPTCP          | 30  | ... |                               RFC 8684
 *   Fast Open      | 34  | ... |                               RFC 7413
 * </pre>
 */
public final class TcpOption {

    public static final int LENGTH_OFFSET = 1;
    public static final int VALUE_OFFSET = 2;
    /** Kind and length. */
    public static final int MIN_LENGTH = 2;

    public static final int EOL = 0;
    public static final int NOP = 1;
    public static final int MSS = 2;
    public static final int MSS_LENGTH = 4;
    public static final int WINDOW_SCALE = 3;
    public static final int WINDOW_SCALE_LENGTH = 3;
    /** RFC 7323 §2.3: a larger shift count is used as 14. */
    public static final int MAX_WINDOW_SCALE = 14;
    public static final int SACK_PERMITTED = 4;
    public static final int SACK_PERMITTED_LENGTH = 2;
    public static final int SACK = 5;
    public static final int SACK_BLOCK_LENGTH = 8;
    /** Offset of a block's right edge from its left edge. */
    public static final int SACK_RIGHT_EDGE_OFFSET = 4;
    /** RFC 2018: a SACK option carries 1 to 4 blocks (40 option bytes leave room for 4). */
    public static final int MAX_SACK_BLOCKS = 4;
    public static final int TIMESTAMPS = 8;
    public static final int TIMESTAMPS_LENGTH = 10;
    public static final int TIMESTAMP_VALUE_OFFSET = 2;
    public static final int TIMESTAMP_ECHO_REPLY_OFFSET = 6;
    public static final int MD5 = 19;
    public static final int MD5_LENGTH = 18;
    public static final int AUTHENTICATION = 29;
    public static final int AUTHENTICATION_MIN_LENGTH = 4;
    public static final int MULTIPATH = 30;
    public static final int FAST_OPEN = 34;

    private TcpOption() {
    }
}
