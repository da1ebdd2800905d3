package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/migware check} of the built distribution (issue 11, point 4): one test per class of
 * problem, each with its exit status and its line, against an etc/ prepared here that is valid
 * but for the one problem. No container runs and no namespace is made: the replica is this
 * host's loopback, with a socket this test listens on as the replica's application.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ConfigCheckTest {

    @TempDir
    Path dir;
    private Path etc;
    private Path deploy;
    private Path fence;
    private ServerSocket replica;

    /** What the check printed and how it exited. */
    private record Outcome(int exit, List<String> lines, String stderr) {
    }

    @BeforeEach
    void validConfiguration() throws IOException {
        Path home = BuiltDistribution.home();
        etc = Files.createDirectories(dir.resolve("etc"));
        deploy = Files.createDirectories(dir.resolve("deploy"));
        try (Stream<Path> monitors = Files.list(home.resolve("monitors"))) {
            Path icmp = monitors.filter(p -> p.getFileName().toString().startsWith("org.migware.monitor.icmp-")).findFirst().orElseThrow();
            Files.copy(icmp, deploy.resolve(icmp.getFileName()));
        }
        // the shipped files (comments only), then the site's values
        try (Stream<Path> shipped = Files.list(home.resolve("etc"))) {
            for (Path file : shipped.toList()) {
                Files.copy(file, etc.resolve(file.getFileName()));
            }
        }
        replica = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        fence = dir.resolve("fence.sh");
        Files.writeString(fence, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(fence, PosixFilePermissions.fromString("rwxr-xr-x"));
        write("org.migware.service", "addresses = [\"127.0.0.1\"]", "ports = I[\"" + replica.getLocalPort() + "\"]");
        write("org.migware.capture.pcap4j", "interfaceName = lo");
        write("org.migware.proxy", "replicaAddress = 127.0.0.1", "framing = newline", "delivery.8443 = replay");
        write("org.migware.core.failover", "policy = quorum", "quorum = 1", "holdDownMillis = 1500", "fenceCommand = " + fence + " --off");
    }

    @AfterEach
    void closeReplica() throws IOException {
        replica.close();
    }

    private void write(String pid, String... lines) throws IOException {
        Files.write(etc.resolve(pid + ".cfg"), List.of(lines));
    }

    private Outcome check() throws Exception {
        Path home = BuiltDistribution.home();
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/migware").toString(), "check");
        builder.environment().put("MIGWARE_ETC", etc.toString());
        builder.environment().put("MIGWARE_DEPLOY", deploy.toString());
        builder.environment().put("MIGWARE_VAR", dir.resolve("var").toString());
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process process = builder.start();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "check ended");
        return new Outcome(process.exitValue(), stdout.lines().toList(), stderr);
    }

    private void assertProblem(String line) throws Exception {
        Outcome outcome = check();
        assertEquals(List.of(line), outcome.lines(), () -> "stderr: " + outcome.stderr());
        assertEquals(1, outcome.exit());
    }

    @Test
    void aValidConfigurationSaysSoAndExitsZero() throws Exception {
        Outcome outcome = check();
        assertEquals(List.of("configuration valid: " + etc), outcome.lines(), () -> "stderr: " + outcome.stderr());
        assertEquals(0, outcome.exit());
    }

    @Test
    void anUnknownKey() throws Exception {
        write("org.migware.core.failover", "policy = quorum", "holdDownMilis = 1500", "fenceCommand = " + fence);
        assertProblem("etc/org.migware.core.failover.cfg: holdDownMilis: unknown key (MigWare failover decision has: policy, quorum,"
                + " holdDownMillis, isolationSilenceMillis, isolationSettleMillis, dryRun, fenceCommand, fenceTimeoutMillis, fenceRetryMillis,"
                + " claimThroughKeepalived, claimTimeoutMillis, claimSettleMillis)");
    }

    @Test
    void aClaimThroughKeepalivedWithoutTheTrackFile() throws Exception {
        write("org.migware.core.failover", "claimThroughKeepalived = true", "fenceCommand = " + fence);
        assertProblem("etc/org.migware.core.failover.cfg: claimThroughKeepalived: claiming through keepalived needs the proxy's"
                + " directPath = true and its keepalivedTrackFile (etc/org.migware.proxy.cfg): MigWare releases keepalived through"
                + " that file; without it every claim would time out and no failover would happen");
    }

    @Test
    void aValueOfTheWrongType() throws Exception {
        write("org.migware.core.failover", "holdDownMillis = 1.5s", "fenceCommand = " + fence);
        assertProblem("etc/org.migware.core.failover.cfg: holdDownMillis: '1.5s' is not a Long (a whole number)");
    }

    @Test
    void aTypedValueOfTheWrongType() throws Exception {
        write("org.migware.service", "addresses = [\"127.0.0.1\"]", "ports = L[\"" + replica.getLocalPort() + "\"]");
        assertProblem("etc/org.migware.service.cfg: ports: written as Long, but it is Integer (typed: ports = I[\"...\"])");
    }

    @Test
    void aValueNotAmongTheOptions() throws Exception {
        write("org.migware.proxy", "replicaAddress = 127.0.0.1", "framing = lines");
        assertProblem("etc/org.migware.proxy.cfg: framing: 'lines' is not one of none, newline, length-prefixed-2, length-prefixed-4");
    }

    @Test
    void anAddressThatIsNoLiteral() throws Exception {
        write("org.migware.service", "addresses = [\"10.0.0.256\"]", "ports = I[\"" + replica.getLocalPort() + "\"]");
        assertProblem("etc/org.migware.service.cfg: addresses: '10.0.0.256' is not an IPv4 or IPv6 address");
    }

    @Test
    void aCaptureInterfaceThatDoesNotExist() throws Exception {
        write("org.migware.capture.pcap4j", "interfaceName = migcheck9");
        assertProblem("etc/org.migware.capture.pcap4j.cfg: interfaceName: no interface 'migcheck9' on this host");
    }

    @Test
    void aReplicaAddressOfAnotherHost() throws Exception {
        write("org.migware.proxy", "replicaAddress = 192.0.2.20");
        assertProblem("etc/org.migware.proxy.cfg: replicaAddress: 192.0.2.20 is not an address of this host (the replica runs on the backup)");
    }

    @Test
    void aReplicaThatDoesNotListen() throws Exception {
        int port = replica.getLocalPort();
        replica.close();
        assertProblem("etc/org.migware.proxy.cfg: replicaAddress: nothing listens on 127.0.0.1:" + port
                + " (Connection refused): the replica must run before a failover");
    }

    /** The direct path: the nft program must be there, and the track file's folder. */
    @Test
    void aDirectPathWithoutNftOrTheTrackFilesFolder() throws Exception {
        write("org.migware.proxy", "replicaAddress = 127.0.0.1", "directPath = true", "nftBinary = " + dir.resolve("no-nft"),
                "keepalivedTrackFile = " + dir.resolve("absent/keepalived.track"));
        Outcome outcome = check();
        assertEquals(List.of("etc/org.migware.proxy.cfg: nftBinary: directPath is on but " + dir.resolve("no-nft")
                + " does not exist: install nftables (Debian: nftables)",
                "etc/org.migware.proxy.cfg: keepalivedTrackFile: its folder " + dir.resolve("absent") + " does not exist"),
                outcome.lines(), () -> "stderr: " + outcome.stderr());
        assertEquals(1, outcome.exit());
        write("org.migware.proxy", "replicaAddress = 127.0.0.1", "directPath = true", "keepalivedTrackFile = " + dir.resolve("keepalived.track"));
        assertEquals(0, check().exit(), "nft on the PATH and the folder there: valid");
    }

    @Test
    void aFenceCommandThatIsNotExecutable() throws Exception {
        Files.setPosixFilePermissions(fence, PosixFilePermissions.fromString("rw-r--r--"));
        assertProblem("etc/org.migware.core.failover.cfg: fenceCommand: " + fence + " is not executable (chmod +x)");
    }

    @Test
    void aFenceCommandOthersCanChange() throws Exception {
        Files.setPosixFilePermissions(fence, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path real = fence.toRealPath();
        assertProblem("etc/org.migware.core.failover.cfg: fenceCommand: " + real + " is writable by its group and every user,"
                + " not only its owner: MigWare runs it (chmod go-w " + real + ")");
    }

    @Test
    void aSyncKeyOthersCanRead() throws Exception {
        Path key = dir.resolve("sync.key");
        Files.write(key, new byte[32]);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        write("org.migware.sync.client", "peerAddress = 127.0.0.2", "keyFile = " + key);
        assertProblem("etc/org.migware.sync.client.cfg: keyFile: the sync key file " + key + " has mode 0644: its group or every"
                + " user may use it, not only its owner; refused (chmod 600 " + key + ")");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Outcome taken = check();
        assertEquals(0, taken.exit(), () -> "a key only its owner reads is taken: " + taken.lines());
    }

    @Test
    void noMonitor() throws Exception {
        try (Stream<Path> jars = Files.list(deploy)) {
            for (Path jar : jars.toList()) {
                Files.delete(jar);
            }
        }
        assertProblem("deploy/: no health monitor is deployed: nothing would notice the primary fail (copy one from monitors/ into "
                + deploy + ")");
    }
}
