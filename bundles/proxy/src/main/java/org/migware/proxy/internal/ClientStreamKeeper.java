package org.migware.proxy.internal;

import java.util.Arrays;

import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.packet.ParseResult;
import org.migware.api.packet.ParsedPacket;

/**
 * Keeps, for every client connection to the service, the client's bytes that RECOVERY may have
 * to hand to the replica itself, as they pass on the wire before failover:
 * <ul>
 * <li>the bytes the primary has not acknowledged yet. The client will send them again, but only
 * when its retransmission timer fires (200 ms and more, doubling while the primary was silent):
 * handed over at once, the replica's acknowledgement releases the client immediately. They also
 * cover the case where the capture missed the primary's last ACK — the client then retransmits
 * from a point the replica has not reached, which would otherwise stall the connection;</li>
 * <li>with a {@link RecordFraming}, also the head of the record in progress at the primary's
 * acknowledgement (acknowledged, so the client will never send it again), so that the replica's
 * application never receives a torn first record.</li>
 * </ul>
 *
 * <p>Called on the capture thread for every frame until failover. Per connection it holds one
 * growable buffer (trimmed as the primary acknowledges, so its size is what is in flight plus one
 * record head) and a ring of record starts; nothing is allocated per packet once a connection's
 * buffer has reached its working size. Sequence arithmetic is modulo 2^32 throughout.
 */
final class ClientStreamKeeper {

    /**
     * What is kept of one connection's stream at failover.
     *
     * @param firstSeq the client sequence number of {@code bytes[0]}
     * @param bytes the client's bytes from {@code firstSeq} on, contiguous
     * @param headProblem with a framing, why the record head could not be kept (the replica's
     *     application may then see a torn first record); {@code null} when there is none
     */
    record Retained(int firstSeq, byte[] bytes, String headProblem) {
    }

    private static final byte[] EMPTY = new byte[0];
    private static final int FIRST_BUFFER = 512;

    /** One client's stream. */
    private static final class Stream {
        byte[] buffer = EMPTY;
        /** buffer[head, tail) holds the client's bytes from {@code firstSeq} on. */
        int head;
        int tail;
        int firstSeq;
        /** The sequence number after the last contiguous byte seen (and parsed for framing). */
        int parsedEnd;
        /** False after the buffer overflowed: bytes from its end up to parsedEnd were not kept. */
        boolean retaining = true;
        boolean ackSeen;
        int acked;
        /** The record boundaries are known from the stream's start or a resynchronisation on. */
        boolean framingSynced;
        /** The latest record start at or before {@code acked}, if {@code haveHead}. */
        int headBoundary;
        boolean haveHead;
        /** Record starts after {@code acked}, oldest first. */
        int[] boundaries = new int[4];
        int boundaryFirst;
        int boundaryCount;
        /** Length-prefixed framing: bytes of the prefix read so far, its value, the body left. */
        int prefixRead;
        long prefixValue;
        long bodyLeft;

        int retainedEnd() {
            return firstSeq + (tail - head);
        }
    }

    private final RecordFraming framing;
    private final int maxBytesPerConnection;
    private final int maxConnections;
    private final ServiceEndpoints service;
    private final ParsedPacket view;
    private final LongMap<Stream> streams = new LongMap<>();
    private long gaps;
    private long overflows;
    private long connectionsNotKept;

    /**
     * @param framing the service's record framing
     * @param maxBytesPerConnection the most bytes kept per connection (a bulk sender's flight
     *     beyond it is not kept: the client retransmits it as usual)
     * @param maxConnections the most connections kept
     * @param service which endpoints are the service's
     * @param view a parser view of the keeper's own
     */
    ClientStreamKeeper(RecordFraming framing, int maxBytesPerConnection, int maxConnections, ServiceEndpoints service,
            ParsedPacket view) {
        this.framing = framing;
        this.maxBytesPerConnection = maxBytesPerConnection;
        this.maxConnections = maxConnections;
        this.service = service;
        this.view = view;
    }

    /** One captured frame; anything but TCP over IPv4 to or from the service is ignored. */
    synchronized void observe(byte[] frame, int offset, int length) {
        ParsedPacket p = view;
        if (p.parse(frame, offset, length) != ParseResult.TCP || p.ipVersion() != 4) {
            return;
        }
        if (service.isService(p.destinationAddressHigh(), p.destinationAddressLow(), p.destinationPort())) {
            fromClient(p, MigrationEngine.clientKey(p.sourceIpv4(), p.sourcePort(), p.destinationPort()));
        } else if (service.isService(p.sourceAddressHigh(), p.sourceAddressLow(), p.sourcePort())) {
            fromService(p, MigrationEngine.clientKey(p.destinationIpv4(), p.destinationPort(), p.sourcePort()));
        }
    }

