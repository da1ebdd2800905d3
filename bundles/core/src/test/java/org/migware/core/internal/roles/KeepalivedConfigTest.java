package org.migware.core.internal.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class KeepalivedConfigTest {

    /** The two-host site of the README and of examples/keepalived/ in the distribution. */
    static final String[] PRIMARY = {"--interface", "eth0", "--address", "10.0.0.2", "--peer", "10.0.0.3",
        "--service-address", "10.0.0.100/24", "--priority", "200"};
    static final String[] BACKUP = {"--interface", "eth0", "--address", "10.0.0.3", "--peer", "10.0.0.2",
        "--service-address", "10.0.0.100/24", "--priority", "100", "--track-file", "/var/lib/migware/keepalived.track"};

    private static final Path EXAMPLES = Path.of(System.getProperty("user.dir")).resolve("../../distribution/src/main/dist/examples/keepalived");

    @Test
    void aWatchingHostTracksMigwaresFileWithWeightZero() {
        String backup = KeepalivedConfig.render(KeepalivedConfig.parse(BACKUP));
        assertTrue(backup.contains("vrrp_track_file migware {\n    file \"/var/lib/migware/keepalived.track\"\n"), backup);
        assertTrue(backup.contains("    weight 0\n    init_file 1\n"), backup);
        assertTrue(backup.contains("    track_file {\n        migware\n    }\n"), backup);
        assertTrue(backup.contains("    unicast_src_ip 10.0.0.3\n    unicast_peer {\n        10.0.0.2\n    }\n"), backup);
        assertTrue(backup.contains("        10.0.0.100/24 dev eth0\n"), backup);
        assertTrue(backup.contains("    nopreempt\n") && backup.contains("    priority 100\n") && backup.contains("    advert_int 0.1\n"), backup);
        assertTrue(backup.startsWith("# keepalived for MigWare, written by: bin/migware keepalived-config " + String.join(" ", BACKUP) + "\n"),
                backup);
        String primary = KeepalivedConfig.render(KeepalivedConfig.parse(PRIMARY));
        assertFalse(primary.contains("track_file"), primary);
    }

    /** The shipped example is what the command writes: the two never drift apart. */
    @Test
    void theShippedExampleIsWhatTheCommandWrites() throws Exception {
        assertEquals(KeepalivedConfig.render(KeepalivedConfig.parse(PRIMARY)), Files.readString(EXAMPLES.resolve("primary.conf")));
        assertEquals(KeepalivedConfig.render(KeepalivedConfig.parse(BACKUP)), Files.readString(EXAMPLES.resolve("backup.conf")));
    }

    @Test
    void mistakesAreSaidWithTheOption() {
        assertMessage("--peer 10.0.0.3 is this host's own --address", "--interface", "eth0", "--address", "10.0.0.3", "--peer", "10.0.0.3",
                "--service-address", "10.0.0.100/24", "--priority", "100");
        assertMessage("--service-address: an IPv4 address with its prefix length", "--interface", "eth0", "--address", "10.0.0.3",
                "--peer", "10.0.0.2", "--service-address", "10.0.0.100", "--priority", "100");
        assertMessage("--priority: 1-254", "--interface", "eth0", "--address", "10.0.0.3", "--peer", "10.0.0.2",
                "--service-address", "10.0.0.100/24", "--priority", "255");
        assertMessage("--address: an IPv4 address", "--interface", "eth0", "--address", "10.0.0.300", "--peer", "10.0.0.2",
                "--service-address", "10.0.0.100/24", "--priority", "100");
        assertMessage("--track-file: an absolute path", "--interface", "eth0", "--address", "10.0.0.3", "--peer", "10.0.0.2",
                "--service-address", "10.0.0.100/24", "--priority", "100", "--track-file", "relative.track");
        assertMessage("--peer: give every other host's address", "--interface", "eth0", "--address", "10.0.0.3",
                "--service-address", "10.0.0.100/24", "--priority", "100");
    }

    @Test
    void theCommandWritesTheFileOrExitsTwoWithTheUsage(@org.junit.jupiter.api.io.TempDir Path folder) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path file = folder.resolve("keepalived.conf");
        String[] args = java.util.stream.Stream.concat(List.of(BACKUP).stream(), java.util.stream.Stream.of("--out", file.toString()))
                .toArray(String[]::new);
        assertEquals(0, KeepalivedConfig.run(args, new PrintStream(out), new PrintStream(err)));
        assertEquals(KeepalivedConfig.render(KeepalivedConfig.parse(BACKUP)), Files.readString(file));
        assertEquals(2, KeepalivedConfig.run(new String[] {"--priority", "x"}, new PrintStream(out), new PrintStream(err)));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--priority: a number, not 'x'"));
    }

    private static void assertMessage(String expected, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeepalivedConfig.parse(args));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
