package org.migware.core.internal.check;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.config.SharedKeys;
import org.migware.api.config.StrictModes;

/**
 * {@code bin/migware check}, like {@code haproxy -c}: validates the configuration folder with
 * the container not running, and prints one line per problem (exit 1), or one line saying the
 * configuration is valid (exit 0). Plain JDK code, run by the launcher with this bundle's jar as
 * its class path.
 *
 * <p>It checks every {@code *.cfg} of a MigWare PID against the metatype the bundles carry (an
 * unknown key, a value not of the key's type, a value not among the key's options); address
 * literals; that the capture interface exists; that the replica's address is this host's and
 * something listens there on every service port; that the fence and notify commands exist, are
 * executable, and that no one but their owner can change them (sshd's StrictModes); and that a
 * health monitor is deployed.
 */
public final class ConfigCheck {

    /** Exit status: the configuration is valid. */
    public static final int VALID = 0;
    /** Exit status: at least one problem. */
    public static final int PROBLEMS = 1;
    /** Exit status: the check itself could not run. */
    public static final int CANNOT_CHECK = 2;

    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final int CONNECT_TIMEOUT_MILLIS = 1000;
    /** Keys that FileInstall and Configuration Admin add or read themselves. */
    private static final List<String> FRAMEWORK_KEYS = List.of("service.pid", "service.factoryPid", "service.bundleLocation",
            "felix.fileinstall.filename");

    private final Path home;
    private final Path etc;
    private final Path deploy;
    private final Map<String, String> substitutions;
    private final List<String> problems = new ArrayList<>();

    /**
     * @param home the distribution
     * @param etc the configuration folder
     * @param deploy the hot-deployment folder
     * @param var the state folder, for {@code ${migware.var}}
     */
    public ConfigCheck(Path home, Path etc, Path deploy, Path var) {
        this.home = home;
        this.etc = etc;
        this.deploy = deploy;
        this.substitutions = Map.of("${migware.home}", home.toString(), "${migware.etc}", etc.toString(),
                "${migware.deploy}", deploy.toString(), "${migware.var}", var.toString());
    }

