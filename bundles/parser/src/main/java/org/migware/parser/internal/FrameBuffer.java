package org.migware.parser.internal;

/**
 * The bytes of the frame being parsed, held once for the composing packet and all its header
 * views: binding a new frame is then one reference store per packet, not one per view (each
 * such store costs a GC write barrier on the per-packet path).
 */
final class FrameBuffer {

    /** Bound to an unbound view and to a null frame, so that the bytes are never null. */
    static final byte[] NO_BYTES = new byte[0];

    byte[] bytes = NO_BYTES;
}
