package org.migware.lab.report;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.migware.lab.experiments.ReplayExperiment;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;

/**
 * The lab of one scenario run, for one {@link FailoverSystem}: the delivery scenarios' lab
 * ({@link ReplayExperiment}) with, once the run's servers are up, either MigWare in the backup
 * with the system's {@code delivery}, or HAProxy in the backup in front of both servers. It says
 * where the clients connect, pulls the primary's link and keeps the failover's own logs for raw/.
 * Closing it removes the namespaces, the processes and the work folder.
 */
final class ScenarioLab implements AutoCloseable {

    private final ReplayExperiment experiment;
    private final FailoverSystem system;
    private final int servicePort;
    private final int frontendPort;
    private final AtomicReference<LabNetwork> current;
    private LabProcess haproxy;
    private String statusBefore = "";

    private ScenarioLab(ReplayExperiment experiment, FailoverSystem system, int servicePort, int frontendPort,
            AtomicReference<LabNetwork> current) {
        this.experiment = experiment;
        this.system = system;
        this.servicePort = servicePort;
        this.frontendPort = frontendPort;
        this.current = current;
    }

    /**
     * @param servicePort the real servers' port on primary and backup (the one MigWare watches)
     * @param frontendPort HAProxy's port on the backup's address
     * @param current set to the lab while it exists, for the job's Ctrl-C handler
     */
    static ScenarioLab create(JobOptions o, FailoverSystem system, int servicePort, int frontendPort,
            AtomicReference<LabNetwork> current) {
        String prefix = system == FailoverSystem.HAPROXY ? o.baselinePrefix() : o.prefix();
        ReplayExperiment experiment = ReplayExperiment.create(prefix, servicePort);
        current.set(experiment.lab());
        return new ScenarioLab(experiment, system, servicePort, frontendPort, current);
    }

    ReplayExperiment experiment() {
        return experiment;
    }

    LabNetwork lab() {
        return experiment.lab();
    }

    /** Starts MigWare (with the system's delivery) or HAProxy; the servers must be up. */
    void startFailover(Path distribution, Consumer<String> progress) {
        if (system.migware()) {
            experiment.startMigware(distribution, system.delivery(), Map.of());
            progress.accept("MigWare in " + lab().namespace(Role.BACKUP) + " with delivery=" + system.delivery()
                    + ", watching " + address() + ":" + servicePort);
        } else {
            Path cfg = lab().workDir().resolve("haproxy.cfg");
            MigwareRun.write(cfg, HaproxyRun.config(lab(), 2000, "scenario", frontendPort, servicePort));
            haproxy = HaproxyRun.start(lab(), cfg, frontendPort);
            progress.accept("HAProxy on " + address() + ":" + port() + " in front of the primary and the backup");
        }
    }

    /** @return the address the clients connect to: the primary's (MigWare) or HAProxy's */
    String address() {
        return lab().address(system.migware() ? Role.PRIMARY : Role.BACKUP);
    }

    /** @return the port the clients connect to */
    int port() {
        return system.migware() ? servicePort : frontendPort;
    }

    /**
     * Reads MigWare's readiness (what it could carry), pulls the primary's link.
     *
     * @return when the link was down (the pull command had returned)
     */
    Instant pull() {
        if (system.migware()) {
            statusBefore = experiment.statusJson();
            experiment.pull();
        } else {
            lab().pullPrimaryLink();
        }
        return Instant.now();
    }

    /**
     * @return when the failover took over: MigWare's PROXY by its status, HAProxy's DOWN verdict
     *     on the primary by its log; empty if neither came within 30 s
     */
    Optional<Instant> failoverAt() {
        if (system.migware()) {
            try {
                return Optional.of(experiment.awaitProxy(Duration.ofSeconds(30)));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            Optional<Instant> down = LogEvents.haproxyDown(haproxy.stdout() + haproxy.stderr(), "primary");
            if (down.isPresent()) {
                return down;
            }
            org.migware.lab.Await.sleep(50);
        }
        return Optional.empty();
    }

    /** @return MigWare's {@code migware:status --json} just before the pull ("" for the baseline) */
    String statusBefore() {
        return statusBefore;
    }

    /** Copies the failover's logs and the given files of the work folder to {@code raw}. */
    void keepRaw(Path raw, List<String> workFiles) {
        MigwareRun.copyRaw(lab().workDir(), raw, workFiles);
        if (system.migware()) {
            MigwareRun.write(raw.resolve("migware.log"), experiment.migware().log());
            MigwareRun.write(raw.resolve("status-before.json"), statusBefore);
            MigwareRun.write(raw.resolve("status-after.json"), experiment.statusJson());
        } else if (haproxy != null) {
            MigwareRun.write(raw.resolve("haproxy.log"), haproxy.stdout() + haproxy.stderr());
            MigwareRun.copyRaw(lab().workDir(), raw, List.of("haproxy.cfg"));
        }
    }

    @Override
    public void close() {
        try {
            experiment.close();
        } finally {
            current.set(null);
        }
    }
}
