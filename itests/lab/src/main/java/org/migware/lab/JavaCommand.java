package org.migware.lab;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The command line that runs a class's {@code main} in a JVM of its own, as the lab starts its tools. */
public final class JavaCommand {

    private JavaCommand() {
    }

    /**
     * The command line that runs {@code mainClass} in a fresh JVM of the running Java, with a
     * classpath made of the code sources of {@code mainClass} and of this library.
     *
     * @param mainClass the class with {@code main}
     * @param jvmOptions options placed before the class name
     * @param args the program's arguments
     * @return the command line
     */
    public static List<String> of(Class<?> mainClass, List<String> jvmOptions, List<String> args) {
        return of(mainClass, jvmOptions, List.of(), args);
    }

    /**
     * As {@link #of(Class, List, List)}, with more classpath entries after the two.
     *
     * @param mainClass the class with {@code main}
     * @param jvmOptions options placed before the class name
     * @param extraClasspath more jars or directories, e.g. a library's {@link #classpathOf}
     * @param args the program's arguments
     * @return the command line
     */
    public static List<String> of(Class<?> mainClass, List<String> jvmOptions, List<String> extraClasspath,
            List<String> args) {
        Set<String> classpath = new LinkedHashSet<>();
        classpath.add(classpathOf(mainClass));
        classpath.add(classpathOf(JavaCommand.class));
        classpath.addAll(extraClasspath);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, classpath));
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Where a class was loaded from, as a classpath entry: {@code target/classes} when run from the
     * build, the jar when run from a jar.
     *
     * @param type a class loaded from a directory or a jar
     * @return the directory or jar path
     * @throws LabException when the class has no file code source (e.g. a JDK class)
     */
    public static String classpathOf(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            throw new LabException("cannot tell where " + type.getName() + " was loaded from (no code source)");
        }
        try {
            return Path.of(source.getLocation().toURI()).toString();
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new LabException("code source of " + type.getName() + " is not a file: " + source.getLocation(), e);
        }
    }
}
