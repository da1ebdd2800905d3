package org.migware.lab.roles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.LabException;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;

/**
 * keepalived in one of the lab's namespaces, in the foreground (ended with the lab), its
 * configuration written by the distribution's {@code bin/migware keepalived-config} as a site's
 * would be: unicast peers (VRRP multicast does not cross the lab's namespaces reliably), one
 * instance that owns the service address, MigWare's track file on a watching host.
 */
public final class Keepalived {

    private final LabNetwork lab;
    private final Role role;
    private final LabProcess process;
    private final Path config;
    /** Its pid files. */
    private final Path run;

    private Keepalived(LabNetwork lab, Role role, LabProcess process, Path config, Path run) {
        this.lab = lab;
        this.role = role;
        this.process = process;
        this.config = config;
        this.run = run;
    }

    /**
     * Writes the configuration with {@code bin/migware keepalived-config} and starts keepalived.
     *
     * @param lab the lab
     * @param role the host
     * @param distribution the MigWare home whose {@code bin/migware} writes the configuration
     * @param serviceAddress the service address with its prefix length, e.g. {@code 10.77.0.100/24}
     * @param priority the VRRP priority
     * @param peers the other hosts
     * @param trackFile MigWare's track file on a watching host, {@code null} elsewhere
     * @return the running keepalived
     */
    public static Keepalived start(LabNetwork lab, Role role, Path distribution, String serviceAddress, int priority, List<Role> peers,
            Path trackFile) {
        String name = role.name().toLowerCase(java.util.Locale.ROOT);
        // A second keepalived on a host (after a reboot) gets files of its own: keepalived refuses
        // to start over a pid file whose pid is alive, and the old pid may have been reused.
        String base = name;
        // Absolute: keepalived changes to / when it starts, and a lab run from a relative folder (the
        // main job's lab-results/...) would name files it then cannot find ("Config files missing").
        Path work = lab.workDir().toAbsolutePath();
        for (int i = 2; Files.exists(work.resolve("keepalived-" + name)); i++) {
            name = base + "-" + i;
        }
        Path config = work.resolve("keepalived-" + name + ".conf");
        List<String> command = new ArrayList<>(List.of(distribution.resolve("bin/migware").toString(), "keepalived-config",
                "--interface", LabNetwork.ROLE_INTERFACE, "--address", lab.address(role), "--service-address", serviceAddress,
                "--priority", Integer.toString(priority), "--out", config.toString()));
        for (Role peer : peers) {
            command.add("--peer");
            command.add(lab.address(peer));
        }
        if (trackFile != null) {
            command.add("--track-file");
            command.add(trackFile.toAbsolutePath().toString());
        }
        Commands.run(Duration.ofSeconds(30), command).requireSuccess();
        String keepalived = Commands.tool("keepalived", "keepalived");
        Path run = work.resolve("keepalived-" + name);
        try {
            Files.createDirectories(run);
        } catch (java.io.IOException e) {
            throw new LabException("cannot create " + run + ": " + e.getMessage(), e);
        }
        // -n: in the foreground, so the lab ends it; -l: its log on standard output; --vrrp: no checkers.
        // Pid files of its own: another keepalived on the machine (or in another namespace) is not this one.
        LabProcess process = lab.start(role, "keepalived-" + name, keepalived, "-n", "-l", "-D", "--vrrp", "-f", config.toString(),
                "-p", run.resolve("keepalived.pid").toString(), "-r", run.resolve("vrrp.pid").toString());
        return new Keepalived(lab, role, process, config, run);
    }

    /** @return whether this host has {@code address} on its interface (keepalived made it the master) */
    public boolean owns(String address) {
        ExecResult addresses = lab.exec(role, "ip", "-o", "-4", "addr", "show", "dev", LabNetwork.ROLE_INTERFACE);
        return addresses.stdout().contains(" " + address + "/");
    }

    /** @return keepalived's log so far */
    public String log() {
        return process.stdout() + process.stderr();
    }

    /** @return its process */
    public LabProcess process() {
        return process;
    }

    /** @return the configuration it runs */
    public Path config() {
        return config;
    }

    /**
     * Kills keepalived as a crash would (SIGKILL, its VRRP process first, then its parent, both by the pids it
     * wrote): nothing is cleaned up, so the host keeps the address if it held it and sends no more adverts.
     */
    public void kill() {
        try {
            long vrrp = Long.parseLong(Files.readString(run.resolve("vrrp.pid")).trim());
            ProcessHandle.of(vrrp).ifPresent(ProcessHandle::destroyForcibly);
        } catch (java.io.IOException | NumberFormatException e) {
            throw new LabException("keepalived-" + role + ": cannot read its VRRP process's pid in " + run + ": " + e.getMessage(), e);
        }
        ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
    }

        /** Ends keepalived (the lab ends it too). */
    public void stop() {
        process.destroy();
    }
}
