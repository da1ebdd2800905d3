package org.migware.lab.network;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import org.migware.lab.Commands;
import org.migware.lab.JavaCommand;
import org.migware.lab.LabException;

/**
 * A role's link with a {@link WireBox} in it: delay, reordering and duplication without netem, or
 * an 802.1Q trunk ({@link VlanTrunk}) without the 8021q module, or both. Made by
 * {@link LabNetwork#impair} or {@link LabNetwork#trunk}, removed by {@link LabNetwork#clearImpairment}
 * or with the lab.
 *
 * <pre>
 *   role's eth0 ── &lt;role&gt; ══ WireBox ══ &lt;role&gt;-box ── &lt;role&gt;-port ── br0
 *                  (hub namespace: the box's process and both veths)
 * </pre>
 *
 * <p>The role's end of its veth in the hub ({@code <role>}) leaves the bridge; a new veth pair
 * joins it, {@code <role>-port} as the bridge port and {@code <role>-box} for the box, which
 * forwards every frame between {@code <role>} and {@code <role>-box}. The box starts, and opens
 * both sockets, before the bridge is switched over; the switch (the role's end out of the bridge,
 * the new port in) is one {@code ip -batch}, so at most the frames of a few microseconds are lost.
 * IPv6 is off on the new ends, so they add nothing to the wire. The box runs in the hub's
 * namespace as a process of the lab, ended with it, at nice -10: its lateness (in its counters)
 * should not grow with the load of the endpoints it connects.
 */
public final class ImpairedLink {

    /** The suffix of the new bridge port's name. */
    static final String PORT_SUFFIX = "-port";
    /** The suffix of the box's end of the new veth. */
    static final String BOX_SUFFIX = "-box";
    /** JVM options of the box: it allocates nothing per frame, so a small heap and C1 do. */
    static final List<String> JVM_OPTIONS = List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    /** The kernel's table of packet sockets: there when it has them (CONFIG_PACKET). */
    static final Path PACKET_SOCKETS = Path.of("/proc/net/packet");

    private static final Duration START = Duration.ofSeconds(20);

    /**
     * The box's counters at one time.
     *
     * @param writtenAtMillis when the box wrote them (epoch ms)
     * @param towardsRole the direction from the hub to the role
     * @param fromRole the direction from the role to the hub
     * @param trunk the trunk's tagging and dropping, when the link is one ({@link LabNetwork#trunk})
     */
    public record Counters(long writtenAtMillis, WireCounters towardsRole, WireCounters fromRole,
            Optional<TrunkCounters> trunk) {
    }

    private final Hub hub;
    private final Role role;
    private final Impairment towardsRole;
    private final Impairment fromRole;
    private final int trunkVlan;
    private final LabProcess box;
    private final Path stats;

    private ImpairedLink(Hub hub, Role role, Impairment towardsRole, Impairment fromRole, int trunkVlan, LabProcess box,
            Path stats) {
        this.hub = hub;
        this.role = role;
        this.towardsRole = towardsRole;
        this.fromRole = fromRole;
        this.trunkVlan = trunkVlan;
        this.box = box;
        this.stats = stats;
    }

    /**
     * Puts a box into the role's link; see the class comment.
     *
     * @param trunkVlan the VLAN of the role side's trunk, 0 for none
     * @throws LabException when JNA is missing or the box cannot start (its error says why: no
     *         AF_PACKET, ...); the link is then as it was
     */
    static ImpairedLink install(Hub hub, Role role, Impairment towardsRole, Impairment fromRole, int trunkVlan) {
        return install(hub, role, towardsRole, fromRole, trunkVlan, null);
    }

