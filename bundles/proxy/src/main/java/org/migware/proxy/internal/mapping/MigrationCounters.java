package org.migware.proxy.internal.mapping;

/**
 * What the migration has counted so far: reported by the summary and kept across a restart of
 * the proxy bundle. Written under the engine's lock, like the mappings.
 */
public final class MigrationCounters {

    public int recovered;
    public int failed;
    public int passedThrough;
    /** Frames and packets not passed on: cut short, of no connection, or lost to a failed write; by reason in {@link #droppedBy}. */
    public long dropped;
    /** Not kept across a restart: {@link #dropped} by {@link DropReason}'s ordinal. */
    public final long[] droppedBy = new long[DropReason.values().length];
    /** Not kept across a restart: segments and payload bytes carried each way, ARP replies sent. */
    public long packetsToReplica;
    public long bytesToReplica;
    public long packetsToClient;
    public long bytesToClient;
    public long arpAnswers;
    public int notRecoverable;
    public int headsPrepended;
    public int headsMissing;
    public long bytesHandedOver;
    public int ecnRefused;
    /** Not kept across a restart: the resets sent for segments of no connection. */
    public long resetsSent;
    /** Not kept across a restart (replayed connections are not carried across one): replay's counts. */
    public int replayed;
    public int replayCaughtUp;
    public int replayDiverged;
    /** Connections whose delivery is {@code replay} but which could not be replayed: reset at failover. */
    public int resetAtFailover;
    public long replayBytesVerified;
    /** Resumed connections reset because their response was cut short by the failover. */
    public int midResponseResets;
    /** Resumed connections whose client, in PROXY, acknowledged more than the capture had seen: their offset was corrected. */
    public int clientAckCorrections;
    public long replayBytesDropped;
    /** Not kept across a restart: the replica's segments held while their client's own acknowledgement was awaited. */
    public long heldForClientAck;
    /** Client resets that were not at the replica's next expected byte: passed on, the mapping kept (RFC 5961). */
    public long resetsNotAtNextByte;
    /** Client IP fragments seen in PROXY: put together before they are passed on, never passed on in part. */
    public long fragmentsSeen;
    /** Connections re-created whose client had half-closed before the failover, and the FINs MigWare wrote to the replica for them (repeats included). */
    public int halfClosedRecovered;
    public long finsHandedOver;

    /** Counts one packet not carried. */
    public void drop(DropReason reason) {
        dropped++;
        droppedBy[reason.ordinal()]++;
    }

    /** @return the drops by reason, those never seen left out */
    public java.util.Map<String, Long> droppedByReason() {
        java.util.Map<String, Long> byReason = new java.util.TreeMap<>();
        for (DropReason reason : DropReason.values()) {
            if (droppedBy[reason.ordinal()] > 0) {
                byReason.put(reason.label(), droppedBy[reason.ordinal()]);
            }
        }
        return byReason;
    }

    /** Takes over the counters a previous activation saved (all but {@link #resetsSent}, which is not saved). */
    public void takeOver(MigrationCounters saved) {
        recovered = saved.recovered;
        failed = saved.failed;
        passedThrough = saved.passedThrough;
        dropped = saved.dropped;
        notRecoverable = saved.notRecoverable;
        headsPrepended = saved.headsPrepended;
        headsMissing = saved.headsMissing;
        bytesHandedOver = saved.bytesHandedOver;
        ecnRefused = saved.ecnRefused;
    }
}
