package org.migware.lab.network;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.JavaCommand;
import org.migware.lab.LabException;

/**
 * The MigWare lab: three hosts on a hub, built from network namespaces on one Linux machine.
 *
 * <pre>
 *   &lt;prefix&gt;-client          &lt;prefix&gt;-primary          &lt;prefix&gt;-backup (eth0 promiscuous)
 *    eth0 10.77.0.1         eth0 10.77.0.2          eth0 10.77.0.3
 *        |                      |                       |
 *    [client]---------------[primary]---------------[backup]    bridge br0, ageing_time 0
 *                           &lt;prefix&gt;-hub
 * </pre>
 *
 * <p>Every host is a namespace {@code <prefix>-client|primary|backup} with one interface
 * {@value #ROLE_INTERFACE}; its veth peer is a port of the bridge {@value #BRIDGE} in a fourth
 * namespace, {@code <prefix>-hub}. The bridge's {@code ageing_time} is 0, so it never remembers
 * where a MAC lives and floods every frame to every port, as the thesis's hub did; that is what
 * lets the backup see the client's traffic to the primary. Nothing is created in the root
 * namespace: the veths are born inside the namespaces, so deleting the four namespaces removes
 * everything.
 *
 * <p>The instance owns what it created: {@link #close()} (also run by a JVM shutdown hook) kills
 * the processes it started and deletes the namespaces. A run that crashed before it could clean
 * up leaves namespaces behind; {@link #leftovers(String)} and {@link #removeLeftovers(String)}
 * find and remove them. Requires root and iproute2.
 *
 * <pre>{@code
 * try (LabNetwork lab = LabNetwork.builder().prefix("mwt1").create()) {
 *     LabProcess sink = lab.startJava(Role.PRIMARY, "sink", SinkServer.class, "--port", "5000");
 *     sink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(10));
 *     ...
 *     lab.pullPrimaryLink();
 * }
 * }</pre>
 */
public final class LabNetwork implements AutoCloseable {

    /** The default name prefix of the namespaces. */
    public static final String DEFAULT_PREFIX = "mw";
    /** The name of each role's interface inside its namespace. */
    public static final String ROLE_INTERFACE = "eth0";
    /** The name of the bridge inside the hub namespace. */
    public static final String BRIDGE = Hub.BRIDGE;
    /** The suffix of the hub's namespace name. */
    public static final String HUB_SUFFIX = "hub";
    /** JVM options for {@link #startJava}: small and quick to start, because tests start many JVMs. */
    public static final List<String> DEFAULT_JVM_OPTIONS =
            List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true");

