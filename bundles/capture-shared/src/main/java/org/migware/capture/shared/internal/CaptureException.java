package org.migware.capture.shared.internal;

/**
 * The capture backend (libpcap, or the kernel for the packet ring) refused to open or configure an
 * interface. The message says which interface and gives the backend's own words ("No such device
 * exists", "Operation not permitted"...), because those are what a person can act on; it is logged
 * as one line.
 */
public final class CaptureException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message what failed, naming the interface */
    public CaptureException(String message) {
        super(message, null, false, false);
    }
}