    private void fromClient(ParsedPacket p, long key) {
        if (p.hasFlags(ParsedPacket.RST) || p.hasFlags(ParsedPacket.FIN)) {
            // A closing connection is not re-created; nothing of it is needed.
            streams.remove(key);
            return;
        }
        Stream s = streams.get(key);
        if (p.hasFlags(ParsedPacket.SYN)) {
            if (s == null && streams.size() >= maxConnections) {
                connectionsNotKept++;
                return;
            }
            s = new Stream();
            int start = p.sequenceNumber() + 1;
            s.firstSeq = start;
            s.parsedEnd = start;
            s.framingSynced = true;
            s.headBoundary = start;
            s.haveHead = true;
            streams.put(key, s);
            return;
        }
        int length = p.capturedPayloadLength();
        if (length <= 0) {
            return;
        }
        if (s == null) {
            // A connection older than this keeper (or than its last restart): start where we are.
            if (streams.size() >= maxConnections) {
                connectionsNotKept++;
                return;
            }
            s = new Stream();
            restartAt(s, p.sequenceNumber());
            streams.put(key, s);
        }
        int seq = p.sequenceNumber();
        int skip = s.parsedEnd - seq;
        if (skip < 0) {
            // Bytes between parsedEnd and seq never reached us (capture loss): what follows is kept,
            // but record boundaries are unknown until the framing can resynchronise.
            gaps++;
            restartAt(s, seq);
            skip = 0;
        }
        if (skip >= length) {
            return; // a retransmission of bytes already seen
        }
        byte[] data = p.buffer();
        int from = p.payloadOffset() + skip;
        int count = length - skip;
        scanFraming(s, data, from, count, seq + skip);
        append(s, data, from, count);
        // A payload cut by the snapshot length leaves a gap that the next segment reveals.
        s.parsedEnd = seq + length;
    }

    private void fromService(ParsedPacket p, long key) {
        if (p.hasFlags(ParsedPacket.RST)) {
            streams.remove(key);
            return;
        }
        if (!p.hasFlags(ParsedPacket.ACK)) {
            return;
        }
        Stream s = streams.get(key);
        if (s == null) {
            return;
        }
        int ack = p.acknowledgementNumber();
        if (s.ackSeen && ack - s.acked <= 0) {
            return;
        }
        s.ackSeen = true;
        s.acked = ack;
        while (s.boundaryCount > 0 && s.boundaries[s.boundaryFirst] - ack <= 0) {
            s.headBoundary = s.boundaries[s.boundaryFirst];
            s.haveHead = true;
            s.boundaryFirst = (s.boundaryFirst + 1) & (s.boundaries.length - 1);
            s.boundaryCount--;
        }
        int keepFrom = framing != RecordFraming.NONE && s.framingSynced && s.haveHead ? s.headBoundary : ack;
        trim(s, keepFrom);
    }

    /** Drops what lies before {@code keepFrom}; restarts keeping once an overflowed buffer has emptied. */
    private void trim(Stream s, int keepFrom) {
        int drop = keepFrom - s.firstSeq;
        if (drop <= 0) {
            return;
        }
        int kept = s.tail - s.head;
        if (drop >= kept) {
            s.head = 0;
            s.tail = 0;
            if (s.retaining) {
                s.firstSeq = keepFrom - s.parsedEnd > 0 ? s.parsedEnd : keepFrom;
            } else {
                // The bytes from the overflow on were never kept: keep again from where we are.
                s.firstSeq = s.parsedEnd;
                s.retaining = true;
            }
            return;
        }
        s.head += drop;
        s.firstSeq = keepFrom;
    }

    private void restartAt(Stream s, int seq) {
        s.head = 0;
        s.tail = 0;
        s.firstSeq = seq;
        s.parsedEnd = seq;
        s.retaining = true;
        s.boundaryCount = 0;
        s.boundaryFirst = 0;
        s.haveHead = false;
        // A newline resynchronises at the next '\n'; a length prefix cannot be found again.
        s.framingSynced = framing == RecordFraming.NONE;
        s.prefixRead = 0;
        s.bodyLeft = 0;
    }

