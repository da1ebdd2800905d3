package org.migware.lab.network;

import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * What the 802.1Q trunk of a {@link WireBox} ({@link LabNetwork#trunk}) did with the frames it read.
 *
 * @param vlanId the trunk's VLAN
 * @param tagged frames from the hub given the tag on their way to the role
 * @param untagged tagged frames from the role with the trunk's VLAN, sent on to the hub without the tag
 * @param droppedUntagged frames from the role without a tag (its own kernel's, as a trunk without a native VLAN drops them)
 * @param droppedOtherVlan frames from the role tagged with another VLAN, or with an 802.1ad (QinQ) outer tag
 * @param malformed frames shorter than an Ethernet header, dropped
 * @param nativeFrames frames to or from the role's own host that passed untagged, when the trunk has it on its
 *     native VLAN ({@link LabNetwork#trunkWithNativeHost})
 */
public record TrunkCounters(long vlanId, long tagged, long untagged, long droppedUntagged, long droppedOtherVlan,
        long malformed, long nativeFrames) {

    /** The stats file's prefix of these counters. */
    static final String PREFIX = "trunk";

    private static final String[] KEYS = {"vlanId", "tagged", "untagged", "droppedUntagged", "droppedOtherVlan", "malformed",
        "nativeFrames"};

    /** @return the counters by name, for a JSON report */
    public Map<String, Object> toMap() {
        return CounterLines.toMap(KEYS, values());
    }

    /** @param out receives one {@code trunk.name=value} line per counter */
    void appendTo(StringBuilder out) {
        CounterLines.append(PREFIX, KEYS, values(), out);
    }

    /**
     * @param p a stats file, loaded
     * @return its trunk counters; empty when the box had no trunk; a missing counter reads as -1
     */
    static Optional<TrunkCounters> from(Properties p) {
        if (p.getProperty(PREFIX + "." + KEYS[0]) == null) {
            return Optional.empty();
        }
        long[] v = CounterLines.read(PREFIX, KEYS, p);
        return Optional.of(new TrunkCounters(v[0], v[1], v[2], v[3], v[4], v[5], v[6]));
    }

    private long[] values() {
        return new long[] {vlanId, tagged, untagged, droppedUntagged, droppedOtherVlan, malformed, nativeFrames};
    }
}