    /** {@code ConfigCheck HOME ETC DEPLOY VAR}. */
    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: ConfigCheck HOME ETC DEPLOY VAR");
            System.exit(CANNOT_CHECK);
        }
        ConfigCheck check = new ConfigCheck(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), Path.of(args[3]));
        List<String> found;
        try {
            found = check.run();
        } catch (IOException | RuntimeException e) {
            System.err.println("migware check: cannot check " + check.etc + ": " + e.getMessage());
            System.exit(CANNOT_CHECK);
            return;
        }
        found.forEach(System.out::println);
        if (found.isEmpty()) {
            System.out.println("configuration valid: " + check.etc);
        }
        System.exit(found.isEmpty() ? VALID : PROBLEMS);
    }

    /** @return one line per problem, empty when the configuration is valid */
    public List<String> run() throws IOException {
        if (!Files.isDirectory(etc)) {
            throw new IOException("no such folder");
        }
        Metatype metatype = Metatype.of(List.of(home.resolve("bundle"), deploy, home.resolve("monitors")));
        List<Path> files;
        try (Stream<Path> list = Files.list(etc)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".cfg")).sorted().toList();
        }
        Map<String, CfgFile> configs = new java.util.HashMap<>();
        for (Path file : files) {
            CfgFile cfg = CfgFile.read(file);
            configs.put(cfg.pid, cfg);
            keysAndTypes(file, cfg, metatype);
        }
        service(configs);
        capture(configs);
        replica(configs);
        directPath(configs);
        claim(configs);
        command(configs.get(ConfigurationPids.CORE_FAILOVER), "fenceCommand");
        command(configs.get(ConfigurationPids.NOTIFY), "notifyCommand");
        syncKey(configs.get(ConfigurationPids.SYNC_SERVER), "listenAddress");
        syncKey(configs.get(ConfigurationPids.SYNC_CLIENT), "peerAddress");
        monitors(configs);
        return List.copyOf(problems);
    }

    private void problem(String where, String what) {
        problems.add(where + ": " + what);
    }

    private String where(String pid, String key) {
        return "etc/" + pid + ".cfg: " + key;
    }

    // ---- keys and types, from the metatype ----

    private void keysAndTypes(Path file, CfgFile cfg, Metatype metatype) {
        Metatype.Definition definition = metatype.lookUp(cfg.pid, cfg.factoryPid);
        String name = "etc/" + file.getFileName();
        if (definition == null) {
            if (cfg.pid.startsWith("org.migware.")) {
                problem(name, "no bundle in bundle/, deploy/ or monitors/ describes the configuration " + cfg.pid
                        + " (a misspelt file name?)");
            }
            return;
        }
        for (Map.Entry<String, CfgFile.Value> entry : cfg.values.entrySet()) {
            String key = entry.getKey();
            if (FRAMEWORK_KEYS.contains(key)) {
                continue;
            }
            Metatype.Attribute attribute = definition.attributes().get(key);
            int dot = key.lastIndexOf('.');
            if (attribute == null && dot > 0 && key.length() > dot + 1 && key.substring(dot + 1).chars().allMatch(Character::isDigit)) {
                // delivery.443: a key overridden for one port, which a metatype cannot list
                attribute = definition.attributes().get(key.substring(0, dot));
            }
            if (attribute == null) {
                problem(name + ": " + key, "unknown key (" + definition.name() + " has: " + String.join(", ", definition.attributes().keySet()) + ")");
                continue;
            }
            CfgFile.Value value = entry.getValue();
            if (value.list() && !attribute.multiple()) {
                problem(name + ": " + key, "takes one value, not a list");
            }
            if (value.typeCode() != null && !typeName(value.typeCode()).equals(normalType(attribute.type()))) {
                problem(name + ": " + key, "written as " + typeName(value.typeCode()) + ", but it is " + normalType(attribute.type())
                        + " (" + typedHint(attribute) + ")");
                continue;
            }
            for (String element : value.elements()) {
                String text = substitute(element);
                if (text.contains("${")) {
                    continue; // substituted at run time by a property this check does not know
                }
                String typeProblem = typeProblem(attribute.type(), text);
                if (typeProblem != null) {
                    problem(name + ": " + key, "'" + text + "' " + typeProblem);
                } else if (!attribute.options().isEmpty() && !attribute.options().contains(text)) {
                    problem(name + ": " + key, "'" + text + "' is not one of " + String.join(", ", attribute.options()));
                }
            }
        }
    }

    private static String typedHint(Metatype.Attribute attribute) {
        String code = switch (normalType(attribute.type())) {
            case "Integer" -> "I";
            case "Long" -> "L";
            case "Boolean" -> "B";
            case "Double" -> "D";
            case "Float" -> "F";
            case "Short" -> "S";
            case "Byte" -> "X";
            case "Char" -> "C";
            default -> "";
        };
        return "typed: " + attribute.id() + " = " + code + (attribute.multiple() ? "[\"...\"]" : "\"...\"");
    }

    private static String typeName(char code) {
        return switch (code) {
            case 'I' -> "Integer";
            case 'L' -> "Long";
            case 'F' -> "Float";
            case 'D' -> "Double";
            case 'X' -> "Byte";
            case 'S' -> "Short";
            case 'C' -> "Char";
            case 'B' -> "Boolean";
            default -> "String";
        };
    }

    private static String normalType(String type) {
        return switch (type) {
            case "Password", "" -> "String";
            case "Character" -> "Char";
            default -> type;
        };
    }

    /** @return why {@code text} is not of {@code type}, or {@code null} when it is */
    static String typeProblem(String type, String text) {
        try {
            switch (normalType(type)) {
                case "Long" -> Long.parseLong(text.strip());
                case "Integer" -> Integer.parseInt(text.strip());
                case "Short" -> Short.parseShort(text.strip());
                case "Byte" -> Byte.parseByte(text.strip());
                case "Double" -> Double.parseDouble(text.strip());
                case "Float" -> Float.parseFloat(text.strip());
                case "Char" -> {
                    if (text.length() != 1) {
                        return "is not one character";
                    }
                }
                case "Boolean" -> {
                    if (!text.strip().equalsIgnoreCase("true") && !text.strip().equalsIgnoreCase("false")) {
                        return "is not a Boolean (true or false)";
                    }
                }
                default -> {
                    return null;
                }
            }
            return null;
        } catch (NumberFormatException e) {
            return "is not " + (normalType(type).equals("Integer") ? "an " : "a ") + normalType(type)
                    + (normalType(type).equals("Integer") || normalType(type).equals("Long") ? " (a whole number)" : "");
        }
    }

    private String substitute(String text) {
        String result = text;
        for (Map.Entry<String, String> s : substitutions.entrySet()) {
            result = result.replace(s.getKey(), s.getValue());
        }
        return result;
    }

    // ---- what the values mean ----

    private static String single(CfgFile cfg, String key) {
        if (cfg == null || !cfg.values.containsKey(key) || cfg.values.get(key).elements().isEmpty()) {
            return "";
        }
        return cfg.values.get(key).elements().get(0).strip();
    }

    private static List<String> all(CfgFile cfg, String key) {
        if (cfg == null || !cfg.values.containsKey(key)) {
            return List.of();
        }
        return cfg.values.get(key).elements().stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** @return the literal's address, or {@code null} when it is not an IPv4 (or, with {@code v6}, IPv6) literal; never a name lookup */
    static InetAddress literal(String text, boolean v6) {
        try {
            if (IPV4.matcher(text).matches()) {
                return InetAddress.getByName(text);
            }
            if (v6 && text.contains(":") && text.matches("[0-9A-Fa-f:.]+")) {
                return InetAddress.getByName(text);
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private void service(Map<String, CfgFile> configs) {
        CfgFile service = configs.get(ConfigurationPids.SERVICE);
        List<String> addresses = all(service, "addresses");
        if (addresses.isEmpty()) {
            problem(where(ConfigurationPids.SERVICE, "addresses"), "not set: nothing is tracked");
        }
        for (String address : addresses) {
            if (literal(address, true) == null) {
                problem(where(ConfigurationPids.SERVICE, "addresses"), "'" + address + "' is not an IPv4 or IPv6 address");
            }
        }
        if (all(service, "ports").isEmpty()) {
            problem(where(ConfigurationPids.SERVICE, "ports"), "not set: nothing is tracked");
        }
        for (String monitor : List.of(ConfigurationPids.MONITOR_ICMP, ConfigurationPids.MONITOR_TCP)) {
            String target = single(configs.get(monitor), "target");
            if (!target.isEmpty() && literal(target, true) == null) {
                problem(where(monitor, "target"), "'" + target + "' is not an IPv4 or IPv6 address");
            }
        }
    }

    /** One live backend (pcap4j or the ring) names an existing interface, or a file is replayed; never two live ones. */
    private void capture(Map<String, CfgFile> configs) {
        String path = single(configs.get(ConfigurationPids.CAPTURE_FILE), "path");
        List<String> live = new ArrayList<>();
        for (String pid : List.of(ConfigurationPids.CAPTURE_PCAP4J, ConfigurationPids.CAPTURE_RING)) {
            String name = single(configs.get(pid), "interfaceName");
            if (name.isEmpty()) {
                continue;
            }
            live.add(pid);
            try {
                if (NetworkInterface.getByName(name) == null) {
                    problem(where(pid, "interfaceName"), "no interface '" + name + "' on this host");
                }
            } catch (SocketException e) {
                problem(where(pid, "interfaceName"), "cannot look up interface '" + name + "': " + e.getMessage());
            }
        }
        if (live.isEmpty() && path.isEmpty()) {
            problem(where(ConfigurationPids.CAPTURE_PCAP4J, "interfaceName"),
                    "not set (nor in " + ConfigurationPids.CAPTURE_RING + ".cfg): nothing is captured");
        }
        if (live.size() > 1) {
            problem(where(ConfigurationPids.CAPTURE_RING, "interfaceName"), "set as well as in " + ConfigurationPids.CAPTURE_PCAP4J
                    + ".cfg: two live backends would capture the same frames; comment out the one not in use");
        }
    }

    private void replica(Map<String, CfgFile> configs) {
        CfgFile proxy = configs.get(ConfigurationPids.PROXY);
        String text = single(proxy, "replicaAddress");
        String where = where(ConfigurationPids.PROXY, "replicaAddress");
        if (text.isEmpty()) {
            problem(where, "not set: connections would not be migrated");
            return;
        }
        InetAddress replica = literal(text, false);
        if (!(replica instanceof Inet4Address)) {
            problem(where, "'" + text + "' is not an IPv4 address");
            return;
        }
        try {
            if (NetworkInterface.getByInetAddress(replica) == null) {
                problem(where, text + " is not an address of this host (the replica runs on the backup)");
                return;
            }
        } catch (SocketException e) {
            problem(where, "cannot tell whether " + text + " is this host's: " + e.getMessage());
            return;
        }
        int replicaPort = 0;
        String portText = single(proxy, "replicaPort");
        if (!portText.isEmpty() && typeProblem("Integer", portText) == null) {
            replicaPort = Integer.parseInt(portText);
        }
        List<Integer> ports = new ArrayList<>();
        if (replicaPort != 0) {
            ports.add(replicaPort);
        } else {
            for (String port : all(configs.get(ConfigurationPids.SERVICE), "ports")) {
                if (typeProblem("Integer", port) == null) {
                    ports.add(Integer.parseInt(port));
                }
            }
        }
        for (int port : ports) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(replica, port), CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                problem(where, "nothing listens on " + text + ":" + port + " (" + e.getMessage() + "): the replica must run before a failover");
            }
        }
    }

    /**
     * With the direct path: the nft program MigWare runs, and the folder of keepalived's track file,
     * which MigWare replaces by a rename (checked for the user running the check).
     */
    private void directPath(Map<String, CfgFile> configs) {
        CfgFile proxy = configs.get(ConfigurationPids.PROXY);
        if (!"true".equalsIgnoreCase(single(proxy, "directPath"))) {
            return;
        }
        String nft = single(proxy, "nftBinary");
        nft = nft.isEmpty() ? "nft" : nft;
        for (String problem : StrictModes.programProblems(nft)) {
            problem(where(ConfigurationPids.PROXY, "nftBinary"), "directPath is on but " + problem
                    + (problem.contains("writable") ? "" : ": install nftables (Debian: nftables)"));
        }
        String track = single(proxy, "keepalivedTrackFile");
        if (track.isEmpty()) {
            return;
        }
        String where = where(ConfigurationPids.PROXY, "keepalivedTrackFile");
        Path file = Path.of(track);
        Path folder = file.getParent();
        if (!file.isAbsolute() || folder == null) {
            problem(where, "'" + track + "' is not an absolute path (keepalived's track_file names the same file)");
        } else if (!Files.isDirectory(folder)) {
            problem(where, "its folder " + folder + " does not exist");
        } else if (!Files.isWritable(folder)) {
            problem(where, "its folder " + folder + " is not writable: MigWare writes the file there (a new one, renamed over it)");
        }
    }

    /**
     * A claim through keepalived needs the proxy to release keepalived: without the direct path and
     * its track file nothing ever does, every claim times out, and MigWare never takes over.
     */
    private void claim(Map<String, CfgFile> configs) {
        if (!"true".equalsIgnoreCase(single(configs.get(ConfigurationPids.CORE_FAILOVER), "claimThroughKeepalived"))) {
            return;
        }
        CfgFile proxy = configs.get(ConfigurationPids.PROXY);
        if (!"true".equalsIgnoreCase(single(proxy, "directPath")) || single(proxy, "keepalivedTrackFile").isEmpty()) {
            problem(where(ConfigurationPids.CORE_FAILOVER, "claimThroughKeepalived"), "claiming through keepalived needs the proxy's"
                    + " directPath = true and its keepalivedTrackFile (etc/" + ConfigurationPids.PROXY + ".cfg): MigWare releases"
                    + " keepalived through that file; without it every claim would time out and no failover would happen");
        }
    }

    /** The command's program: it exists, is executable, and only its owner can change it or its folder. */
    private void command(CfgFile cfg, String key) {
        String where = where(cfg.pid, key);
        StrictModes.commandProblems(single(cfg, key)).forEach(problem -> problem(where, problem));
    }

    /** A side of state sync that is on ({@code switchKey} set) needs a key file the sync bundle would take. */
    private void syncKey(CfgFile cfg, String switchKey) {
        if (cfg == null || single(cfg, switchKey).isEmpty()) {
            return; // that side is off
        }
        String where = where(cfg.pid, "keyFile");
        SharedKeys.load(single(cfg, "keyFile")).problems().forEach(problem -> problem(where, problem));
    }

    private void monitors(Map<String, CfgFile> configs) throws IOException {
        List<String> deployed = new ArrayList<>();
        for (Path folder : List.of(home.resolve("bundle"), deploy)) {
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> jars = Files.list(folder)) {
                jars.map(p -> p.getFileName().toString())
                        .filter(n -> n.startsWith("org.migware.monitor.") && !n.startsWith("org.migware.monitor.support") && n.endsWith(".jar"))
                        .forEach(deployed::add);
            }
        }
        boolean execConfigured = configs.keySet().stream().anyMatch(pid -> pid.startsWith(ConfigurationPids.MONITOR_EXEC_FACTORY + "-"));
        long usable = deployed.stream().filter(n -> !n.startsWith(ConfigurationPids.MONITOR_EXEC_FACTORY + "-") || execConfigured).count();
        if (usable == 0) {
            problem("deploy/", deployed.isEmpty()
                    ? "no health monitor is deployed: nothing would notice the primary fail (copy one from monitors/ into " + deploy + ")"
                    : "the exec monitor has no etc/" + ConfigurationPids.MONITOR_EXEC_FACTORY + "-NAME.cfg: nothing would notice the primary fail");
        }
    }
}
