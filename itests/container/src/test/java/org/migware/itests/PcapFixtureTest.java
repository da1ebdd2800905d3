package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fixture that feeds capture-file writes what it says (a plain Jupiter test, no container). */
class PcapFixtureTest {

    @Test
    void writesFiveFramesWithValidIpv4Checksums(@TempDir Path folder) throws IOException {
        byte[] file = Files.readAllBytes(PcapFixture.writeHandshakeAndRecord(folder.resolve("x.pcap")));
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);

        assertEquals(0xa1b2c3d4, in.getInt(0), "pcap magic");
        assertEquals(1, in.getInt(20), "link type Ethernet");
        int frames = 0;
        int offset = 24;
        while (offset < file.length) {
            int capturedLength = in.getInt(offset + 8);
            int frameStart = offset + 16;
            // an IPv4 header with a correct checksum sums to 0xffff (RFC 1071)
            long sum = 0;
            for (int i = 0; i < 20; i += 2) {
                sum += ((file[frameStart + 14 + i] & 0xff) << 8) | (file[frameStart + 14 + i + 1] & 0xff);
            }
            while ((sum >> 16) != 0) {
                sum = (sum & 0xffff) + (sum >> 16);
            }
            assertEquals(0xffff, sum, "IPv4 header checksum of frame " + frames);
            offset = frameStart + capturedLength;
            frames++;
        }
        assertEquals(file.length, offset, "records end at the end of the file");
        assertEquals(5, frames);
    }
}
