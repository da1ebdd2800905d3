package org.migware.lab.oracles;

import java.util.List;
import java.util.OptionalInt;

/**
 * The TCP options one side put in its SYN (or SYN-ACK): what the two stacks negotiated and what
 * a forged handshake must reproduce.
 *
 * @param mss the MSS option's value, if present
 * @param windowScale the window-scale shift, if present
 * @param sackPermitted whether SACK-permitted was present
 * @param timestamps whether the timestamps option was present
 * @param tsval the SYN's TSval, -1 without timestamps
 * @param kinds every option kind in the SYN, in order (NOP = 1 included), e.g. [2, 4, 8, 1, 3]
 */
public record SynOptions(OptionalInt mss, OptionalInt windowScale, boolean sackPermitted, boolean timestamps,
                         long tsval, List<Integer> kinds) {

    /** The options of a side whose SYN was not captured: nothing known. */
    public static final SynOptions NONE = new SynOptions(OptionalInt.empty(), OptionalInt.empty(), false, false, -1, List.of());
}