    /**
     * As {@link #install(Hub, Role, Impairment, Impairment, int)}, the role's own host on the trunk's native VLAN.
     *
     * @param nativeMac the role's MAC, whose frames stay untagged both ways; null for none
     */
    static ImpairedLink install(Hub hub, Role role, Impairment towardsRole, Impairment fromRole, int trunkVlan, String nativeMac) {
        if (trunkVlan < 0 || trunkVlan > VlanTag.MAX_ID) {
            throw new IllegalArgumentException("a trunk's VLAN id is 1.." + VlanTag.MAX_ID + ": " + trunkVlan);
        }
        String jna = jnaClasspath();
        String roleSide = hub.roleInterface(role);
        String port = portName(role);
        String boxSide = boxName(role);
        hub.ip("link", "add", port, "type", "veth", "peer", "name", boxSide).requireSuccess();
        LabProcess box = null;
        try {
            hub.exec(Duration.ofSeconds(10), List.of("sh", "-c", "for i in " + roleSide + " " + port + " " + boxSide
                    + "; do f=/proc/sys/net/ipv6/conf/$i/disable_ipv6; if [ -e $f ]; then echo 1 > $f; fi; done"))
                    .requireSuccess();
            hub.ip("link", "set", boxSide, "up").requireSuccess();
            hub.ip("link", "set", port, "up").requireSuccess();
            Path stats = hub.workDir().resolve("wirebox-" + role.suffix() + ".properties");
            Files.deleteIfExists(stats);
            List<String> args = new ArrayList<>(List.of("--role-side", roleSide, "--hub-side", boxSide,
                    "--towards-role-delay-us", Long.toString(towardsRole.delay().toNanos() / 1000),
                    "--towards-role-reorder", Double.toString(towardsRole.reorderPercent()),
                    "--towards-role-duplicate", Double.toString(towardsRole.duplicatePercent()),
                    "--from-role-delay-us", Long.toString(fromRole.delay().toNanos() / 1000),
                    "--from-role-reorder", Double.toString(fromRole.reorderPercent()),
                    "--from-role-duplicate", Double.toString(fromRole.duplicatePercent()), "--stats", stats.toString()));
            if (trunkVlan != 0) {
                args.addAll(List.of("--trunk-vlan", Integer.toString(trunkVlan)));
                if (nativeMac != null) {
                    args.addAll(List.of("--trunk-native-mac", nativeMac));
                }
            }
            // Ahead of the lab's other processes (we are root): a wire does not wait for the CPU the endpoints use.
            List<String> command = new ArrayList<>(List.of(Commands.tool("nice", "coreutils"), "-n", "-10"));
            command.addAll(JavaCommand.of(WireBox.class, JVM_OPTIONS, List.of(jna), args));
            box = hub.start("wirebox-" + role.suffix(), command);
            try {
                box.awaitOutput(WireBox.READY, START);
            } catch (LabException e) {
                throw new LabException("the wire-impairment box of the " + role.suffix() + " link did not start: "
                        + e.getMessage(), e);
            }
            hub.ipBatch("wirebox-" + role.suffix() + "-in.ip", List.of("link set dev " + roleSide + " nomaster",
                    "link set dev " + port + " master " + Hub.BRIDGE));
            return new ImpairedLink(hub, role, towardsRole, fromRole, trunkVlan, box, stats);
        } catch (IOException e) {
            undo(hub, box, roleSide, port);
            throw new LabException("cannot prepare the wire-impairment box: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            undo(hub, box, roleSide, port);
            throw e;
        }
    }

    /** Back to the plain link, whatever step failed: not checked, some of it may not have been done. */
    private static void undo(Hub hub, LabProcess box, String roleSide, String port) {
        if (box != null) {
            box.destroy();
        }
        hub.ip("link", "del", port);
        hub.ip("link", "set", "dev", roleSide, "master", Hub.BRIDGE);
    }

    /**
     * Takes the box out: the role's end back into the bridge (one {@code ip -batch} with taking the
     * port out), the box ended, the new veth deleted.
     */
    void remove() {
        String port = portName(role);
        hub.ipBatch("wirebox-" + role.suffix() + "-out.ip", List.of("link set dev " + port + " nomaster",
                "link set dev " + hub.roleInterface(role) + " master " + Hub.BRIDGE));
        box.destroy();
        hub.ip("link", "del", port).requireSuccess();
    }

    /** @return whose link */
    public Role role() {
        return role;
    }

    /** @return what the box does to the frames towards the role */
    public Impairment towardsRole() {
        return towardsRole;
    }

    /** @return what it does to the frames from the role */
    public Impairment fromRole() {
        return fromRole;
    }

    /** @return the VLAN of the role side's 802.1Q trunk, when the link is one ({@link LabNetwork#trunk}) */
    public OptionalInt trunkVlan() {
        return trunkVlan == 0 ? OptionalInt.empty() : OptionalInt.of(trunkVlan);
    }

    /**
     * The trunk's counters now (see {@link #counters()}).
     *
     * @return what the trunk tagged, untagged and dropped
     * @throws IllegalStateException when the link is not a trunk
     */
    public TrunkCounters trunkCounters() {
        if (trunkVlan == 0) {
            throw new IllegalStateException("the " + role.suffix() + " link is not a trunk: " + this);
        }
        return counters().trunk().orElseThrow(() -> new LabException("the wire box of the " + role.suffix()
                + " link wrote no trunk counters to " + stats));
    }

    /** @return the role's port on the bridge while the box is in: {@code <role>-port} */
    public String bridgePort() {
        return portName(role);
    }

    /** @return the box's process */
    public LabProcess process() {
        return box;
    }

    /**
     * The box's counters as they are now: waits (up to two seconds) for the box to write them
     * after this call. When the box has ended, the last ones it wrote.
     *
     * @return the counters
     * @throws LabException when the box never wrote any
     */
    public Counters counters() {
        long asked = System.currentTimeMillis();
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        Optional<Counters> last = read();
        while (box.isAlive() && System.nanoTime() - deadline < 0
                && last.map(c -> c.writtenAtMillis() < asked).orElse(true)) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            last = read();
        }
        return last.orElseThrow(() -> new LabException("the wire-impairment box of the " + role.suffix()
                + " link wrote no counters to " + stats + ": " + box.stderr()));
    }

