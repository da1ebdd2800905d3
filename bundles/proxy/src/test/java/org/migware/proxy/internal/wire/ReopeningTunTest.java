package org.migware.proxy.internal.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A failed TUN is opened again by its reader; writers fail fast meanwhile; closing ends it all. */
@Timeout(10)
class ReopeningTunTest {

    /** A TUN that hands out its packets, then fails (its interface deleted) or reports closed. */
    private static final class FakeTun implements Tun {
        final List<byte[]> packets = new ArrayList<>();
        final List<byte[]> written = new ArrayList<>();
        boolean failWhenEmpty = true;
        volatile boolean closed;

        /** @return a TUN with one packet of one byte, {@code id}, that fails (its interface deleted) or closes once empty */
        static FakeTun holding(int id, boolean failWhenEmpty) {
            FakeTun tun = new FakeTun();
            tun.packets.add(new byte[] {(byte) id});
            tun.failWhenEmpty = failWhenEmpty;
            return tun;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (closed) {
                return -1;
            }
            if (packets.isEmpty()) {
                if (failWhenEmpty) {
                    throw new IOException("read from TUN device mig0: File descriptor in bad state");
                }
                return -1;
            }
            byte[] p = packets.remove(0);
            System.arraycopy(p, 0, buffer, offset, p.length);
            return p.length;
        }

        @Override
        public int readIfQueued(byte[] buffer, int offset, int length) throws IOException {
            return closed || !packets.isEmpty() || failWhenEmpty ? read(buffer, offset, length) : 0;
        }

        @Override
        public void write(byte[] packet, int offset, int length) throws IOException {
            if (closed) {
                throw new IOException("TUN device mig0 is closed");
            }
            written.add(java.util.Arrays.copyOfRange(packet, offset, offset + length));
        }

        @Override
        public String name() {
            return "mig0";
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void aFailedTunIsOpenedAgainAndReadingAndWritingGoOn() throws Exception {
        FakeTun first = FakeTun.holding(1, true);
        FakeTun second = FakeTun.holding(2, false);
        AtomicInteger opens = new AtomicInteger();
        AtomicInteger refusals = new AtomicInteger(2);
        ReopeningTun tun = new ReopeningTun(() -> {
            if (opens.getAndIncrement() == 0) {
                return first;
            }
            if (refusals.getAndDecrement() > 0) {
                throw new TunUnavailableException("network interface mig0 already exists"); // the kernel is still tearing it down
            }
            return second;
        });
        byte[] buffer = new byte[16];
        assertEquals(1, tun.read(buffer, 0, buffer.length));
        assertEquals(1, buffer[0]);
        // the first fails: closed, opened again after two refusals, and the next packet comes from the new one
        assertEquals(1, tun.read(buffer, 0, buffer.length));
        assertEquals(2, buffer[0]);
        assertTrue(first.closed, "the failed TUN is closed before the new one is opened");
        assertEquals(4, opens.get(), "opened, refused twice, opened");
        assertEquals(1, tun.reopened());
        tun.write(new byte[] {7}, 0, 1);
        assertEquals(1, second.written.size(), "writes go to the new TUN");
        tun.close();
        assertTrue(second.closed);
        assertEquals(-1, tun.read(buffer, 0, buffer.length));
    }

    /**
     * The batch's look for more never waits for a reopening: a failure reads as "nothing queued",
     * and the reader's next waiting read finds it and opens the TUN again.
     */
    @Test
    void aFailureSeenWithoutWaitingIsLeftToTheWaitingRead() throws Exception {
        FakeTun first = FakeTun.holding(1, true);
        FakeTun second = FakeTun.holding(2, false);
        AtomicInteger opens = new AtomicInteger();
        ReopeningTun tun = new ReopeningTun(() -> opens.getAndIncrement() == 0 ? first : second);
        byte[] buffer = new byte[16];
        assertEquals(1, tun.readIfQueued(buffer, 0, buffer.length));
        assertEquals(1, buffer[0]);
        assertEquals(0, tun.readIfQueued(buffer, 0, buffer.length), "the failure, as nothing queued");
        assertEquals(1, opens.get(), "not opened again without waiting");
        assertEquals(1, tun.read(buffer, 0, buffer.length));
        assertEquals(2, buffer[0], "the waiting read opened it again");
        assertEquals(1, tun.reopened());
        tun.close();
        assertEquals(-1, tun.readIfQueued(buffer, 0, buffer.length), "closed for good");
    }

    @Test
    void aWriteWhileTheTunIsDownFailsAtOnce() throws Exception {
        FakeTun only = new FakeTun();
        ReopeningTun tun = new ReopeningTun(() -> only);
        only.close(); // deleted under us; the reader has not noticed yet
        assertThrows(IOException.class, () -> tun.write(new byte[] {7}, 0, 1));
    }

    @Test
    void closingStopsTheReopening() throws Exception {
        FakeTun first = new FakeTun();
        AtomicInteger opens = new AtomicInteger();
        ReopeningTun tun = new ReopeningTun(() -> {
            if (opens.getAndIncrement() == 0) {
                return first;
            }
            throw new TunUnavailableException("creating TUN device mig0 needs CAP_NET_ADMIN");
        });
        Thread reader = new Thread(() -> tun.read(new byte[16], 0, 16));
        reader.start();
        while (opens.get() < 3) {
            Thread.sleep(10);
        }
        tun.close();
        reader.join(7000);
        assertTrue(!reader.isAlive(), "the reader returns once the TUN is closed");
    }
}
