package org.migware.lab.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.JavaCommand;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.LabFiles;

/** Without root the lab refuses with a message that says what to do, and creates nothing. */
@Timeout(30)
class PrerequisitesTest {

    @Test
    void rootWithIproute2HasEverything() {
        assertEquals(java.util.Optional.empty(), LabNetwork.prerequisitesMissing());
    }

    @Test
    void anUnprivilegedUserGetsAClearMessage() throws IOException {
        // Drop to nobody for one child JVM; needs util-linux's setpriv, as on Debian and most CI images.
        assumeTrue(Commands.findTool("setpriv").isPresent(), "setpriv is not installed");
        // nobody must be able to read the probe's classes: the build's own may sit in a checkout only root can
        // read (e.g. under /root), so the JVM runs from a world-readable copy of them.
        Path copy = Files.createTempDirectory("migware-prerequisites-probe");
        try {
            List<String> cmd = new ArrayList<>(List.of(Commands.tool("setpriv", "util-linux"), "--reuid=65534", "--regid=65534",
                    "--clear-groups"));
            cmd.addAll(worldReadable(JavaCommand.of(PrerequisitesProbe.class, List.of("-Xshare:auto"), List.of()), copy));
            ExecResult result = Commands.run(Duration.ofSeconds(20), cmd);
            assertTrue(result.ok(), result.describeFailure());
            assertTrue(result.stdout().startsWith("refused: the MigWare lab creates network namespaces and must run as root"),
                    result.stdout());
            assertEquals(List.of(), LabTestSupport.netnsWithPrefix("mwt-never"));
        } finally {
            LabFiles.deleteTree(copy);
        }
    }

    /**
     * The same Java command line with its classpath copied into {@code folder}, every directory 0755
     * and every file 0644, whatever the umask.
     */
    private static List<String> worldReadable(List<String> javaCommand, Path folder) throws IOException {
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> command = new ArrayList<>(javaCommand);
        int classpathAt = command.indexOf("-cp") + 1;
        List<String> copied = new ArrayList<>();
        int index = 0;
        for (String entry : command.get(classpathAt).split(File.pathSeparator)) {
            Path source = Path.of(entry);
            Path target = folder.resolve(index++ + "-" + source.getFileName());
            copyReadable(source, target);
            copied.add(target.toString());
        }
        command.set(classpathAt, String.join(File.pathSeparator, copied));
        return command;
    }

    private static void copyReadable(Path source, Path target) throws IOException {
        try (Stream<Path> paths = Files.walk(source)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path to = target.resolve(source.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(to);
                    Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwxr-xr-x"));
                } else {
                    Files.copy(path, to);
                    Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
        }
    }
}
