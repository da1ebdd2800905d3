package org.migware.lab.report;

import org.migware.lab.oracles.LatencyStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.migware.lab.Await;
import org.migware.lab.experiments.ReplayExperiment;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.OneCpu;
import org.migware.lab.network.Role;
import org.migware.lab.workloads.MosquittoBroker;

/**
 * The session scenario, one run: mosquitto on primary and backup, the job's publishers
 * (mosquitto_pub -l at QoS 1, one long-lived session each, 10 messages a second, what each was
 * handed kept by tee) and a subscriber to all their topics, all logged in and subscribed before the
 * primary's link is pulled. Both clients reconnect by themselves when their session breaks
 * (mosquitto's own client behaviour). Their output is line-buffered (stdbuf), so that what their
 * files hold at an instant is what they had printed by then. Measured by the clients alone, from their debug output:
 * per publisher the messages handed to it after the pull that a PUBACK acknowledged, its error
 * lines and its reconnects; the subscriber's messages published after the pull against the messages handed to
 * the publishers after it, and when its first such message arrived.
 */
final class SessionRun {

    /** mosquitto's port on primary and backup. */
    static final int PORT = 1883;
    /** HAProxy's port in the baseline. */
    static final int FRONTEND_PORT = 1983;
    /** The subscriber's payload lines: {@code -F '%U %t %p'}: seconds.nanoseconds, topic, the publisher's counter. */
    private static final Pattern MESSAGE = Pattern.compile("^(\\d+)\\.(\\d{9}) t/(\\d+) (\\d+)$");
    /** A PUBACK in mosquitto_pub's debug output, with the message id. */
    private static final Pattern PUBACK = Pattern.compile("received PUBACK \\(Mid: (\\d+)");
    /** Grace after the last counted message: what was handed over by then has had time to arrive. */
    private static final long DRAIN_MILLIS = 1500;

    private SessionRun() {
    }

    static Map<String, Object> run(JobOptions o, FailoverSystem system, Path raw, AtomicReference<LabNetwork> current,
            Consumer<String> progress) {
        try (ScenarioLab lab = ScenarioLab.create(o, system, PORT, FRONTEND_PORT, current)) {
            ReplayExperiment x = lab.experiment();
            Path work = lab.lab().workDir();
            MosquittoBroker.start(lab.lab(), Role.PRIMARY, work.resolve("mosquitto-primary"), x.address(Role.PRIMARY), PORT);
            MosquittoBroker.start(lab.lab(), Role.BACKUP, work.resolve("mosquitto-backup"), x.address(Role.BACKUP), PORT);
            lab.startFailover(o.distribution(), progress);
            String host = lab.address();
            String port = Integer.toString(lab.port());
            LabProcess subscriber = lab.lab().start(Role.CLIENT, "sub", OneCpu.command("stdbuf", "-oL", "mosquitto_sub", "-h", host,
                    "-p", port,
                    "-t", "t/#", "-q", "1", "-F", "%U %t %p", "-d", "-i", "sub"));
            Path sent = x.folder("sent");
            List<LabProcess> publishers = new ArrayList<>();
            for (int n = 0; n < o.clients(); n++) {
                // one session per publisher: mosquitto_pub -l publishes each line of its input; tee keeps what it was handed
                String loop = "i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done | tee " + sent.resolve("pub" + n)
                        + " | stdbuf -oL mosquitto_pub -h " + host + " -p " + port + " -t t/" + n + " -q 1 -l -d -i pub" + n;
                publishers.add(lab.lab().start(Role.CLIENT, "pub" + n, OneCpu.command("sh", "-c", loop)));
            }
            progress.accept(o.clients() + " QoS 1 publishers and a subscriber on " + host + ":" + port);
            Await.sleep(o.beforeMillis());
            Instant pulled = lab.pull();
            progress.accept("primary's link pulled at " + pulled);
            long[] handedAtPull = new long[o.clients()];
            for (int n = 0; n < o.clients(); n++) {
                handedAtPull[n] = lastCounter(sent.resolve("pub" + n));
            }
            Map<String, Object> m;
            try (ReceivedBytesWatch watch = ReceivedBytesWatch.start(lab.lab(), lab.port(), Duration.ofMillis(o.afterMillis()))) {
                java.util.Optional<Instant> failover = lab.failoverAt();
                Await.sleep(Math.max(0, o.afterMillis() - Duration.between(pulled, Instant.now()).toMillis()));
                long[] handedAtEnd = new long[o.clients()];
                for (int n = 0; n < o.clients(); n++) {
                    handedAtEnd[n] = lastCounter(sent.resolve("pub" + n));
                }
                Await.sleep(DRAIN_MILLIS);
                watch.close();
                MigwareRun.write(raw.resolve("client-bytes.tsv"), watch.samples());
                List<Map<String, Object>> perPublisher = new ArrayList<>();
                for (int n = 0; n < o.clients(); n++) {
                    LabProcess p = publishers.get(n);
                    Map<String, Object> row = publisher(n, p, handedAtPull[n], handedAtEnd[n]);
                    p.destroy(Duration.ofSeconds(2));
                    perPublisher.add(row);
                }
                Map<String, Object> sub = subscriber(subscriber, handedAtPull, handedAtEnd, pulled);
                subscriber.destroy(Duration.ofSeconds(2));
                m = summary(system, perPublisher, sub, pulled, failover.orElse(null), watch.firstByteMillis(pulled, system.migware()),
                        watch.closedMillis(pulled),
                        lab.statusBefore());
            }
            List<String> files = new ArrayList<>(List.of("sub.out", "sub.err"));
            for (int n = 0; n < o.clients(); n++) {
                files.add("pub" + n + ".out");
                files.add("pub" + n + ".err");
            }
            lab.keepRaw(raw, files);
            for (int n = 0; n < o.clients(); n++) {
                MigwareRun.copyRaw(sent, raw.resolve("sent"), List.of("pub" + n));
            }
            for (String host2 : List.of("primary", "backup")) {
                MigwareRun.write(raw.resolve("mosquitto-" + host2 + ".log"),
                        org.migware.lab.LabFiles.readLog(work.resolve("mosquitto-" + host2).resolve("mosquitto.log")));
            }
            m.put("raw", "raw/" + raw.getFileName());
            return m;
        }
    }

