package org.migware.lab.workloads;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

import org.migware.lab.Await;
import org.migware.lab.LabException;
import org.migware.lab.LabFiles;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.OneCpu;
import org.migware.lab.network.Role;

/**
 * A real MQTT broker (Debian's mosquitto) in a lab namespace, listening on one address and port,
 * anonymous, without persistence, its configuration and log under {@code dir}: nothing of the
 * machine's mosquitto is read or started. {@link #close()} ends it by its PID and removes its files.
 */
public final class MosquittoBroker implements AutoCloseable {

    private final LabProcess process;
    private final Path dir;

    private MosquittoBroker(LabProcess process, Path dir) {
        this.process = process;
        this.dir = dir;
    }

    /** Starts mosquitto in {@code role}'s namespace and waits until it accepts a connection. */
    public static MosquittoBroker start(LabNetwork lab, Role role, Path dir, String address, int port) {
        if (!Files.isExecutable(Path.of("/usr/sbin/mosquitto"))) {
            throw new LabException("mosquitto is not installed (bash .ci/setup-machine installs mosquitto and mosquitto-clients)");
        }
        Path config = dir.resolve("mosquitto.conf");
        try {
            Files.createDirectories(dir);
            Files.writeString(config, String.join("\n",
                    "listener " + port + " " + address,
                    "allow_anonymous true",
                    "persistence false",
                    "log_dest file " + dir.resolve("mosquitto.log"),
                    "log_type error",
                    "log_type warning",
                    "log_type notice",
                    "log_type information",
                    "connection_messages true",
                    ""));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + config, e);
        }
        LabProcess process = lab.start(role, "mosquitto-" + role.name().toLowerCase(Locale.ROOT),
                OneCpu.command("/usr/sbin/mosquitto", "-c", config.toString()));
        MosquittoBroker broker = new MosquittoBroker(process, dir);
        try {
            Await.until("mosquitto listening on " + address + ":" + port, Duration.ofSeconds(10), () -> {
                if (!process.isAlive()) {
                    throw new LabException("mosquitto exited: " + process.stderr() + broker.log());
                }
                return lab.exec(role, "mosquitto_pub", "-h", address, "-p", Integer.toString(port), "-t", "lab/ready", "-m", "1").ok();
            });
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    /** @return the broker's log so far */
    public String log() {
        return LabFiles.readLog(dir.resolve("mosquitto.log"));
    }

    /** Ends mosquitto by its PID and removes its folder. */
    @Override
    public void close() {
        process.destroy(Duration.ofSeconds(3));
        LabFiles.deleteTree(dir);
    }
}