    private Optional<Counters> read() {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(stats, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            return Optional.empty();
        }
        String at = p.getProperty("writtenAtMillis");
        if (at == null) {
            return Optional.empty();
        }
        return Optional.of(new Counters(Long.parseLong(at.trim()), WireCounters.from(WireBox.TOWARDS_ROLE, p),
                WireCounters.from(WireBox.FROM_ROLE, p), TrunkCounters.from(p)));
    }

    static String portName(Role role) {
        return role.suffix() + PORT_SUFFIX;
    }

    static String boxName(Role role) {
        return role.suffix() + BOX_SUFFIX;
    }

    /**
     * Says why a box could not start here, if it could not: what {@link LabNetwork#prerequisitesMissing()}
     * does not cover.
     *
     * @return the reasons, each with its remedy; empty when the kernel has packet sockets and JNA is on the classpath
     */
    public static List<String> prerequisitesMissing() {
        return prerequisitesMissing(PACKET_SOCKETS);
    }

    static List<String> prerequisitesMissing(Path packetSockets) {
        List<String> reasons = new ArrayList<>();
        if (!Files.exists(packetSockets)) {
            reasons.add("the wire-impairment box reads and writes the link's frames with packet sockets (AF_PACKET,"
                    + " CONFIG_PACKET), which this kernel does not have (no " + packetSockets + "): load them with"
                    + " modprobe af_packet");
        }
        try {
            jnaClasspath();
        } catch (LabException e) {
            reasons.add(e.getMessage());
        }
        return reasons;
    }

    /**
     * @return where JNA was loaded from, for the box's classpath
     * @throws LabException when it is not on this JVM's classpath
     */
    static String jnaClasspath() {
        try {
            return JavaCommand.classpathOf(Class.forName("com.sun.jna.Native", false, ImpairedLink.class.getClassLoader()));
        } catch (ClassNotFoundException | LinkageError e) {
            throw new LabException("the wire-impairment box (delay and reordering without netem) needs JNA"
                    + " (net.java.dev.jna:jna) on the classpath, which is lib/jna.jar of the distribution (rebuild it with"
                    + " mvn -B package -DskipTests): " + e);
        }
    }

    @Override
    public String toString() {
        return "ImpairedLink[" + role.suffix() + ", towards it: " + towardsRole + ", from it: " + fromRole
                + (trunkVlan == 0 ? "" : ", a trunk of VLAN " + trunkVlan) + "]";
    }
}