    /** One publisher's row, from its debug output and error lines. */
    private static Map<String, Object> publisher(int n, LabProcess p, long handedAtPull, long handedAtEnd) {
        String out = p.stdout();
        List<String> errors = p.stderr().lines().filter(l -> !l.isBlank()).toList();
        Set<Long> ackedMids = new HashSet<>();
        Matcher ack = PUBACK.matcher(out);
        while (ack.find()) {
            ackedMids.add(Long.parseLong(ack.group(1)));
        }
        // mosquitto's client numbers a session's messages 1, 2, ... in the order it reads them (a resend
        // keeps its number), so message id k is the publisher's k-th line: the counter it was handed
        long ackedAfter = ackedMids.stream().filter(mid -> mid > handedAtPull && mid <= handedAtEnd).count();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("publisher", "pub" + n);
        row.put("handedOver", handedAtEnd);
        row.put("handedOverAfterPull", handedAtEnd - handedAtPull);
        row.put("acknowledged", ackedMids.size());
        row.put("acknowledgedAfterPull", ackedAfter);
        row.put("errors", errors.size());
        row.put("firstError", errors.isEmpty() ? "" : errors.get(0));
        row.put("reconnects", Math.max(0, count(out, "sending CONNECT") - 1));
        row.put("running", p.isAlive());
        return row;
    }

    /** The subscriber: the messages published after the pull it received, and when the first came. */
    private static Map<String, Object> subscriber(LabProcess sub, long[] handedAtPull, long[] handedAtEnd, Instant pulled) {
        String out = sub.stdout();
        Map<Integer, Set<Long>> got = new HashMap<>();
        Instant first = null;
        for (String line : out.split("\n")) {
            Matcher mm = MESSAGE.matcher(line.trim());
            if (!mm.matches()) {
                continue;
            }
            int topic = Integer.parseInt(mm.group(3));
            long seq = Long.parseLong(mm.group(4));
            if (topic >= handedAtPull.length || seq <= handedAtPull[topic] || seq > handedAtEnd[topic]) {
                continue;
            }
            got.computeIfAbsent(topic, k -> new HashSet<>()).add(seq);
            Instant at = Instant.ofEpochSecond(Long.parseLong(mm.group(1)), Long.parseLong(mm.group(2)));
            first = first == null || at.isBefore(first) ? at : first;
        }
        long published = 0;
        long received = 0;
        for (int t = 0; t < handedAtPull.length; t++) {
            published += handedAtEnd[t] - handedAtPull[t];
            received += got.getOrDefault(t, Set.of()).size();
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("publishedAfterPull", published);
        s.put("receivedAfterPull", received);
        s.put("firstMessageAfterPullMillis", MigwareRun.millisBetween(pulled, first));
        s.put("reconnects", Math.max(0, count(out, "sending CONNECT") - 1));
        s.put("errors", sub.stderr().lines().filter(l -> !l.isBlank()).count());
        s.put("running", sub.isAlive());
        return s;
    }

    private static Map<String, Object> summary(FailoverSystem system, List<Map<String, Object>> perPublisher,
            Map<String, Object> sub, Instant pulled, Instant failover, List<Double> firstBytes, List<Double> closedAt,
            String statusBefore) {
        long handedAfter = 0;
        long ackedAfter = 0;
        long errors = 0;
        long reconnects = 0;
        int withoutError = 0;
        for (Map<String, Object> r : perPublisher) {
            handedAfter += (Long) r.get("handedOverAfterPull");
            ackedAfter += (Long) r.get("acknowledgedAfterPull");
            errors += ((Number) r.get("errors")).longValue();
            reconnects += (Long) r.get("reconnects");
            withoutError += ((Number) r.get("errors")).longValue() == 0 && (Long) r.get("reconnects") == 0 ? 1 : 0;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("system", system.name().toLowerCase(Locale.ROOT));
        m.put("label", system.label());
        m.put("publishers", perPublisher.size());
        m.put("publishersCarriedOn", withoutError);
        m.put("handedOverAfterPull", handedAfter);
        m.put("acknowledgedAfterPull", ackedAfter);
        m.put("publisherErrors", errors);
        m.put("publisherReconnects", reconnects);
        m.put("subscriber", sub);
        m.put("failoverMillis", MigwareRun.millisBetween(pulled, failover));
        m.put("firstByteAfterPullMillis", LatencyStats.of(firstBytes).toJson());
        m.put("connectionsWithNewBytes", firstBytes.size());
        m.put("closedAtClientAfterPullMillis", LatencyStats.of(closedAt).toJson());
        m.put("linkPulledAt", pulled.toString());
        m.put("readiness", DownloadRun.readiness(statusBefore));
        m.put("perPublisher", perPublisher);
        return m;
    }

    private static long count(String text, String what) {
        long n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) {
            n++;
        }
        return n;
    }

    /** @return the last counter a publisher was handed (its tee file's last line), 0 before the first */
    private static long lastCounter(Path file) {
        try {
            if (!Files.exists(file)) {
                return 0;
            }
            List<String> lines = Files.readAllLines(file);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String l = lines.get(i).trim();
                if (l.matches("\\d+")) {
                    return Long.parseLong(l);
                }
            }
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
