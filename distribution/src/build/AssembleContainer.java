import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Build step of the distribution, run as a JDK single-file program (java AssembleContainer.java):
 * copies the bundles that bnd's resolver exported into the container's bundle/ folder, named
 * {@code <Bundle-SymbolicName>-<Bundle-Version>.jar}, and makes bin/* executable.
 *
 * <p>Why rename: the exporter keeps Maven's file names, so MigWare's bundles would be
 * {@code core-0.1.0-SNAPSHOT.jar} and {@code api-0.1.0-SNAPSHOT.jar}; operators, bin/migware
 * ({@code bundle/org.migware.core-*.jar}) and the itests look bundles up by symbolic name.
 *
 * <p>Usage: {@code java AssembleContainer.java <exported run bundles dir> <container dir>}
 */
public final class AssembleContainer {

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 4) {
            fail("usage: java AssembleContainer.java <exported run bundles dir> <container dir>"
                    + " [<hot-deployed symbolic names, comma-separated> [<those deployed by default>]]");
        }
        Path exported = Path.of(args[0]);
        Path container = Path.of(args[1]);
        // Hot-deployed bundles (the health monitors) are resolved with the rest, so the build
        // proves they can run, but live in monitors/ and, by default, deploy/: FileInstall
        // installs them, and an operator swaps one by moving a file.
        List<String> hotDeployed = args.length > 2 ? List.of(args[2].split(",")) : List.of();
        List<String> deployedByDefault = args.length > 3 ? List.of(args[3].split(",")) : List.of();
        if (!Files.isDirectory(exported)) {
            fail("no exported run bundles at " + exported + " (did bnd-export-maven-plugin run?)");
        }

        Path bundleDir = container.resolve("bundle");
        Files.createDirectories(bundleDir);
        // bundle/ is exactly the resolver's result: nothing left over from an earlier build.
        try (DirectoryStream<Path> old = Files.newDirectoryStream(bundleDir, "*.jar")) {
            for (Path jar : old) {
                Files.delete(jar);
            }
        }

        TreeMap<String, Path> byName = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(exported, "*.jar")) {
            for (Path jar : jars) {
                String name = bundleFileName(jar);
                if (name == null) {
                    problems.add(jar.getFileName() + " has no Bundle-SymbolicName: not an OSGi bundle");
                } else if (byName.putIfAbsent(name, jar) != null) {
                    problems.add(name + " twice: " + byName.get(name).getFileName() + " and " + jar.getFileName());
                }
            }
        }
        if (!problems.isEmpty()) {
            fail(String.join("\n", problems));
        }
        if (byName.isEmpty()) {
            fail("the resolver exported no bundle into " + exported);
        }
        Path monitorsDir = container.resolve("monitors");
        Path deployDir = container.resolve("deploy");
        Files.createDirectories(monitorsDir);
        Files.createDirectories(deployDir);
        clean(monitorsDir);
        for (String symbolicName : hotDeployed) {
            try (DirectoryStream<Path> old = Files.newDirectoryStream(deployDir, symbolicName + "-*.jar")) {
                for (Path jar : old) {
                    Files.delete(jar);
                }
            }
        }
        List<String> placedHot = new ArrayList<>();
        byName.forEach((name, jar) -> {
            String symbolicName = name.substring(0, name.lastIndexOf('-'));
            if (hotDeployed.contains(symbolicName)) {
                copy(jar, monitorsDir.resolve(name));
                if (deployedByDefault.contains(symbolicName)) {
                    copy(jar, deployDir.resolve(name));
                }
                placedHot.add(symbolicName);
            } else {
                copy(jar, bundleDir.resolve(name));
            }
        });
        if (!placedHot.containsAll(hotDeployed)) {
            fail("hot-deployed bundles missing from the resolver's result: " + hotDeployed + ", found " + placedHot);
        }

        Path bin = container.resolve("bin");
        if (Files.isDirectory(bin)) {
            try (DirectoryStream<Path> scripts = Files.newDirectoryStream(bin, path -> !path.toString().endsWith(".jar"))) {
                for (Path script : scripts) {
                    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
        }
        for (String folder : List.of("deploy", "etc", "var")) {
            Files.createDirectories(container.resolve(folder));
        }

        System.out.println("[migware] bundle/ of " + container + ":");
        byName.keySet().forEach(name -> System.out.println("[migware]   " + name
                + (hotDeployed.contains(name.substring(0, name.lastIndexOf('-'))) ? "  (monitors/)" : "")));
    }

    /** @return {@code bsn-version.jar}, or null when the jar is not a bundle */
    private static void clean(Path folder) throws IOException {
        try (DirectoryStream<Path> old = Files.newDirectoryStream(folder, "*.jar")) {
            for (Path jar : old) {
                Files.delete(jar);
            }
        }
    }

    static String bundleFileName(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            if (manifest == null) {
                return null;
            }
            Attributes main = manifest.getMainAttributes();
            String bsn = main.getValue("Bundle-SymbolicName");
            if (bsn == null || bsn.isBlank()) {
                return null;
            }
            int directives = bsn.indexOf(';');
            bsn = (directives < 0 ? bsn : bsn.substring(0, directives)).trim();
            String version = main.getValue("Bundle-Version");
            version = version == null || version.isBlank() ? "0.0.0" : version.trim();
            return bsn + "-" + version + ".jar";
        }
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void fail(String message) {
        System.err.println("[migware] " + message);
        System.exit(1);
    }
}