    private void scanFraming(Stream s, byte[] data, int from, int count, int seq) {
        switch (framing) {
            case NONE -> { }
            case NEWLINE -> {
                for (int i = 0; i < count; i++) {
                    if (data[from + i] == '\n') {
                        s.framingSynced = true;
                        boundary(s, seq + i + 1);
                    }
                }
            }
            case LENGTH_PREFIXED_2, LENGTH_PREFIXED_4 -> {
                if (!s.framingSynced) {
                    return;
                }
                int prefix = framing.lengthBytes();
                int i = 0;
                while (i < count) {
                    if (s.prefixRead < prefix) {
                        s.prefixValue = s.prefixRead == 0 ? 0 : s.prefixValue;
                        s.prefixValue = s.prefixValue << 8 | (data[from + i] & 0xff);
                        s.prefixRead++;
                        i++;
                        if (s.prefixRead == prefix) {
                            s.bodyLeft = s.prefixValue;
                            if (s.bodyLeft == 0) {
                                s.prefixRead = 0;
                                boundary(s, seq + i);
                            }
                        }
                    } else {
                        long take = Math.min(s.bodyLeft, count - i);
                        i += (int) take;
                        s.bodyLeft -= take;
                        if (s.bodyLeft == 0) {
                            s.prefixRead = 0;
                            boundary(s, seq + i);
                        }
                    }
                }
            }
            default -> throw new IllegalStateException("framing " + framing);
        }
    }

    private static void boundary(Stream s, int seq) {
        if (s.ackSeen && seq - s.acked <= 0) {
            s.headBoundary = seq;
            s.haveHead = true;
            return;
        }
        if (s.boundaryCount == s.boundaries.length) {
            int[] bigger = new int[s.boundaries.length * 2];
            for (int i = 0; i < s.boundaryCount; i++) {
                bigger[i] = s.boundaries[(s.boundaryFirst + i) & (s.boundaries.length - 1)];
            }
            s.boundaries = bigger;
            s.boundaryFirst = 0;
        }
        s.boundaries[(s.boundaryFirst + s.boundaryCount) & (s.boundaries.length - 1)] = seq;
        s.boundaryCount++;
    }

    private void append(Stream s, byte[] data, int from, int count) {
        if (!s.retaining) {
            return;
        }
        int kept = s.tail - s.head;
        if (kept + count > maxBytesPerConnection) {
            overflows++;
            s.retaining = false;
            return;
        }
        if (s.tail + count > s.buffer.length) {
            if (kept + count <= s.buffer.length / 2) {
                System.arraycopy(s.buffer, s.head, s.buffer, 0, kept);
            } else {
                int size = Math.max(FIRST_BUFFER, s.buffer.length);
                while (size < kept + count) {
                    size *= 2;
                }
                byte[] bigger = new byte[Math.min(size, Math.max(maxBytesPerConnection, kept + count))];
                System.arraycopy(s.buffer, s.head, bigger, 0, kept);
                s.buffer = bigger;
            }
            s.head = 0;
            s.tail = kept;
        }
        System.arraycopy(data, from, s.buffer, s.tail, count);
        s.tail += count;
    }

    /**
     * What the replica should be given for one connection, whose re-created stream resumes at
     * {@code resume} (the first client byte the primary did not acknowledge).
     *
     * @return the bytes from the record start at or before {@code resume} (with a framing) or from
     *     {@code resume} on; empty bytes starting at {@code resume}, with the reason, when nothing
     *     usable was kept
     */
    synchronized Retained retained(int clientAddress, int clientPort, int servicePort, int resume) {
        Stream s = streams.get(MigrationEngine.clientKey(clientAddress, clientPort, servicePort));
        if (s == null) {
            return new Retained(resume, EMPTY, framing == RecordFraming.NONE ? null : "none of its bytes were seen");
        }
        int start = resume;
        String problem = null;
        if (framing != RecordFraming.NONE) {
            int boundary = s.haveHead ? s.headBoundary : 0;
            boolean found = s.haveHead && s.framingSynced && boundary - resume <= 0;
            for (int i = 0; i < s.boundaryCount; i++) {
                int b = s.boundaries[(s.boundaryFirst + i) & (s.boundaries.length - 1)];
                if (b - resume <= 0) {
                    boundary = b;
                    found = true;
                }
            }
            if (!found) {
                problem = s.framingSynced ? "the start of its record in progress was not seen"
                        : framing == RecordFraming.NEWLINE ? "no record end seen since bytes were missed (or since MigWare started)"
                        : "record lengths lost: bytes were missed (or MigWare started after the connection)";
            } else if (boundary - s.firstSeq < 0) {
                problem = "the head of its record in progress was not kept (" + (resume - boundary) + " bytes)";
            } else {
                start = boundary;
            }
        }
        int end = s.retainedEnd();
        if (start - s.firstSeq < 0 || end - start <= 0) {
            return new Retained(resume, EMPTY, problem);
        }
        int from = s.head + (start - s.firstSeq);
        return new Retained(start, Arrays.copyOfRange(s.buffer, from, s.tail), problem);
    }

    // ---- kept across a restart of the proxy bundle before failover ----

    private static final int STATE_MAGIC = 0x4d47_4b50; // "MGKP"
    private static final int STATE_VERSION = 1;

