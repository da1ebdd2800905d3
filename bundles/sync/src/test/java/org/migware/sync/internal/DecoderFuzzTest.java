package org.migware.sync.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

/**
 * Random bytes into the frame reader and the payload decoders: no exception but "rejected" or
 * "end of channel", and no allocation from a length field (the reader's buffer is fixed; the
 * decoders read only what the payload holds).
 */
class DecoderFuzzTest {

    private static final byte[] KEY = "fuzz key, at least sixteen bytes".getBytes(StandardCharsets.US_ASCII);

    @Property(tries = 3000)
    void randomStreamsAreRejectedOrEnd(@ForAll @Size(max = 2000) byte[] bytes) {
        FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes));
        SessionMac mac = new SessionMac(KEY, new byte[SessionMac.SESSION_LENGTH]);
        try {
            reader.read(mac);
            throw new AssertionError("random bytes passed the HMAC");
        } catch (RejectedFrame | EOFException expected) {
            // what a bad stream must give
        } catch (IOException e) {
            throw new AssertionError("unexpected " + e, e);
        }
    }

    @Property(tries = 3000)
    void randomStreamsWithAValidHeaderToo(@ForAll @Size(max = 1200) byte[] tail, @ForAll byte type, @ForAll int length) {
        byte[] bytes = new byte[Frames.HEADER_LENGTH + tail.length];
        bytes[0] = 'M';
        bytes[1] = 'S';
        bytes[2] = Frames.VERSION;
        bytes[3] = type;
        Frames.putInt(bytes, Frames.LENGTH_OFFSET, length);
        System.arraycopy(tail, 0, bytes, Frames.HEADER_LENGTH, tail.length);
        try {
            new FrameReader(new ByteArrayInputStream(bytes)).read(new SessionMac(KEY, new byte[SessionMac.SESSION_LENGTH]));
            throw new AssertionError("random bytes passed the HMAC");
        } catch (RejectedFrame | EOFException expected) {
            // what a bad stream must give
        } catch (IOException e) {
            throw new AssertionError("unexpected " + e, e);
        }
    }

    @Property(tries = 5000)
    void randomPayloadsDecodeToAConnectionOrAProblem(@ForAll @Size(max = 300) byte[] payload) {
        ConnectionCodec.Decoded<?> entry = ConnectionCodec.decodeEntry(payload);
        assertTrue(entry.value() != null ^ entry.problem() != null);
        ConnectionCodec.Decoded<?> gone = ConnectionCodec.decodeGone(payload);
        assertTrue(gone.value() != null ^ gone.problem() != null);
    }

    @Property(tries = 2000)
    void mutatedEntriesDecodeToAConnectionOrAProblem(@ForAll int position, @ForAll byte value) {
        byte[] entry = ConnectionCodec.encodeEntry(Connections.established(40000, 1, 2));
        entry[Math.floorMod(position, entry.length)] = value;
        ConnectionCodec.Decoded<?> decoded = ConnectionCodec.decodeEntry(entry);
        assertTrue(decoded.value() != null ^ decoded.problem() != null);
    }
}