    private static final System.Logger LOG = System.getLogger("org.migware.lab");
    private static final Pattern PREFIX_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,39}");
    private static final Duration PROCESS_GRACE = Duration.ofSeconds(3);

    private final String prefix;
    private final Map<Role, String> addresses;
    private final int prefixLength;
    private final Path workDir;
    private final Duration commandTimeout;
    private final List<String> jvmOptions;
    private final String ip;
    private final List<LabProcess> processes = new CopyOnWriteArrayList<>();
    private final Set<String> usedNames = Collections.synchronizedSet(new LinkedHashSet<>());
    private final Thread shutdownHook;
    private final Object lifecycle = new Object();
    private boolean closed;
    /** Whether the namespaces keep IPv6 (off: no DAD/MLD chatter in a capture). */
    private final boolean ipv6;
    /** The hosts of this lab: client, primary and backup, and the second backup when asked for. */
    private final Set<Role> roles;
    private Boolean netemAvailable;
    private final Map<Role, ImpairedLink> impairments = new EnumMap<>(Role.class);
    /** What the impaired links see of this lab. */
    private final Hub hub = new HubView();

    private LabNetwork(Builder builder) {
        checkPrerequisites();
        this.prefix = builder.prefix;
        this.addresses = Collections.unmodifiableMap(new EnumMap<>(builder.addresses));
        this.prefixLength = builder.prefixLength;
        this.ipv6 = builder.ipv6;
        EnumSet<Role> hosts = EnumSet.of(Role.CLIENT, Role.PRIMARY, Role.BACKUP);
        if (builder.secondBackup) {
            hosts.add(Role.SECOND_BACKUP);
        }
        this.roles = Collections.unmodifiableSet(hosts);
        this.commandTimeout = builder.commandTimeout;
        this.jvmOptions = List.copyOf(builder.jvmOptions);
        this.ip = Commands.tool("ip", "iproute2");
        this.workDir = prepareWorkDir(builder.workDir, prefix);

        List<String> existing = existingNamespaces(prefix);
        if (!existing.isEmpty()) {
            if (!builder.replaceLeftovers) {
                throw new LabException("namespaces " + existing + " already exist: another lab with prefix '" + prefix
                        + "' is running, or a crashed run left them behind. Use another prefix, or remove them with"
                        + " LabNetwork.removeLeftovers(\"" + prefix + "\") (or: ip netns del <name>).");
            }
            removeLeftovers(prefix);
        }
        // Registered before anything exists, so a crash half-way through building still cleans up.
        this.shutdownHook = new Thread(this::closeFromHook, "migware-lab-cleanup-" + prefix);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            build();
        } catch (RuntimeException e) {
            try {
                close();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "lab {0} up: {1}, logs in {2}", prefix, addresses, workDir);
    }

    /** @return a builder with the defaults: prefix "mw", client .1, primary .2, backup .3 in 10.77.0.0/24 */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds the lab with all defaults.
     *
     * @return the running lab
     * @throws LabException when not root, iproute2 is missing, or namespaces of the prefix exist
     */
    public static LabNetwork create() {
        return builder().create();
    }

    /**
     * Says why the lab cannot run here, if it cannot.
     *
     * @return empty when running as root with iproute2 installed, else the reason
     */
    public static Optional<String> prerequisitesMissing() {
        int uid = Commands.effectiveUid();
        if (uid != 0) {
            return Optional.of("the MigWare lab creates network namespaces and must run as root (effective uid is "
                    + uid + "); run the build or the command as root, e.g. with sudo");
        }
        if (Commands.findTool("ip").isEmpty()) {
            return Optional.of("the MigWare lab needs the 'ip' command of iproute2, which is not on PATH or in sbin;"
                    + " install iproute2");
        }
        return Optional.empty();
    }

    /**
     * @throws LabException with a clear message when {@link #prerequisitesMissing()} says so
     */
    public static void checkPrerequisites() {
        prerequisitesMissing().ifPresent(reason -> {
            throw new LabException(reason);
        });
    }

    // ------------------------------------------------------------------ topology

    private void build() {
        String hub = hubNamespace();
        List<String> all = namespaces();
        for (String ns : all) {
            ip("netns", "add", ns);
        }
        if (!this.ipv6) {
            // Before any interface exists, so no IPv6 DAD/MLD chatter ever reaches a capture.
            for (String ns : all) {
                disableIpv6(ns);
            }
        }
        // STP off so ports forward at once; multicast snooping off so multicast floods like unicast.
        ip("-n", hub, "link", "add", BRIDGE, "type", "bridge", "ageing_time", "0", "stp_state", "0", "mcast_snooping", "0");
        for (Role role : roles) {
            plugIn(role, null);
        }
        ip("-n", hub, "link", "set", "lo", "up");
        ip("-n", hub, "link", "set", BRIDGE, "up");
    }

    /** Gives a role's (new) namespace its link to the hub, its address and, when not null, the MAC it had. */
    private void plugIn(Role role, String mac) {
        String hub = hubNamespace();
        String ns = namespace(role);
        ip("-n", hub, "link", "add", hubInterface(role), "type", "veth", "peer", "name", ROLE_INTERFACE, "netns", ns);
        ip("-n", hub, "link", "set", hubInterface(role), "master", BRIDGE, "up");
        if (mac != null) {
            ip("-n", ns, "link", "set", ROLE_INTERFACE, "address", mac);
        }
        ip("-n", ns, "addr", "add", address(role) + "/" + prefixLength, "dev", ROLE_INTERFACE);
        ip("-n", ns, "link", "set", "lo", "up");
        ip("-n", ns, "link", "set", ROLE_INTERFACE, "up");
        if (role == Role.BACKUP || role == Role.SECOND_BACKUP) {
            // A backup captures the client<->primary conversation, which is addressed to neither of its MACs.
            ip("-n", ns, "link", "set", ROLE_INTERFACE, "promisc", "on");
        }
    }

    /**
     * Reboots a host, as a repaired server comes back: every process inside its namespace is killed
     * (SIGKILL: nothing cleans up), and the namespace is deleted and created again, so its kernel
     * keeps no socket, address or neighbour entry of before. It comes back with the same address
     * and MAC, its cable plugged into the hub. Not for an impaired link (the wire box sits where
     * the cable goes).
     *
     * @param role the host
     */
    public synchronized void rebootHost(Role role) {
        requireOpen();
        if (impairments.containsKey(role)) {
            throw new IllegalStateException("rebootHost: " + role + "'s link is impaired; clear it first");
        }
        String mac = macAddress(role);
        String ns = namespace(role);
        List<ProcessHandle> inside = new ArrayList<>();
        for (String line : Commands.run(commandTimeout, ip, "netns", "pids", ns).requireSuccess().stdout().split("\\s+")) {
            if (line.matches("\\d+")) {
                ProcessHandle.of(Long.parseLong(line)).ifPresent(inside::add);
            }
        }
        Commands.destroyTrees(inside, Duration.ZERO);
        ip("netns", "del", ns);
        // The old namespace lives on, nameless, until its last socket is gone: the connections its
        // processes left (FIN_WAIT_1 with the cable out) keep it until their timers give up. Its
        // veth is taken out of the hub now (deleting one end deletes both), so nothing of the old
        // kernel can reach the wire again, and the name is free for the new cable.
        ip("-n", hubNamespace(), "link", "del", hubInterface(role));
        ip("netns", "add", ns);
        if (!ipv6) {
            disableIpv6(ns);
        }
        plugIn(role, mac);
        LOG.log(System.Logger.Level.INFO, "lab {0}: {1} rebooted ({2} processes killed)", prefix, role, inside.size());
    }

    private void disableIpv6(String ns) {
        ExecResult result = Commands.run(commandTimeout, ip, "netns", "exec", ns, "sh", "-c",
                "if [ -d /proc/sys/net/ipv6 ]; then echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6"
                        + " && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; fi");
        result.requireSuccess();
    }

    /** @return the name prefix of this lab's namespaces */
    public String prefix() {
        return prefix;
    }

    /**
     * @param role a host of the lab
     * @return the name of its namespace, {@code <prefix>-<role suffix>}
     */
    public String namespace(Role role) {
        return namespaceName(prefix, role.suffix());
    }

    /** @return the name of the namespace that holds the bridge */
    public String hubNamespace() {
        return namespaceName(prefix, HUB_SUFFIX);
    }

    /** @return all four namespace names: the hub's, then the roles' */
    public List<String> namespaces() {
        List<String> names = new ArrayList<>();
        names.add(hubNamespace());
        for (Role role : roles) {
            names.add(namespace(role));
        }
        return names;
    }

    /** @return the hosts of this lab */
    public Set<Role> roles() {
        return roles;
    }

    /**
     * @param role a host of the lab
     * @return its IPv4 address (without prefix length)
     */
    public String address(Role role) {
        return addresses.get(role);
    }

    /** @return the prefix length of the lab's subnet */
    public int prefixLength() {
        return prefixLength;
    }

    /**
     * @param role a host of the lab
     * @return the name of its veth end inside the hub namespace: the bridge port, unless a
     *         {@link #impair wire-impairment box} is in the link (see {@link #bridgePort})
     */
    public String hubInterface(Role role) {
        return role.suffix();
    }

    /**
     * @param role a host of the lab
     * @return its port on the bridge: {@link #hubInterface}, or the box's port while the link is
     *         {@link #impair impaired} (what an nftables rule on the bridge names)
     */
    public synchronized String bridgePort(Role role) {
        ImpairedLink link = impairments.get(role);
        return link == null ? hubInterface(role) : link.bridgePort();
    }

    /** @return the directory where started processes' output files go; kept after {@link #close()} */
    public Path workDir() {
        return workDir;
    }

    /**
     * @param role a host of the lab
     * @return the MAC address of its {@value #ROLE_INTERFACE}, e.g. {@code 6a:1f:...}
     */
    public String macAddress(Role role) {
        String out = ip("-n", namespace(role), "link", "show", "dev", ROLE_INTERFACE).stdout();
        Matcher m = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(out);
        if (!m.find()) {
            throw new LabException("no MAC address in: " + out);
        }
        return m.group(1);
    }

    /**
     * Turns the hub into a switch: the bridge learns which port each MAC is behind (for 300 s) and
     * sends a frame only there, as a switched network without a mirror port does. What a host
     * receives from then on is what is addressed to it (and broadcasts).
     */
    public void switchHub() {
        ip("-n", hubNamespace(), "link", "set", BRIDGE, "type", "bridge", "ageing_time", "30000");
    }

    /**
     * @param mac a MAC address
     * @return the bridge port the switch learned it behind, if it did (not the bridge's own,
     *         permanent entries)
     */
    public Optional<String> learnedPort(String mac) {
        String out = Commands.run(commandTimeout, List.of("bridge", "-n", hubNamespace(), "fdb", "show", "br", BRIDGE)).requireSuccess()
                .stdout();
        for (String line : out.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 3 && fields[0].equalsIgnoreCase(mac) && fields[1].equals("dev") && !line.contains("permanent")) {
                return Optional.of(fields[2]);
            }
        }
        return Optional.empty();
    }

    // ------------------------------------------------------------------ failures

    /**
     * Pulls the primary's cable: sets its bridge port down. The primary keeps its address and
     * sockets but loses carrier; nothing it sends reaches the hub and nothing reaches it.
     */
    public void pullPrimaryLink() {
        pullLink(Role.PRIMARY, LinkEnd.HUB);
    }

    /** Plugs the primary's cable back in: both ends of its veth up. */
    public void restorePrimaryLink() {
        restoreLink(Role.PRIMARY, LinkEnd.BOTH);
    }

    /**
     * Sets one or both ends of a role's veth down.
     *
     * @param role whose link
     * @param end which end; see {@link LinkEnd} for how they differ
     */
    public void pullLink(Role role, LinkEnd end) {
        setLink(role, end, "down");
    }

    /**
     * Sets one or both ends of a role's veth up again.
     *
     * @param role whose link
     * @param end which end
     */
    public void restoreLink(Role role, LinkEnd end) {
        setLink(role, end, "up");
    }

    private void setLink(Role role, LinkEnd end, String state) {
        requireOpen();
        if (end.includesHub()) {
            ip("-n", hubNamespace(), "link", "set", hubInterface(role), state);
        }
        if (end.includesRole()) {
            ip("-n", namespace(role), "link", "set", ROLE_INTERFACE, state);
        }
    }

    /**
     * Puts a root qdisc on one or both ends of a role's link, replacing any there.
     * A qdisc shapes what leaves the interface, so the {@link LinkEnd#ROLE} end shapes the role's
     * outgoing traffic and the {@link LinkEnd#HUB} end the traffic towards the role.
     *
     * @param role whose link
     * @param end which end(s)
     * @param qdisc the qdisc and its parameters as tc takes them, e.g. {@code "tbf", "rate", "1mbit", ...}
     */
    public void setQdisc(Role role, LinkEnd end, String... qdisc) {
        requireOpen();
        String tc = Commands.tool("tc", "iproute2");
        for (String[] target : targets(role, end)) {
            List<String> cmd = new ArrayList<>(List.of(tc, "-n", target[0], "qdisc", "replace", "dev", target[1], "root"));
            cmd.addAll(Arrays.asList(qdisc));
            ExecResult result = Commands.run(commandTimeout, cmd);
            if (!result.ok()) {
                if (result.stderr().contains("qdisc kind is unknown")) {
                    throw new LabException("qdisc '" + qdisc[0] + "' is not available in this kernel (for netem:"
                            + " CONFIG_NET_SCH_NETEM / module sch_netem): " + result.describeFailure());
                }
                result.requireSuccess();
            }
        }
    }

    /**
     * Removes the root qdisc from one or both ends of a role's link (back to the default).
     * Does nothing where none was set.
     *
     * @param role whose link
     * @param end which end(s)
     */
    public void clearQdisc(Role role, LinkEnd end) {
        requireOpen();
        String tc = Commands.tool("tc", "iproute2");
        for (String[] target : targets(role, end)) {
            ExecResult result = Commands.run(commandTimeout, tc, "-n", target[0], "qdisc", "del", "dev", target[1], "root");
            // tc refuses to delete the default qdisc; that is the state we want anyway.
            if (!result.ok() && !result.stderr().contains("handle of zero") && !result.stderr().contains("No such file")) {
                result.requireSuccess();
            }
        }
    }

    /**
     * Adds network emulation (delay, loss, reordering, ...) to one or both ends of a role's link.
     * For example {@code addNetem(Role.PRIMARY, LinkEnd.BOTH, "loss", "100%")} drops all of the
     * primary's traffic while its link stays up, and {@code "delay", "50ms"} adds latency.
     *
     * @param role whose link
     * @param end which end(s); netem acts on what leaves the chosen end
     * @param netemArgs the netem parameters as tc takes them
     * @throws LabException when the kernel has no netem (see {@link #netemAvailable()}); delay and
     *         reordering work without it through {@link #impair}
     */
    public void addNetem(Role role, LinkEnd end, String... netemArgs) {
        String[] qdisc = new String[netemArgs.length + 1];
        qdisc[0] = "netem";
        System.arraycopy(netemArgs, 0, qdisc, 1, netemArgs.length);
        setQdisc(role, end, qdisc);
    }

    /**
     * Removes what {@link #addNetem} added.
     *
     * @param role whose link
     * @param end which end(s)
     */
    public void removeNetem(Role role, LinkEnd end) {
        clearQdisc(role, end);
    }

    /**
     * Whether this kernel has the netem qdisc; stripped-down kernels (some VMs, some CI runners)
     * do not. Probed once on the hub namespace's loopback, which carries no lab traffic.
     *
     * @return true when {@link #addNetem} can work
     */
    public synchronized boolean netemAvailable() {
        requireOpen();
        if (netemAvailable == null) {
            String tc = Commands.tool("tc", "iproute2");
            ExecResult probe = Commands.run(commandTimeout, tc, "-n", hubNamespace(), "qdisc", "add", "dev", "lo", "root",
                    "netem", "delay", "0ms");
            netemAvailable = probe.ok();
            if (probe.ok()) {
                Commands.run(commandTimeout, tc, "-n", hubNamespace(), "qdisc", "del", "dev", "lo", "root");
            }
        }
        return netemAvailable;
    }

    /**
     * Delays and reorders a role's traffic without netem: puts a {@link WireBox} (a userspace
     * forwarder, see {@link ImpairedLink}) into the role's link in the hub. Like netem on
     * {@code end}: {@link LinkEnd#HUB} delays the frames towards the role, {@link LinkEnd#ROLE} the
     * role's own, {@link LinkEnd#BOTH} both, each by the whole delay (so a round trip through the
     * link grows by twice the delay). Replaces an impairment already there; frames the old box
     * still held are dropped, as deleting a netem qdisc drops its queue.
     *
     * @param role whose link
     * @param end which direction(s), as netem on that end would
     * @param impairment the delay and reordering of each chosen direction
     * @return the impaired link, with the box's counters
     * @throws LabException when the box cannot start (no JNA, no AF_PACKET); the link is then as it was
     */
    public ImpairedLink impair(Role role, LinkEnd end, Impairment impairment) {
        return impair(role, end.includesHub() ? impairment : Impairment.NONE,
                end.includesRole() ? impairment : Impairment.NONE);
    }

    /**
     * As {@link #impair(Role, LinkEnd, Impairment)}, with each direction's own impairment.
     *
     * @param role whose link
     * @param towardsRole what happens to the frames from the hub to the role
     * @param fromRole what happens to the role's frames
     * @return the impaired link
     */
    public ImpairedLink impair(Role role, Impairment towardsRole, Impairment fromRole) {
        return installBox(role, towardsRole, fromRole, 0);
    }

    /**
     * Makes a role's link an 802.1Q trunk of one VLAN, without the 8021q module: the
     * {@link WireBox} in the link ({@link ImpairedLink}) tags every frame towards the role with
     * {@code vlanId} (priority 0), and of the role's frames passes only those tagged with it, untagged,
     * to the hub; untagged ones (everything the role's own kernel sends: it has no VLAN interface) and
     * other VLANs' are dropped and counted (no native VLAN). The role's kernel drops the tagged frames
     * it receives (a VLAN id without a VLAN interface), but its packet sockets see them: libpcap and
     * tshark show the tag ({@code vlan 100}), an {@code AF_PACKET} reader finds it in
     * {@code PACKET_AUXDATA}. A program on the role talks on the VLAN by writing tagged frames.
     * Replaces an impairment or trunk already in the link; {@link #clearImpairment} takes it out.
     *
     * @param role whose link
     * @param vlanId the VLAN, 1..4094
     * @return the link, with {@link ImpairedLink#trunkCounters()}
     * @throws IllegalArgumentException on a VLAN id outside 1..4094
     * @throws LabException when the box cannot start (no JNA, no AF_PACKET); the link is then as it was
     */
    public ImpairedLink trunk(Role role, int vlanId) {
        return trunk(role, vlanId, Impairment.NONE, Impairment.NONE);
    }

    /**
     * As {@link #trunk(Role, int)}, with delay, reordering or duplication as well
     * ({@link #impair(Role, Impairment, Impairment)}): applied to the frames as the wire carries
     * them, tagged towards the role.
     *
     * @param role whose link
     * @param vlanId the VLAN, 1..4094
     * @param towardsRole what happens to the frames from the hub to the role
     * @param fromRole what happens to the role's frames that pass the trunk
     * @return the link
     */
    public ImpairedLink trunk(Role role, int vlanId, Impairment towardsRole, Impairment fromRole) {
        if (vlanId < 1 || vlanId > VlanTag.MAX_ID) {
            throw new IllegalArgumentException("a trunk's VLAN id is 1.." + VlanTag.MAX_ID + ": " + vlanId);
        }
        return installBox(role, towardsRole, fromRole, vlanId);
    }

    /**
     * As {@link #trunk(Role, int)}, with the role's own host on the trunk's native VLAN: frames to
     * and from its MAC stay untagged, everything else is tagged. The role's kernel keeps talking on
     * its link (a monitor's probes, ARP for its own address) while every frame of the other hosts'
     * conversations reaches it tagged: a host whose port carries the service's VLAN tagged beside
     * its own untagged one.
     *
     * @param role whose link
     * @param vlanId the VLAN, 1..4094
     * @return the link, to read its counters or remove it
     */
    public ImpairedLink trunkWithNativeHost(Role role, int vlanId) {
        if (vlanId < 1 || vlanId > VlanTag.MAX_ID) {
            throw new IllegalArgumentException("a trunk's VLAN id is 1.." + VlanTag.MAX_ID + ": " + vlanId);
        }
        return installBox(role, Impairment.NONE, Impairment.NONE, vlanId, macAddress(role));
    }

    private synchronized ImpairedLink installBox(Role role, Impairment towardsRole, Impairment fromRole, int trunkVlan) {
        return installBox(role, towardsRole, fromRole, trunkVlan, null);
    }

    private synchronized ImpairedLink installBox(Role role, Impairment towardsRole, Impairment fromRole, int trunkVlan,
            String nativeMac) {
        requireOpen();
        clearImpairment(role);
        ImpairedLink link = ImpairedLink.install(hub, Objects.requireNonNull(role), Objects.requireNonNull(towardsRole),
                Objects.requireNonNull(fromRole), trunkVlan, nativeMac);
        impairments.put(role, link);
        return link;
    }

    /**
     * Takes the wire-impairment box out of a role's link, and with it the trunk, if the link was one: the
     * role's end back in the bridge.
     * Does nothing when there is none.
     *
     * @param role whose link
     */
    public synchronized void clearImpairment(Role role) {
        requireOpen();
        ImpairedLink link = impairments.remove(role);
        if (link != null) {
            link.remove();
        }
    }

    /**
     * @param role a host of the lab
     * @return the box in its link, if {@link #impair} put one there
     */
    public synchronized Optional<ImpairedLink> impairment(Role role) {
        return Optional.ofNullable(impairments.get(role));
    }

    private List<String[]> targets(Role role, LinkEnd end) {
        List<String[]> targets = new ArrayList<>(2);
        if (end.includesRole()) {
            targets.add(new String[] {namespace(role), ROLE_INTERFACE});
        }
        if (end.includesHub()) {
            targets.add(new String[] {hubNamespace(), hubInterface(role)});
        }
        return targets;
    }

    // ------------------------------------------------------------------ commands and processes

    /**
     * Runs a command in a role's namespace and waits for it, with the lab's default timeout.
     *
     * @param role where to run it
     * @param command the program and its arguments
     * @return the result; check {@link ExecResult#ok()} or call {@link ExecResult#requireSuccess()}
     */
    public ExecResult exec(Role role, String... command) {
        return exec(role, commandTimeout, command);
    }

    /**
     * Runs a command in a role's namespace and waits for it; on timeout its process tree is killed.
     *
     * @param role where to run it
     * @param timeout how long it may take
     * @param command the program and its arguments
     * @return the result, with {@link ExecResult#timedOut()} set if it was killed
     */
    public ExecResult exec(Role role, Duration timeout, String... command) {
        return execIn(namespace(role), timeout, List.of(command));
    }

    /**
     * Runs a command in any of this lab's namespaces (for example {@link #hubNamespace()}).
     *
     * @param namespace one of {@link #namespaces()}
     * @param timeout how long it may take
     * @param command the program and its arguments
     * @return the result
     */
    public ExecResult execIn(String namespace, Duration timeout, List<String> command) {
        requireOpen();
        requireOwn(namespace);
        List<String> full = new ArrayList<>(List.of(ip, "netns", "exec", namespace));
        full.addAll(command);
        return Commands.run(timeout, full);
    }

    /**
     * Starts a long-running process in a role's namespace. Its output goes to
     * {@code <workDir>/<name>.out} and {@code .err}; {@link #close()} ends it if it still runs.
     *
     * @param role where to run it
     * @param name a short label for logs and output files (made unique if already used)
     * @param command the program and its arguments
     * @return its handle
     */
    public LabProcess start(Role role, String name, String... command) {
        return startIn(namespace(role), name, List.of(command));
    }

    /**
     * Starts a long-running process in any of this lab's namespaces.
     *
     * @param namespace one of {@link #namespaces()}
     * @param name a short label for logs and output files (made unique if already used)
     * @param command the program and its arguments
     * @return its handle
     */
    public LabProcess startIn(String namespace, String name, List<String> command) {
        requireOwn(namespace);
        synchronized (lifecycle) {
            requireOpen();
            String unique = uniqueName(name);
            Path out = workDir.resolve(unique + ".out");
            Path err = workDir.resolve(unique + ".err");
            List<String> full = new ArrayList<>(List.of(ip, "netns", "exec", namespace));
            full.addAll(command);
            ProcessBuilder pb = Commands.withToolPath(new ProcessBuilder(full)).directory(workDir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            Process process;
            try {
                process = pb.start();
            } catch (IOException e) {
                throw new LabException("cannot start " + String.join(" ", full) + ": " + e.getMessage(), e);
            }
            // No stdin: a program that reads it sees EOF instead of waiting forever.
            Commands.closeQuietly(process.getOutputStream());
            LabProcess handle = new LabProcess(unique, namespace, full, process, out, err);
            processes.add(handle);
            LOG.log(System.Logger.Level.DEBUG, "started {0}: {1}", handle, String.join(" ", full));
            return handle;
        }
    }

    /**
     * Starts a Java main class of this library (or any class on its classpath) in a role's
     * namespace, with {@link #DEFAULT_JVM_OPTIONS} or the builder's JVM options.
     *
     * @param role where to run it
     * @param name a short label for logs and output files
     * @param mainClass the class with {@code main}
     * @param args its arguments
     * @return its handle
     */
    public LabProcess startJava(Role role, String name, Class<?> mainClass, String... args) {
        return startJava(role, name, mainClass, List.of(args));
    }

    /**
     * Same as {@link #startJava(Role, String, Class, String...)} with a list of arguments, e.g.
     * from {@code PushClient.Options#toArgs()}.
     *
     * @param role where to run it
     * @param name a short label for logs and output files
     * @param mainClass the class with {@code main}
     * @param args its arguments
     * @return its handle
     */
    public LabProcess startJava(Role role, String name, Class<?> mainClass, List<String> args) {
        return start(role, name, JavaCommand.of(mainClass, jvmOptions, args).toArray(String[]::new));
    }

    /** @return the processes started so far, in start order (running or not) */
    public List<LabProcess> processes() {
        return List.copyOf(processes);
    }

    private String uniqueName(String name) {
        String base = name.replaceAll("[^A-Za-z0-9_.-]", "_");
        String candidate = base;
        for (int i = 2; !usedNames.add(candidate); i++) {
            candidate = base + "-" + i;
        }
        return candidate;
    }

    // ------------------------------------------------------------------ cleanup

    /** @return true once {@link #close()} has run */
    public boolean isClosed() {
        synchronized (lifecycle) {
            return closed;
        }
    }

    /**
     * Ends every process this lab started (SIGTERM, then SIGKILL after a grace period), ends any
     * other process still inside the lab's namespaces (something run through {@link #exec} that
     * left a child behind), and deletes the four namespaces, which removes the veths and the
     * bridge with them. Idempotent. Output files in {@link #workDir()} are kept.
     *
     * @throws LabException when a namespace could not be deleted
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            List<ProcessHandle> ours = new ArrayList<>();
            for (LabProcess process : processes) {
                if (process.isAlive()) {
                    ours.add(process.processHandle());
                }
            }
            Commands.destroyTrees(ours, PROCESS_GRACE);
            for (LabProcess process : processes) {
                process.waitFor(Duration.ofSeconds(2)); // let the JDK reap them, so isAlive() is false on return
            }
            removeLeftovers(prefix);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException | NullPointerException e) {
                // already shutting down (we may be the hook), or the hook was never registered
            }
        }
        LOG.log(System.Logger.Level.INFO, "lab {0} removed", prefix);
    }

    private void closeFromHook() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("migware lab " + prefix + ": cleanup at exit failed: " + e.getMessage());
        }
    }

    /**
     * Whether namespaces of a lab with this prefix exist, e.g. left behind by a run that was
     * killed before it could clean up.
     *
     * @param prefix the lab's name prefix
     * @return true when any of its four namespaces exists
     */
    public static boolean leftovers(String prefix) {
        return !existingNamespaces(prefix).isEmpty();
    }

    /**
     * Removes what a lab with this prefix left behind: ends the processes inside its namespaces
     * (only those; they can only have been started there by a lab) and deletes the namespaces.
     * Only the four exact names of that prefix are touched, never other labs' namespaces.
     *
     * @param prefix the lab's name prefix
     * @throws LabException when a namespace could not be deleted
     */
    public static void removeLeftovers(String prefix) {
        checkPrerequisites();
        String ip = Commands.tool("ip", "iproute2");
        List<String> existing = existingNamespaces(prefix);
        List<ProcessHandle> inside = new ArrayList<>();
        for (String ns : existing) {
            ExecResult pids = Commands.run(Duration.ofSeconds(10), ip, "netns", "pids", ns);
            for (String line : pids.stdout().split("\\s+")) {
                if (line.matches("\\d+")) {
                    ProcessHandle.of(Long.parseLong(line)).ifPresent(inside::add);
                }
            }
        }
        if (!inside.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "ending {0} processes left in lab {1}", inside.size(), prefix);
            Commands.destroyTrees(inside, PROCESS_GRACE);
        }
        List<String> failures = new ArrayList<>();
        for (String ns : existing) {
            ExecResult result = Commands.run(Duration.ofSeconds(10), ip, "netns", "del", ns);
            if (!result.ok() && !result.stderr().contains("No such file")) {
                failures.add(result.describeFailure());
            }
        }
        List<String> still = existingNamespaces(prefix);
        if (!still.isEmpty() || !failures.isEmpty()) {
            throw new LabException("could not remove namespaces " + still + " of lab '" + prefix + "': " + failures);
        }
    }

    private static List<String> existingNamespaces(String prefix) {
        validatePrefix(prefix);
        String ip = Commands.tool("ip", "iproute2");
        ExecResult list = Commands.run(Duration.ofSeconds(10), ip, "netns", "list").requireSuccess();
        Set<String> present = new LinkedHashSet<>();
        for (String line : list.stdout().split("\n")) {
            String[] tokens = line.trim().split("\\s+");
            if (tokens.length > 0 && !tokens[0].isEmpty()) {
                present.add(tokens[0]);
            }
        }
        List<String> ours = new ArrayList<>();
        for (String name : namespaceNames(prefix)) {
            if (present.contains(name)) {
                ours.add(name);
            }
        }
        return ours;
    }

    private static List<String> namespaceNames(String prefix) {
        List<String> names = new ArrayList<>();
        names.add(namespaceName(prefix, HUB_SUFFIX));
        for (Role role : Role.values()) {
            names.add(namespaceName(prefix, role.suffix()));
        }
        return names;
    }

    private static String namespaceName(String prefix, String suffix) {
        return prefix + "-" + suffix;
    }

    private static void validatePrefix(String prefix) {
        if (prefix == null || !PREFIX_PATTERN.matcher(prefix).matches()) {
            throw new IllegalArgumentException("lab prefix must be 1-40 characters of [A-Za-z0-9_.-], starting with a"
                    + " letter or digit: " + prefix);
        }
    }

    /**
     * Runs {@code ip -n <hub> args} (not checked: call {@link ExecResult#requireSuccess()}).
     *
     * @param args the ip command's arguments
     * @return the result
     */
    ExecResult hubIp(String... args) {
        requireOpen();
        List<String> cmd = new ArrayList<>(List.of(ip, "-n", hubNamespace()));
        cmd.addAll(Arrays.asList(args));
        return Commands.run(commandTimeout, cmd);
    }

    /**
     * Runs several ip commands in the hub in one process ({@code ip -batch}), so they take effect
     * microseconds apart.
     *
     * @param fileName the batch file's name in {@link #workDir()}
     * @param commands the commands, without "ip" and without the namespace
     */
    void hubBatch(String fileName, List<String> commands) {
        Path file = workDir.resolve(fileName);
        try {
            Files.writeString(file, String.join("\n", commands) + "\n");
        } catch (IOException e) {
            throw new LabException("cannot write " + file + ": " + e.getMessage(), e);
        }
        hubIp("-batch", file.toString()).requireSuccess();
    }

    /** This lab's hub as its impaired links see it. */
    private final class HubView implements Hub {
        @Override
        public String namespace() {
            return hubNamespace();
        }

        @Override
        public String roleInterface(Role role) {
            return hubInterface(role);
        }

        @Override
        public Path workDir() {
            return workDir;
        }

        @Override
        public ExecResult ip(String... args) {
            return hubIp(args);
        }

        @Override
        public void ipBatch(String fileName, List<String> commands) {
            hubBatch(fileName, commands);
        }

        @Override
        public ExecResult exec(Duration timeout, List<String> command) {
            return execIn(hubNamespace(), timeout, command);
        }

        @Override
        public LabProcess start(String name, List<String> command) {
            return startIn(hubNamespace(), name, command);
        }
    }

    private ExecResult ip(String... args) {
        List<String> cmd = new ArrayList<>(args.length + 1);
        cmd.add(ip);
        cmd.addAll(Arrays.asList(args));
        return Commands.run(commandTimeout, cmd).requireSuccess();
    }

    private void requireOpen() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("lab " + prefix + " is closed");
            }
        }
    }

    private void requireOwn(String namespace) {
        if (!namespaces().contains(namespace)) {
            throw new IllegalArgumentException(namespace + " is not one of this lab's namespaces " + namespaces());
        }
    }

    private static Path prepareWorkDir(Path requested, String prefix) {
        try {
            if (requested == null) {
                return Files.createTempDirectory("migware-lab-" + prefix + "-");
            }
            return Files.createDirectories(requested);
        } catch (IOException e) {
            throw new LabException("cannot create the lab's work directory: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "LabNetwork[" + prefix + ", " + addresses + (isClosed() ? ", closed]" : "]");
    }

    /**
     * Configures a {@link LabNetwork}; {@link #create()} builds it.
     */
    public static final class Builder {
        private String prefix = DEFAULT_PREFIX;
        private final EnumMap<Role, String> addresses = new EnumMap<>(Role.class);
        private int prefixLength = 24;
        private Path workDir;
        private boolean ipv6;
        private boolean replaceLeftovers;
        private boolean secondBackup;
        private Duration commandTimeout = Duration.ofSeconds(10);
        private List<String> jvmOptions = DEFAULT_JVM_OPTIONS;

        private Builder() {
            for (Role role : Role.values()) {
                addresses.put(role, "10.77.0." + role.defaultHost());
            }
        }

        /**
         * @param prefix the namespaces' name prefix (default "mw"); use a unique one per concurrent lab
         * @return this builder
         */
        public Builder prefix(String prefix) {
            validatePrefix(prefix);
            this.prefix = prefix;
            return this;
        }

        /**
         * @param role a host
         * @param ipv4 its IPv4 address literal
         * @return this builder
         */
        public Builder address(Role role, String ipv4) {
            addresses.put(Objects.requireNonNull(role), requireIpv4(ipv4));
            return this;
        }

        /**
         * @param prefixLength the subnet's prefix length (default 24)
         * @return this builder
         */
        public Builder prefixLength(int prefixLength) {
            if (prefixLength < 1 || prefixLength > 30) {
                throw new IllegalArgumentException("prefix length must be 1..30: " + prefixLength);
            }
            this.prefixLength = prefixLength;
            return this;
        }

        /**
         * @param workDir where started processes' output goes (default: a new temporary directory)
         * @return this builder
         */
        public Builder workDir(Path workDir) {
            this.workDir = workDir;
            return this;
        }

        /**
         * @param enabled whether the namespaces keep IPv6 (default false: the lab is IPv4 and
         *        IPv6 neighbour discovery would only add noise to captures)
         * @return this builder
         */
        public Builder ipv6(boolean enabled) {
            this.ipv6 = enabled;
            return this;
        }

        /**
         * @param with whether the lab has a second backup host ({@link Role#SECOND_BACKUP}; default false)
         * @return this builder
         */
        public Builder secondBackup(boolean with) {
            this.secondBackup = with;
            return this;
        }

        /**
         * @param replace whether to remove existing namespaces of the same prefix first (default
         *        false: fail, because they may belong to a lab that is still running)
         * @return this builder
         */
        public Builder replaceLeftovers(boolean replace) {
            this.replaceLeftovers = replace;
            return this;
        }

        /**
         * @param timeout the default timeout of {@link LabNetwork#exec(Role, String...)} and setup commands
         * @return this builder
         */
        public Builder commandTimeout(Duration timeout) {
            this.commandTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /**
         * @param options the JVM options of {@link LabNetwork#startJava}
         * @return this builder
         */
        public Builder jvmOptions(List<String> options) {
            this.jvmOptions = List.copyOf(options);
            return this;
        }

        /**
         * Builds the lab.
         *
         * @return the running lab; close it
         * @throws LabException when not root, iproute2 is missing, the prefix is in use, or a
         *         setup command fails (whatever was created is removed again)
         */
        public LabNetwork create() {
            Set<String> distinct = new LinkedHashSet<>(addresses.values());
            if (distinct.size() != addresses.size()) {
                throw new IllegalArgumentException("the roles need distinct addresses: " + addresses);
            }
            return new LabNetwork(this);
        }

        private static String requireIpv4(String literal) {
            if (literal == null || !literal.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
                throw new IllegalArgumentException("not an IPv4 address literal: " + literal);
            }
            try {
                // A literal never triggers a name lookup; this only checks the octet ranges.
                return InetAddress.getByName(literal).getHostAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IPv4 address literal: " + literal, e);
            }
        }
    }
}