    /**
     * Writes every stream: after an update or restart of the proxy bundle in NORMAL,
     * {@link #restore} carries on with the same bytes and record boundaries. Without them a
     * length-prefixed stream could not find its records again (its lengths are in bytes already
     * gone), and newline framing would wait for the next newline. A connection that sent bytes
     * while no keeper was listening shows a gap on its next segment and is treated like any gap.
     */
    synchronized void save(java.io.DataOutputStream out) throws java.io.IOException {
        out.writeInt(STATE_MAGIC);
        out.writeInt(STATE_VERSION);
        out.writeUTF(framing.configName());
        out.writeLong(gaps);
        out.writeLong(overflows);
        out.writeLong(connectionsNotKept);
        out.writeInt(streams.size());
        java.io.IOException[] failed = {null};
        streams.forEach((key, s) -> {
            if (failed[0] != null) {
                return;
            }
            try {
                out.writeLong(key);
                out.writeInt(s.firstSeq);
                out.writeInt(s.tail - s.head);
                out.write(s.buffer, s.head, s.tail - s.head);
                out.writeInt(s.parsedEnd);
                out.writeBoolean(s.retaining);
                out.writeBoolean(s.ackSeen);
                out.writeInt(s.acked);
                out.writeBoolean(s.framingSynced);
                out.writeInt(s.headBoundary);
                out.writeBoolean(s.haveHead);
                out.writeInt(s.boundaryCount);
                for (int i = 0; i < s.boundaryCount; i++) {
                    out.writeInt(s.boundaries[(s.boundaryFirst + i) & (s.boundaries.length - 1)]);
                }
                out.writeInt(s.prefixRead);
                out.writeLong(s.prefixValue);
                out.writeLong(s.bodyLeft);
            } catch (java.io.IOException e) {
                failed[0] = e;
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
    }

    /**
     * Takes over what {@link #save} wrote, into this (fresh) keeper.
     *
     * @return the number of streams restored
     * @throws java.io.IOException when the state is unreadable, of another version, or kept for
     *     another framing (its boundaries would mean nothing)
     */
    synchronized int restore(java.io.DataInputStream in) throws java.io.IOException {
        if (in.readInt() != STATE_MAGIC || in.readInt() != STATE_VERSION) {
            throw new java.io.IOException("not a client stream state of version " + STATE_VERSION);
        }
        String savedFraming = in.readUTF();
        if (!savedFraming.equals(framing.configName())) {
            throw new java.io.IOException("kept for framing " + savedFraming + ", now " + framing.configName());
        }
        gaps = in.readLong();
        overflows = in.readLong();
        connectionsNotKept = in.readLong();
        int count = in.readInt();
        if (count < 0 || count > maxConnections) {
            throw new java.io.IOException(count + " streams, more than the " + maxConnections + " kept now");
        }
        for (int n = 0; n < count; n++) {
            long key = in.readLong();
            Stream s = new Stream();
            s.firstSeq = in.readInt();
            int kept = in.readInt();
            if (kept < 0 || kept > maxBytesPerConnection) {
                throw new java.io.IOException(kept + " bytes kept for one stream, more than the " + maxBytesPerConnection + " allowed now");
            }
            s.buffer = kept == 0 ? EMPTY : new byte[Math.max(FIRST_BUFFER, kept)];
            in.readFully(s.buffer, 0, kept);
            s.head = 0;
            s.tail = kept;
            s.parsedEnd = in.readInt();
            s.retaining = in.readBoolean();
            s.ackSeen = in.readBoolean();
            s.acked = in.readInt();
            s.framingSynced = in.readBoolean();
            s.headBoundary = in.readInt();
            s.haveHead = in.readBoolean();
            int boundaries = in.readInt();
            if (boundaries < 0 || boundaries > 1 << 24) {
                throw new java.io.IOException(boundaries + " record boundaries for one stream");
            }
            for (int i = 0; i < boundaries; i++) {
                boundary(s, in.readInt());
            }
            s.prefixRead = in.readInt();
            s.prefixValue = in.readLong();
            s.bodyLeft = in.readLong();
            streams.put(key, s);
        }
        return count;
    }

    /** @return connections whose streams are kept */
    synchronized int connections() {
        return streams.size();
    }

    /** @return times bytes were missed in a client's stream (capture loss or snapshot length) */
    synchronized long gaps() {
        return gaps;
    }

    /** @return times a connection's flight exceeded the bytes kept per connection */
    synchronized long overflows() {
        return overflows;
    }

    /** @return connections not kept because the limit was reached */
    synchronized long connectionsNotKept() {
        return connectionsNotKept;
    }

    /** @return which endpoints are the service's */
    ServiceEndpoints service() {
        return service;
    }

    /** @return the framing the keeper follows */
    RecordFraming framing() {
        return framing;
    }
}
