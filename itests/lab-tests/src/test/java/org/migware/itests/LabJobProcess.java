package org.migware.itests;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import com.google.gson.JsonParser;
import org.migware.lab.JavaCommand;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.report.LabJob;

/**
 * {@code migware lab} started as bin/migware starts it: {@link LabJob} in a JVM of its own with the
 * lab's and the report's jars and Gson, against the built distribution; its output in files.
 *
 * @param process the job's JVM
 * @param out its standard output
 * @param err its standard error
 */
record LabJobProcess(Process process, Path out, Path err) {

    /** Starts the job with {@code args}; its output goes to {@code logs}. */
    static LabJobProcess start(List<String> args, Path logs) throws IOException {
        Files.createDirectories(logs);
        // env resets SIGINT to its default before it execs java (same process): a test run started in the
        // background of a shell without job control inherits SIGINT ignored, and a JVM keeps an ignored
        // SIGINT ignored, so the Ctrl-C test would test nothing. A user's terminal always delivers it.
        List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=INT",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                JavaCommand.classpathOf(LabJob.class) + File.pathSeparator + JavaCommand.classpathOf(LabNetwork.class)
                        + File.pathSeparator + JavaCommand.classpathOf(JsonParser.class),
                LabJob.class.getName(), "--distribution", BuiltDistribution.home().toString()));
        cmd.addAll(args);
        Path out = logs.resolve("stdout.txt");
        Path err = logs.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        return new LabJobProcess(p, out, err);
    }

    /** @return both outputs so far */
    String output() {
        return read(out) + read(err);
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    static String tail(String text) {
        return text.length() <= 6000 ? text : "..." + text.substring(text.length() - 6000);
    }
}
