package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.Await;
import org.migware.lab.ExecResult;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigrationExperiment.Result;
import org.migware.lab.experiments.MigrationExperiment.Scenario;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;

/**
 * Issue 10, points 3 and 4 in NORMAL and in PROXY, on the lab: for every carried connection, frames the
 * primary's stack does not believe are put on the hub (to the primary or the client, and to the
 * backup, whose capture MigWare reads): RSTs and a FIN in the window but not at RCV.NXT, an ACK
 * 2^30 beyond what was sent, a TSval 2^30 ahead, a SYN-ACK without window scale, a FIN at
 * RCV.NXT with a wrong checksum and one whose IP length exceeds the frame. The oracles: the
 * primary's and the client's kernels ({@code ss}) keep every connection ESTABLISHED, and after
 * the primary is pulled the push clients' records reach the replica's application from the
 * primary's last on, without gap, duplicate or torn record. In PROXY the same frames again, now
 * towards MigWare (what the client sends goes to the service address, which MigWare answers for)
 * and the client: MigWare passes the client's side on for the replica's stack to judge, as the
 * primary's judged them; the client's and the replica's kernels ({@code ss}) keep every connection.
 */
@Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
class UntrustedFramesLabTest {

    private static final int CONNECTIONS = 10;

    @Test
    void framesThePrimaryDoesNotBelieveChangeNothingAndEveryConnectionCarriesOn() {
        String prefix = "mwforge";
        AtomicReference<String> injected = new AtomicReference<>("");
        AtomicInteger primaryEstablished = new AtomicInteger(-1);
        AtomicInteger clientEstablished = new AtomicInteger(-1);
        AtomicReference<String> injectedInProxy = new AtomicReference<>("");
        AtomicInteger replicaEstablishedInProxy = new AtomicInteger(-1);
        AtomicInteger clientEstablishedInProxy = new AtomicInteger(-1);
        MigrationExperiment.Options options = MigrationExperiment.Options.forScenario(Scenario.PUSH, BuiltDistribution.home())
                .withPrefix(prefix).withConnections(CONNECTIONS).withIntervalMillis(100).withBeforeFailureMillis(8000)
                .withAfterFailureMillis(10_000).withMonitor(DetectionExperiment.Profile.FAST);
        Result result = MigrationExperiment.run(options, message -> System.out.println("[lab " + prefix + "] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void aboutToPull(LabNetwork lab, MigwareInstance migware) {
                        injected.set(inject(lab, options.port(), false));
                        System.out.println("[lab " + prefix + "] injected:\n" + injected.get());
                        Await.sleep(1000); // challenge ACKs answered, the OFO queue left as it is
                        primaryEstablished.set(established(lab, Role.PRIMARY, "sport", options.port()));
                        clientEstablished.set(established(lab, Role.CLIENT, "dport", options.port()));
                        System.out.println("[lab " + prefix + "] ESTABLISHED after the forged frames: primary "
                                + primaryEstablished.get() + ", client " + clientEstablished.get());
                    }

                    @Override
                    public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                        Await.until("PROXY", Duration.ofSeconds(30), () -> migware.status().proxy());
                        Await.sleep(1500); // records flow through MigWare
                        injectedInProxy.set(inject(lab, options.port(), true));
                        System.out.println("[lab " + prefix + "] injected in PROXY:\n" + injectedInProxy.get());
                        Await.sleep(1000);
                        replicaEstablishedInProxy.set(established(lab, Role.BACKUP, "sport", options.port()));
                        clientEstablishedInProxy.set(established(lab, Role.CLIENT, "dport", options.port()));
                        System.out.println("[lab " + prefix + "] ESTABLISHED after the forged frames in PROXY: replica "
                                + replicaEstablishedInProxy.get() + ", client " + clientEstablishedInProxy.get());
                    }
                });
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
        long tuples = injected.get().lines().filter(l -> l.startsWith("forged ")).count();
        assertEquals(CONNECTIONS, tuples, () -> "forged frames for every carried connection:\n" + injected.get());
        assertEquals(CONNECTIONS, primaryEstablished.get(), "the primary's stack kept every connection");
        assertEquals(CONNECTIONS, clientEstablished.get(), "the client's stack kept every connection");
        assertEquals(CONNECTIONS, injectedInProxy.get().lines().filter(l -> l.startsWith("forged ")).count(),
                () -> "forged frames in PROXY for every carried connection:\n" + injectedInProxy.get());
        assertEquals(CONNECTIONS, replicaEstablishedInProxy.get(), "in PROXY the replica's stack kept every connection");
        assertEquals(CONNECTIONS, clientEstablishedInProxy.get(), "in PROXY the client's stack kept every connection");
        String broken = result.connections().stream().filter(c -> !c.survived()).map(Object::toString)
                .collect(Collectors.joining("\n"));
        assertEquals(CONNECTIONS, result.survived(), () -> "broken connections:\n" + broken + "\n" + result.statusAfter());
        for (MigrationExperiment.ConnectionOutcome c : result.connections()) {
            assertEquals(0, c.replicaDuplicates(), c::toString);
            assertEquals(0, c.replicaTorn(), c::toString);
        }
        MigrationScenariosLabTest.assertRecovered(result, CONNECTIONS);
    }

    private static int established(LabNetwork lab, Role role, String portSide, int port) {
        ExecResult ss = lab.exec(role, "ss", "-Htn", "state", "established", "( " + portSide + " = :" + port + " )");
        return (int) ss.requireSuccess().stdout().lines().filter(l -> !l.isBlank()).count();
    }

    /** @param inProxy the primary is gone: watch the client's port, and send what goes to the primary only towards MigWare */
    private static String inject(LabNetwork lab, int port, boolean inProxy) {
        Path script = lab.workDir().resolve("forge-frames.py");
        try {
            Files.writeString(script, FORGE_SCRIPT, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + script, e);
        }
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        ExecResult result = lab.execIn(lab.hubNamespace(), Duration.ofSeconds(30), List.of(python, script.toString(),
                lab.address(Role.PRIMARY), lab.address(Role.CLIENT), String.valueOf(port),
                lab.hubInterface(Role.PRIMARY), lab.hubInterface(Role.CLIENT), lab.hubInterface(Role.BACKUP),
                lab.macAddress(Role.PRIMARY), lab.macAddress(Role.CLIENT), "2.0", inProxy ? "proxy" : "normal"));
        return result.requireSuccess().stdout() + result.stderr();
    }

    /**
     * Runs in the hub's namespace. Watches the primary's port of the hub for two seconds to learn
     * each connection's latest sequence and acknowledgement numbers and TSvals, then writes the
     * forged frames straight onto the hub's ports: towards the primary or the client, and
     * towards the backup. Offsets are odd so that no real segment boundary meets them by chance
     * (a FIN queued out of order is taken only if a real segment ends exactly at it).
     */
    static final String FORGE_SCRIPT = """
            import socket, struct, sys, time, random

            prim_ip, cli_ip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
            if_p, if_c, if_b = sys.argv[4], sys.argv[5], sys.argv[6]
            mac_p = bytes.fromhex(sys.argv[7].replace(":", ""))
            mac_c = bytes.fromhex(sys.argv[8].replace(":", ""))
            watch = float(sys.argv[9])
            in_proxy = sys.argv[10] == "proxy"  # the primary's link is pulled: MigWare answers for its address
            M = 0xFFFFFFFF

            def csum(data):
                if len(data) % 2:
                    data += b"\\0"
                total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
                while total >> 16:
                    total = (total & 0xFFFF) + (total >> 16)
                return ~total & 0xFFFF

            def timestamps(options):
                i = 0
                while i < len(options):
                    kind = options[i]
                    if kind == 0:
                        break
                    if kind == 1:
                        i += 1
                        continue
                    if i + 1 >= len(options) or options[i + 1] < 2:
                        break
                    if kind == 8 and options[i + 1] == 10:
                        return struct.unpack("!II", options[i + 2:i + 10])
                    i += options[i + 1]
                return None

            def frame(src_mac, dst_mac, src, sport, dst, dport, seq, ack, flags, window, ts=None, payload=b"",
                      bad_checksum=False, extra_ip_length=0, syn_options=None):
                options = syn_options if syn_options is not None else b""
                if ts is not None:
                    options += struct.pack("!BBBBII", 1, 1, 8, 10, ts[0] & M, ts[1] & M)
                tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & M, ack & M, (20 + len(options)) // 4 << 4, flags,
                                  window, 0, 0) + options + payload
                pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
                check = csum(pseudo + tcp)
                if bad_checksum:
                    check ^= 0x5A5A
                tcp = tcp[:16] + struct.pack("!H", check) + tcp[18:]
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + extra_ip_length, random.randint(1, 65535), 0x4000,
                                 64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
                ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
                return dst_mac + src_mac + b"\\x08\\x00" + ip + tcp

            rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
            rx.bind((if_c if in_proxy else if_p, 0))
            rx.settimeout(0.2)
            latest = {}
            deadline = time.time() + watch
            while time.time() < deadline:
                try:
                    data = rx.recv(70000)
                except socket.timeout:
                    continue
                if data[12:14] != b"\\x08\\x00":
                    continue
                ip = data[14:]
                if ip[9] != 6:
                    continue
                ihl = (ip[0] & 15) * 4
                total = struct.unpack("!H", ip[2:4])[0]
                src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
                tcp = ip[ihl:total]
                sport, dport, seq, ack, offset, flags, window = struct.unpack("!HHIIBBH", tcp[:16])
                data_offset = (offset >> 4) * 4
                if flags & 0x07 or not flags & 0x10:
                    continue
                ts = timestamps(tcp[20:data_offset])
                end = (seq + len(tcp) - data_offset) & M
                if src == cli_ip and dport == port:
                    latest.setdefault(sport, {})["c"] = (end, ack, ts)
                elif src == prim_ip and sport == port:
                    latest.setdefault(dport, {})["p"] = (end, ack, ts)

            tx_p = None if in_proxy else socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            if tx_p:
                tx_p.bind((if_p, 0))
            tx_c = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            tx_c.bind((if_c, 0))
            tx_b = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            tx_b.bind((if_b, 0))

            def to_primary(f):
                tx_b.send(f)
                if tx_p:
                    tx_p.send(f)

            def to_client(f):
                if not in_proxy:
                    tx_b.send(f)
                tx_c.send(f)

            for cport, sides in sorted(latest.items()):
                if "c" not in sides or "p" not in sides:
                    print("seen one way only: " + str(cport))
                    continue
                c_end, c_ack, c_ts = sides["c"]
                p_end, p_ack, p_ts = sides["p"]
                c_ts = c_ts or (0, 0)
                p_ts = p_ts or (0, 0)
                tsc = (c_ts[0], p_ts[0])
                tsp = (p_ts[0], c_ts[0])
                up = lambda seq, ack, flags, **kw: frame(mac_c, mac_p, cli_ip, cport, prim_ip, port, seq, ack, flags, 502, **kw)
                down = lambda seq, ack, flags, **kw: frame(mac_p, mac_c, prim_ip, port, cli_ip, cport, seq, ack, flags, 502, **kw)
                to_primary(up(c_end + 1237, 0, 0x04))                                   # RST in the window, not at RCV.NXT
                to_primary(up(c_end + 20011, p_end, 0x11, ts=tsc))                      # FIN in the window, beyond RCV.NXT
                to_primary(up(c_end, p_end + (1 << 30), 0x10, ts=tsc))                  # ACK of data never sent
                to_primary(up(c_end + 1, p_end, 0x18, ts=(c_ts[0] + (1 << 30), p_ts[0]), payload=b"X"))  # TSval 2^30 ahead
                to_primary(up(c_end, p_end, 0x11, ts=tsc, bad_checksum=True))           # FIN at RCV.NXT, wrong checksum
                to_primary(up(c_end, p_end, 0x11, ts=tsc, extra_ip_length=200))         # FIN at RCV.NXT, IP length beyond the frame
                to_client(down(random.getrandbits(32), c_end, 0x12, syn_options=struct.pack("!BBH", 2, 4, 536)))  # SYN-ACK, no window scale
                to_client(down(p_end + 1237, 0, 0x04))                                  # RST in the window, not at RCV.NXT
                to_client(down(p_end, c_end + (1 << 30), 0x10, ts=tsp))                # ACK of data never sent
                print("forged 9 frames for %s:%d (client sent to %d, primary sent to %d)" % (cli_ip, cport, c_end, p_end))
            """;
}
