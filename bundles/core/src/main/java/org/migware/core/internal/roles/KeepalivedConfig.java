package org.migware.core.internal.roles;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * keepalived's configuration for one MigWare host ({@code bin/migware keepalived-config}): one
 * VRRP instance that owns the service address, unicast to the other hosts (VRRP multicast does
 * not pass every network, nor network namespaces), version 3 with a short advert interval.
 *
 * <p>How MigWare and keepalived agree on who serves: on a host whose MigWare watches (a backup),
 * the instance tracks MigWare's track file with weight 0. MigWare writes 1 there while it has not
 * decided a failover, which keeps the instance in FAULT: keepalived never takes the address on its
 * own, however short its timers. At MigWare's decision, once the carried connections are in its
 * nftables set, MigWare writes 0: the instance goes BACKUP and, hearing no master, MASTER after its
 * down timer (3 adverts and the skew: about 0.36 s at 0.1 s). MigWare's detection decides the
 * moment; keepalived moves the address and sends the gratuitous ARPs. {@code nopreempt}: a host
 * that comes back does not take the address back.
 *
 * <p>Plain JDK code, run outside the container like {@code ConfigCheck}.
 */
public final class KeepalivedConfig {

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,15}");

    static final String USAGE = """
            usage: migware keepalived-config --interface IF --address IP --peer IP [--peer IP ...]
                   --service-address IP/LEN --priority N [--track-file PATH] [--router-id N]
                   [--advert-int SECONDS] [--instance NAME] [--out FILE]
              --interface        the interface that carries the service address (e.g. eth0)
              --address          this host's own address on it (VRRP's unicast source)
              --peer             every other host's address (unicast peers), once each
              --service-address  the address the clients connect to, with its prefix length (10.0.0.100/24)
              --priority         1-254; the serving host highest (200), each backup lower (100, 90, ...)
              --track-file       on a host whose MigWare watches: the file it writes (its proxy's
                                 keepalivedTrackFile); without it keepalived alone decides on this host
              --router-id        the VRRP router id, 1-255, the same on every host (default 51)
              --advert-int       seconds between adverts, 0.01-40.95 (default 0.1)
              --instance         the instance's name (default migware)
              --out              write the file there instead of standard output""";

    /**
     * One host's settings.
     *
     * @param interfaceName the interface that carries the service address
     * @param address this host's own address there
     * @param peers the other hosts' addresses
     * @param serviceAddress the service address with its prefix length
     * @param priority VRRP priority, 1-254
     * @param trackFile MigWare's track file, {@code null} on a host without a watching MigWare
     * @param routerId the VRRP router id, 1-255
     * @param advertInterval seconds between adverts
     * @param instance the instance's name
     */
    public record Host(String interfaceName, String address, List<String> peers, String serviceAddress, int priority, String trackFile,
            int routerId, String advertInterval, String instance) {

        /** Validates every field, with the option's name in the message. */
        public Host {
            if (interfaceName == null || !NAME.matcher(interfaceName).matches()) {
                throw new IllegalArgumentException("--interface: an interface name (at most 15 characters), not '" + interfaceName + "'");
            }
            ipv4("--address", address);
            peers = List.copyOf(Objects.requireNonNull(peers, "peers"));
            if (peers.isEmpty()) {
                throw new IllegalArgumentException("--peer: give every other host's address (at least one)");
            }
            for (String peer : peers) {
                ipv4("--peer", peer);
                if (peer.equals(address)) {
                    throw new IllegalArgumentException("--peer " + peer + " is this host's own --address");
                }
            }
            String[] service = serviceAddress == null ? new String[0] : serviceAddress.split("/", -1);
            if (service.length != 2) {
                throw new IllegalArgumentException("--service-address: an IPv4 address with its prefix length (10.0.0.100/24), not '"
                        + serviceAddress + "'");
            }
            ipv4("--service-address", service[0]);
            int length = integer("--service-address prefix length", service[1]);
            if (length < 1 || length > 32) {
                throw new IllegalArgumentException("--service-address prefix length: 1-32, not " + length);
            }
            if (priority < 1 || priority > 254) {
                throw new IllegalArgumentException("--priority: 1-254 (255 is keepalived's address owner, which never waits), not " + priority);
            }
            if (trackFile != null && (!trackFile.startsWith("/") || trackFile.contains("\"") || trackFile.contains("\n"))) {
                throw new IllegalArgumentException("--track-file: an absolute path without quotes, not '" + trackFile + "'");
            }
            if (routerId < 1 || routerId > 255) {
                throw new IllegalArgumentException("--router-id: 1-255, not " + routerId);
            }
            double seconds;
            try {
                seconds = Double.parseDouble(advertInterval);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--advert-int: seconds (0.1), not '" + advertInterval + "'");
            }
            if (seconds < 0.01 || seconds > 40.95) {
                throw new IllegalArgumentException("--advert-int: 0.01-40.95 s (VRRP version 3), not " + advertInterval);
            }
            if (instance == null || !Pattern.matches("[A-Za-z][A-Za-z0-9_-]{0,30}", instance)) {
                throw new IllegalArgumentException("--instance: a letter, then letters, digits, _ or -, not '" + instance + "'");
            }
        }
    }

    private KeepalivedConfig() {
    }

    /** @return keepalived.conf for {@code host} */
    public static String render(Host host) {
        StringBuilder out = new StringBuilder();
        out.append("# keepalived for MigWare, written by: bin/migware keepalived-config").append(arguments(host)).append('\n');
        out.append("# The service address ").append(host.serviceAddress()).append(" belongs to the VRRP master. ");
        out.append(host.trackFile() == null
                ? "This host has no watching MigWare:\n# keepalived alone decides here.\n"
                : "MigWare on this host holds the instance\n# in FAULT through its track file (1) until it decides a failover; then it writes 0.\n");
        out.append("global_defs {\n");
        out.append("    router_id migware-").append(host.address()).append('\n');
        out.append("    vrrp_version 3\n");
        out.append("    # the new master's gratuitous ARPs at once, and once more a second later\n");
        out.append("    vrrp_garp_master_delay 1\n");
        out.append("    vrrp_garp_master_repeat 2\n");
        out.append("    enable_script_security\n");
        out.append("}\n\n");
        if (host.trackFile() != null) {
            out.append("vrrp_track_file migware {\n");
            out.append("    file \"").append(host.trackFile()).append("\"\n");
            out.append("    # 0: any value but 0 puts the instance in FAULT; a missing file is created held\n");
            out.append("    weight 0\n");
            out.append("    init_file 1\n");
            out.append("}\n\n");
        }
        out.append("vrrp_instance ").append(host.instance()).append(" {\n");
        out.append("    state BACKUP\n");
        out.append("    nopreempt\n");
        out.append("    interface ").append(host.interfaceName()).append('\n');
        out.append("    virtual_router_id ").append(host.routerId()).append('\n');
        out.append("    priority ").append(host.priority()).append('\n');
        out.append("    advert_int ").append(host.advertInterval()).append('\n');
        out.append("    unicast_src_ip ").append(host.address()).append('\n');
        out.append("    unicast_peer {\n");
        for (String peer : host.peers()) {
            out.append("        ").append(peer).append('\n');
        }
        out.append("    }\n");
        out.append("    virtual_ipaddress {\n");
        out.append("        ").append(host.serviceAddress()).append(" dev ").append(host.interfaceName()).append('\n');
        out.append("    }\n");
        if (host.trackFile() != null) {
            out.append("    track_file {\n        migware\n    }\n");
        }
        out.append("}\n");
        return out.toString();
    }

    private static String arguments(Host host) {
        StringBuilder args = new StringBuilder();
        args.append(" --interface ").append(host.interfaceName()).append(" --address ").append(host.address());
        for (String peer : host.peers()) {
            args.append(" --peer ").append(peer);
        }
        args.append(" --service-address ").append(host.serviceAddress()).append(" --priority ").append(host.priority());
        if (host.trackFile() != null) {
            args.append(" --track-file ").append(host.trackFile());
        }
        if (host.routerId() != 51) {
            args.append(" --router-id ").append(host.routerId());
        }
        if (!host.advertInterval().equals("0.1")) {
            args.append(" --advert-int ").append(host.advertInterval());
        }
        if (!host.instance().equals("migware")) {
            args.append(" --instance ").append(host.instance());
        }
        return args.toString();
    }

    /** @return the host the command line describes */
    static Host parse(String... args) {
        String interfaceName = null;
        String address = null;
        List<String> peers = new ArrayList<>();
        String service = null;
        Integer priority = null;
        String trackFile = null;
        int routerId = 51;
        String advert = "0.1";
        String instance = "migware";
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--out")) {
                i++;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + ": a value is missing");
            }
            String value = args[++i];
            switch (option) {
                case "--interface" -> interfaceName = value;
                case "--address" -> address = value;
                case "--peer" -> peers.add(value);
                case "--service-address" -> service = value;
                case "--priority" -> priority = integer("--priority", value);
                case "--track-file" -> trackFile = value;
                case "--router-id" -> routerId = integer("--router-id", value);
                case "--advert-int" -> advert = value;
                case "--instance" -> instance = value;
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        if (priority == null) {
            throw new IllegalArgumentException("--priority is required");
        }
        return new Host(interfaceName, address, peers, service, priority, trackFile, routerId, advert, instance);
    }

    private static void ipv4(String option, String value) {
        if (value == null || !IPV4.matcher(value).matches()) {
            throw new IllegalArgumentException(option + ": an IPv4 address, not '" + value + "'");
        }
        for (String part : value.split("\\.")) {
            if (Integer.parseInt(part) > 255) {
                throw new IllegalArgumentException(option + ": an IPv4 address, not '" + value + "'");
            }
        }
    }

    private static int integer(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": a number, not '" + value + "'");
        }
    }

    /**
     * {@code bin/migware keepalived-config}: exit 0 with the file written, 2 with a usage error.
     *
     * @param args the options of {@link #USAGE}
     */
    public static void main(String[] args) throws IOException {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        if (args.length == 0 || List.of(args).contains("--help")) {
            (args.length == 0 ? err : out).println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        Host host;
        try {
            host = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("migware keepalived-config: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        String text = render(host);
        int outAt = List.of(args).indexOf("--out");
        if (outAt >= 0 && outAt + 1 < args.length) {
            Files.writeString(Path.of(args[outAt + 1]), text, StandardCharsets.UTF_8);
        } else {
            out.print(text);
        }
        return 0;
    }
}
