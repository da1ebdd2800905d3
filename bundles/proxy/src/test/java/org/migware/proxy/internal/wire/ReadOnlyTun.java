package org.migware.proxy.internal.wire;

/** For tests: a fake TUN that is only read; what is written to it goes nowhere. */
public interface ReadOnlyTun extends Tun {

    @Override
    default void write(byte[] packet, int offset, int length) {
    }

    @Override
    default String name() {
        return "mig0";
    }

    @Override
    default void close() {
    }
}
