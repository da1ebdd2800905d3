package org.migware.lab.report;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.migware.lab.network.ImpairedLink;
import org.migware.lab.network.LabNetwork;

/**
 * Says, before anything is built, why this machine cannot run {@code migware lab}, each reason
 * with what to do about it: not root, a tool missing (with the apt-get command that installs
 * it), no {@code /dev/net/tun}, namespaces a crashed run left behind (with the commands that
 * remove them), no packet sockets or JNA for {@code --delay}/{@code --reorder} (the wire-impairment
 * box), no usable distribution.
 */
public final class Preflight {

    /** Where tools live besides PATH: root's sbin folders are not on every PATH. */
    private static final List<String> EXTRA_DIRS = List.of("/usr/local/sbin", "/usr/sbin", "/sbin");

    private Preflight() {
    }

    /**
     * @param options what will run
     * @return the problems, each a complete sentence with the remedy; empty when the lab can run
     */
    public static List<String> problems(JobOptions options) {
        List<String> problems = new ArrayList<>();
        Optional<String> lab = LabNetwork.prerequisitesMissing();
        if (lab.isPresent()) {
            // not root, or no iproute2: nothing else can be checked meaningfully without root
            problems.add(lab.get() + (lab.get().contains("iproute2") ? ": apt-get install -y iproute2" : ""));
            return problems;
        }
        Map<String, String> tools = new LinkedHashMap<>();
        tools.put("tcpdump", "tcpdump");
        tools.put("tshark", "tshark");
        if (options.baseline() || options.scenario() != JobOptions.Scenario.PUSH) {
            tools.put("haproxy", "haproxy");
        }
        if (options.scenario() == JobOptions.Scenario.DOWNLOAD) {
            tools.put("nginx", "nginx-light libnginx-mod-http-headers-more-filter");
            tools.put("curl", "curl");
        } else if (options.scenario() == JobOptions.Scenario.SESSION) {
            tools.put("mosquitto", "mosquitto");
            tools.put("mosquitto_pub", "mosquitto-clients");
            tools.put("mosquitto_sub", "mosquitto-clients");
        }
        if (options.roles()) {
            tools.put("keepalived", "keepalived");
        }
        if (options.lossPercent() > 0) {
            tools.put("nft", "nftables");
        }
        List<String> packages = new ArrayList<>();
        for (Map.Entry<String, String> tool : tools.entrySet()) {
            if (findTool(tool.getKey()).isEmpty()) {
                problems.add("the lab needs '" + tool.getKey() + "', which is not installed" + why(tool.getKey()));
                if (!packages.contains(tool.getValue())) {
                    packages.add(tool.getValue());
                }
            }
        }
        if (!packages.isEmpty()) {
            problems.add("install what is missing with: apt-get update && apt-get install -y " + String.join(" ", packages)
                    + " (or run .ci/setup-machine)");
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            problems.add("there is no /dev/net/tun: MigWare's proxy re-creates connections through a TUN device. Load the"
                    + " driver (modprobe tun), or in a container start it with --device /dev/net/tun --cap-add NET_ADMIN");
        }
        problems.addAll(distributionProblems(options.distribution()));
        if (options.impairsWire()) {
            for (String reason : ImpairedLink.prerequisitesMissing()) {
                problems.add("--delay and --reorder: " + reason + " (--loss works without it: nftables)");
            }
        }
        List<String> prefixes = new ArrayList<>(List.of(options.prefix()));
        if (options.baseline()) {
            prefixes.add(options.baselinePrefix());
        }
        for (String prefix : prefixes) {
            List<String> names = leftoverNamespaces(prefix);
            if (!names.isEmpty() && !options.removeLeftovers()) {
                StringBuilder commands = new StringBuilder();
                for (String ns : names) {
                    commands.append(commands.length() == 0 ? "" : "; ").append("ip netns del ").append(ns);
                }
                problems.add("network namespaces " + names + " exist: a run of 'migware lab' is still going, or one crashed"
                        + " and left them behind. If none is running, remove them with: bin/migware lab --remove-leftovers"
                        + (options.prefix().equals(new JobOptions().prefix()) ? "" : " --prefix " + options.prefix())
                        + " (it ends the processes inside them first), or by hand: " + commands
                        + " (or pick another --prefix)");
            }
        }
        return problems;
    }

    private static String why(String tool) {
        return switch (tool) {
            case "tcpdump" -> " (it captures the clients' packets, the wire's own timestamps)";
            case "tshark" -> " (it decodes the captures: the latencies come from its reading of the wire)";
            case "haproxy" -> " (the baseline; or run with --baseline off)";
            case "nft" -> " (it drops packets for --loss)";
            case "keepalived" -> " (with --roles it owns the service address on primary and backup, as at a site)";
            default -> "";
        };
    }

    private static List<String> distributionProblems(Path dist) {
        List<String> problems = new ArrayList<>();
        if (dist == null) {
            problems.add("no MigWare distribution given: run it as bin/migware lab, or pass --distribution <the folder with"
                    + " bin/migware>");
        } else if (!Files.isRegularFile(dist.resolve("bin/felix.jar")) || !Files.isDirectory(dist.resolve("bundle"))) {
            problems.add(dist + " is not a complete MigWare distribution (no bin/felix.jar or bundle/): build it with"
                    + " mvn -B package -DskipTests, then run distribution/target/migware/bin/migware lab");
        }
        return problems;
    }

    /**
     * @param prefix a lab's namespace prefix
     * @return the namespaces of that prefix that exist now
     */
    static List<String> leftoverNamespaces(String prefix) {
        List<String> found = new ArrayList<>();
        if (!LabNetwork.leftovers(prefix)) {
            return found;
        }
        List<String> listed = run(List.of(tool("ip"), "netns", "list")).lines().map(l -> l.trim().split("\\s+")[0]).toList();
        for (String suffix : List.of("hub", "client", "primary", "backup")) {
            if (listed.contains(prefix + "-" + suffix)) {
                found.add(prefix + "-" + suffix);
            }
        }
        return found;
    }

    /**
     * @param name a program
     * @return its path on PATH or in the sbin folders
     */
    public static Optional<Path> findTool(String name) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.addAll(EXTRA_DIRS);
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    static String tool(String name) {
        return findTool(name).map(Path::toString).orElse(name);
    }

    private record Result(int exit, String output) {
    }

    private static Result exec(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    private static String run(List<String> cmd) {
        return exec(cmd).output;
    }
}
