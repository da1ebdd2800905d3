package org.migware.capture.file.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.migware.capture.file.internal.PcapFileReader.Outcome.CORRUPT;
import static org.migware.capture.file.internal.PcapFileReader.Outcome.DROPPED;
import static org.migware.capture.file.internal.PcapFileReader.Outcome.END;
import static org.migware.capture.file.internal.PcapFileReader.Outcome.FRAME;
import static org.migware.capture.file.internal.PcapFileReader.Outcome.TRUNCATED;
import static org.migware.capture.file.internal.TestFiles.classicHeader;
import static org.migware.capture.file.internal.TestFiles.classicRecord;
import static org.migware.capture.file.internal.TestFiles.concat;
import static org.migware.capture.file.internal.TestFiles.enhancedPacket;
import static org.migware.capture.file.internal.TestFiles.frame;
import static org.migware.capture.file.internal.TestFiles.interfaceDescription;
import static org.migware.capture.file.internal.TestFiles.sectionHeader;
import static org.migware.capture.file.internal.TestFiles.simplePacket;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PcapFileReaderTest {

    private static final long T0 = 1_700_000_000_123_456_789L; // 2023-11-14, with every nanosecond digit set

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ classic pcap

    @ParameterizedTest
    @ValueSource(strings = {"BIG_ENDIAN", "LITTLE_ENDIAN"})
    void readsWhatTheWriterWroteInEitherByteOrder(String orderName) throws Exception {
        ByteOrder order = orderName.equals("BIG_ENDIAN") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        Path file = dir.resolve("w.pcap");
        int[] lengths = {60, 1514, 14, 9014};
        try (PcapFileWriter writer = new PcapFileWriter(file, order, PcapFileWriter.DEFAULT_SNAPSHOT_LENGTH)) {
            for (int i = 0; i < lengths.length; i++) {
                writer.write(frame(i, lengths[i]), 0, lengths[i], T0 + i * 1_000_001L);
            }
            assertEquals(lengths.length, writer.recordsWritten());
        }
        try (PcapFileReader reader = PcapFileReader.open(file)) {
            assertEquals(PcapFileReader.Format.PCAP, reader.format());
            assertEquals(order, reader.byteOrder());
            for (int i = 0; i < lengths.length; i++) {
                assertEquals(FRAME, reader.next(), "record " + i);
                assertFrame(reader, frame(i, lengths[i]), T0 + i * 1_000_001L);
            }
            assertEquals(END, reader.next());
            assertEquals(END, reader.next(), "stays at the end");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"BIG_ENDIAN", "LITTLE_ENDIAN"})
    void readsMicrosecondFilesInEitherByteOrder(String orderName) throws Exception {
        ByteOrder order = orderName.equals("BIG_ENDIAN") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        TestFiles.Bytes file = classicHeader(order, 0xA1B2C3D4, 65535, 1);
        classicRecord(file, 1_700_000_000L, 123_456L, frame(1, 60), 60);
        classicRecord(file, 1_700_000_001L, 999_999L, frame(2, 61), 61);
        try (PcapFileReader reader = PcapFileReader.open(write("micro.pcap", file.toArray()))) {
            assertEquals(order, reader.byteOrder());
            assertEquals(FRAME, reader.next());
            assertFrame(reader, frame(1, 60), 1_700_000_000_123_456_000L);
            assertEquals(FRAME, reader.next());
            assertFrame(reader, frame(2, 61), 1_700_000_001_999_999_000L);
            assertEquals(END, reader.next());
        }
    }

    @Test
    void aFileWithOnlyAHeaderHasNoFrames() throws Exception {
        Path file = dir.resolve("empty.pcap");
        new PcapFileWriter(file).close();
        assertEquals(24, Files.size(file));
        try (PcapFileReader reader = PcapFileReader.open(file)) {
            assertEquals(END, reader.next());
        }
    }

    @Test
    void aRecordCutShortAtTheEndIsTruncatedNotAnException() throws Exception {
        Path file = writeFrames("cut.pcap", 3);
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(whole, whole.length - 5)); // inside the last frame's data
        try (PcapFileReader reader = PcapFileReader.open(file)) {
            assertEquals(FRAME, reader.next());
            assertEquals(FRAME, reader.next());
            assertEquals(TRUNCATED, reader.next());
            assertTrue(reader.problem().contains("byte "), reader.problem());
            assertEquals(END, reader.next());
        }
    }

    @Test
    void aRecordHeaderCutShortIsTruncatedToo() throws Exception {
        Path file = writeFrames("cut-header.pcap", 1);
        Files.write(file, new byte[7], java.nio.file.StandardOpenOption.APPEND); // 7 of 16 header bytes
        try (PcapFileReader reader = PcapFileReader.open(file)) {
            assertEquals(FRAME, reader.next());
            assertEquals(TRUNCATED, reader.next());
        }
    }

    @Test
    void aFrameCutToTheSnapshotLengthIsDroppedWithItsReason() throws Exception {
        Path file = dir.resolve("snap.pcap");
        try (PcapFileWriter writer = new PcapFileWriter(file, ByteOrder.LITTLE_ENDIAN, 64)) {
            writer.write(frame(0, 100), 0, 100, T0);
            writer.write(frame(1, 64), 0, 64, T0 + 1);
        }
        try (PcapFileReader reader = PcapFileReader.open(file)) {
            assertEquals(DROPPED, reader.next());
            assertEquals(DropReasons.LONGER_THAN_SNAPLEN, reader.dropReason());
            assertEquals(64, reader.capturedLength());
            assertEquals(100, reader.originalLength());
            assertEquals(FRAME, reader.next());
            assertFrame(reader, frame(1, 64), T0 + 1);
        }
    }

    @Test
    void aRecordClaimingAnImpossibleLengthIsCorrupt() throws Exception {
        TestFiles.Bytes file = classicHeader(ByteOrder.BIG_ENDIAN, 0xA1B23C4D, 65535, 1);
        classicRecord(file, 1, 0, frame(0, 60), 60);
        file.u32(2).u32(0).u32(0x7000_0000L).u32(60); // 1.8 GB "captured"
        try (PcapFileReader reader = PcapFileReader.open(write("corrupt.pcap", file.toArray()))) {
            assertEquals(FRAME, reader.next());
            assertEquals(CORRUPT, reader.next());
            assertTrue(reader.problem().contains("1879048192"), reader.problem());
        }
    }

    @Test
    void framesLargerThanTheReadBufferAreRead() throws Exception {
        Path file = dir.resolve("big.pcap");
        int big = 3 * 1024 * 1024; // larger than the reader's 1 MiB start buffer
        try (PcapFileWriter writer = new PcapFileWriter(file, ByteOrder.BIG_ENDIAN, big)) {
            writer.write(frame(0, 100), 0, 100, T0);
            writer.write(frame(1, big), 0, big, T0 + 1);
            writer.write(frame(2, 100), 0, 100, T0 + 2);
        }
        try (PcapFileReader reader = PcapFileReader.open(file)) {
            assertEquals(FRAME, reader.next());
            assertEquals(FRAME, reader.next());
            assertFrame(reader, frame(1, big), T0 + 1);
            assertEquals(FRAME, reader.next());
            assertFrame(reader, frame(2, 100), T0 + 2);
        }
    }

    @Test
    void manyRecordsAcrossBufferRefillsKeepTheirOrder() throws Exception {
        Path file = writeFrames("many.pcap", 5000); // about 3.7 MB: several refills
        try (PcapFileReader reader = PcapFileReader.open(file)) {
            for (int i = 0; i < 5000; i++) {
                assertEquals(FRAME, reader.next());
                assertFrame(reader, frame(i, 60 + i % 1400), T0 + i);
            }
            assertEquals(END, reader.next());
        }
    }

    @Test
    void aNonEthernetLinkTypeIsRefusedClearly() throws Exception {
        byte[] sll = classicHeader(ByteOrder.LITTLE_ENDIAN, 0xA1B2C3D4, 65535, 113).toArray();
        Path file = write("any.pcap", sll);
        PcapFormatException e = assertThrows(PcapFormatException.class, () -> PcapFileReader.open(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("113 (LINUX_SLL"), e.getMessage());
        assertTrue(e.getMessage().contains("Ethernet captures only"), e.getMessage());
    }

    @Test
    void somethingElseIsNotAPcapFile() throws Exception {
        Path text = write("notes.txt", "this is not a capture\n".getBytes());
        PcapFormatException e = assertThrows(PcapFormatException.class, () -> PcapFileReader.open(text));
        assertTrue(e.getMessage().contains("is not a pcap or pcapng file"), e.getMessage());
        Path empty = write("empty", new byte[0]);
        e = assertThrows(PcapFormatException.class, () -> PcapFileReader.open(empty));
        assertTrue(e.getMessage().contains("0 bytes"), e.getMessage());
        Path shortHeader = write("short.pcap", Arrays.copyOf(classicHeader(ByteOrder.BIG_ENDIAN, 0xA1B2C3D4, 1, 1).toArray(), 20));
        e = assertThrows(PcapFormatException.class, () -> PcapFileReader.open(shortHeader));
        assertTrue(e.getMessage().contains("ends inside the pcap file header"), e.getMessage());
    }

    // ------------------------------------------------------------------ pcapng

    @Test
    void readsPcapngSectionsInterfacesAndPacketBlocks() throws Exception {
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        ByteOrder be = ByteOrder.BIG_ENDIAN;
        byte[] file = concat(
                // section 1, little-endian: an Ethernet interface in nanoseconds and a raw-IP one
                sectionHeader(le),
                interfaceDescription(le, 1, 65535, 9, 0),
                TestFiles.block(le, 0x00000004, new byte[] {0, 0, 0, 0}), // a Name Resolution Block: skipped
                enhancedPacket(le, 0, T0, frame(1, 60), 60),
                interfaceDescription(le, 101, 65535, -1, 0),
                enhancedPacket(le, 1, 1, frame(2, 40), 40), // raw IP: not ours
                enhancedPacket(le, 0, T0 + 5, frame(3, 61), 61),
                simplePacket(le, frame(4, 62)),
                enhancedPacket(le, 0, T0 + 6, frame(5, 60), 100), // cut by the snapshot length
                enhancedPacket(le, 7, T0 + 7, frame(6, 60), 60), // names an interface that was never described
                // section 2, big-endian: a new interface 0 in the default microseconds, offset by 10 s
                sectionHeader(be),
                interfaceDescription(be, 1, 0, -1, 10),
                enhancedPacket(be, 0, 1_700_000_000_000_001L, frame(7, 70), 70));
        try (PcapFileReader reader = PcapFileReader.open(write("mixed.pcapng", file))) {
            assertEquals(PcapFileReader.Format.PCAPNG, reader.format());
            assertEquals(FRAME, reader.next());
            assertFrame(reader, frame(1, 60), T0);
            assertEquals(DROPPED, reader.next());
            assertEquals(DropReasons.UNSUPPORTED_LINK_TYPE, reader.dropReason());
            assertEquals(FRAME, reader.next());
            assertFrame(reader, frame(3, 61), T0 + 5);
            assertEquals(FRAME, reader.next());
            assertFrame(reader, frame(4, 62), T0 + 5); // a Simple Packet has no time: the previous one's
            assertEquals(DROPPED, reader.next());
            assertEquals(DropReasons.LONGER_THAN_SNAPLEN, reader.dropReason());
            assertEquals(DROPPED, reader.next());
            assertEquals(DropReasons.CORRUPT_RECORD, reader.dropReason());
            assertEquals(FRAME, reader.next());
            assertEquals(ByteOrder.BIG_ENDIAN, reader.byteOrder());
            assertFrame(reader, frame(7, 70), 1_700_000_010_000_001_000L);
            assertEquals(END, reader.next());
        }
    }

    @Test
    void pcapngBinaryTimestampResolution() throws Exception {
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        long units = (1_700_000_000L << 20) | (1L << 19); // 2^-20 s units: half a second past
        byte[] file = concat(sectionHeader(le), interfaceDescription(le, 1, 65535, 0x80 | 20, 0),
                enhancedPacket(le, 0, units, frame(1, 60), 60));
        try (PcapFileReader reader = PcapFileReader.open(write("binary.pcapng", file))) {
            assertEquals(FRAME, reader.next());
            assertEquals(1_700_000_000_500_000_000L, reader.timestampNanos());
        }
    }

    @Test
    void pcapngWhoseFirstInterfaceIsNotEthernetIsRefused() throws Exception {
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        byte[] file = concat(sectionHeader(le), interfaceDescription(le, 276, 65535, 9, 0),
                enhancedPacket(le, 0, T0, frame(1, 60), 60));
        Path path = write("sll2.pcapng", file);
        PcapFormatException e = assertThrows(PcapFormatException.class, () -> PcapFileReader.open(path));
        assertTrue(e.getMessage().contains("276 (LINUX_SLL2"), e.getMessage());
    }

    @Test
    void pcapngBlockCutShortIsTruncated() throws Exception {
        ByteOrder be = ByteOrder.BIG_ENDIAN;
        byte[] whole = concat(sectionHeader(be), interfaceDescription(be, 1, 65535, 9, 0),
                enhancedPacket(be, 0, T0, frame(1, 60), 60), enhancedPacket(be, 0, T0, frame(2, 60), 60));
        try (PcapFileReader reader = PcapFileReader.open(write("cut.pcapng", Arrays.copyOf(whole, whole.length - 3)))) {
            assertEquals(FRAME, reader.next());
            assertEquals(TRUNCATED, reader.next());
        }
    }

    @Test
    void pcapngBlockWhoseTrailingLengthDisagreesIsCorrupt() throws Exception {
        ByteOrder be = ByteOrder.BIG_ENDIAN;
        byte[] whole = concat(sectionHeader(be), interfaceDescription(be, 1, 65535, 9, 0),
                enhancedPacket(be, 0, T0, frame(1, 60), 60));
        whole[whole.length - 1] ^= 4; // the trailing copy of the block length
        try (PcapFileReader reader = PcapFileReader.open(write("bad.pcapng", whole))) {
            assertEquals(CORRUPT, reader.next());
            assertTrue(reader.problem().contains("does not end with its own length"), reader.problem());
        }
    }

    // ------------------------------------------------------------------ helpers

    static void assertFrame(PcapFileReader reader, byte[] expected, long timestampNanos) {
        assertEquals(expected.length, reader.capturedLength());
        assertArrayEquals(expected, Arrays.copyOfRange(reader.frameArray(), reader.frameOffset(),
                reader.frameOffset() + reader.capturedLength()));
        assertEquals(timestampNanos, reader.timestampNanos());
    }

    private Path writeFrames(String name, int count) throws IOException {
        Path file = dir.resolve(name);
        try (PcapFileWriter writer = new PcapFileWriter(file)) {
            for (int i = 0; i < count; i++) {
                int length = 60 + i % 1400;
                writer.write(frame(i, length), 0, length, T0 + i);
            }
        }
        return file;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }
}
