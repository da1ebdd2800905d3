package org.migware.lab.workloads;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

import org.migware.lab.Await;
import org.migware.lab.LabFiles;
import org.migware.lab.LabException;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.OneCpu;
import org.migware.lab.network.Role;

/**
 * A real nginx (Debian's nginx-light) in a lab namespace, serving one folder on one address and
 * port, with a configuration, pid, logs and temp folders of its own under {@code dir}: nothing of
 * the machine's nginx is read or started. {@link #close()} ends it by its PID and removes its files.
 *
 * <p>Every response carries the same fixed {@code Date} header (headers-more,
 * libnginx-mod-http-headers-more-filter): nginx's own Date names the second of the response, so a
 * replica answering the same request a few seconds later would differ in that header alone, and
 * replay would rightly call it a divergence. With it fixed, two nginx serving the same file answer
 * byte for byte alike.
 */
public final class NginxServer implements AutoCloseable {

    /** Where Debian's nginx packages put the headers-more module. */
    private static final String HEADERS_MORE = "/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so";

    private final LabProcess process;
    private final Path dir;

    private NginxServer(LabProcess process, Path dir) {
        this.process = process;
        this.dir = dir;
    }

    /**
     * Starts nginx in {@code role}'s namespace and waits until it answers.
     *
     * @param dir its own folder (created; removed by {@link #close()})
     * @param root the folder it serves
     */
    public static NginxServer start(LabNetwork lab, Role role, Path dir, String address, int port, Path root) {
        if (!Files.isExecutable(Path.of("/usr/sbin/nginx")) || !Files.exists(Path.of(HEADERS_MORE))) {
            throw new LabException("nginx with headers-more is not installed (bash .ci/setup-machine installs nginx-light and "
                    + "libnginx-mod-http-headers-more-filter)");
        }
        Path config = dir.resolve("nginx.conf");
        Path temp = dir.resolve("tmp");
        try {
            Files.createDirectories(temp);
            Files.writeString(config, String.join("\n",
                    "load_module " + HEADERS_MORE + ";",
                    "user root;",
                    "worker_processes 1;",
                    "pid " + dir.resolve("nginx.pid") + ";",
                    "error_log " + dir.resolve("error.log") + ";",
                    "events { worker_connections 1024; }",
                    "http {",
                    "  access_log " + dir.resolve("access.log") + ";",
                    "  client_body_temp_path " + temp + ";",
                    "  proxy_temp_path " + temp + ";",
                    "  fastcgi_temp_path " + temp + ";",
                    "  uwsgi_temp_path " + temp + ";",
                    "  scgi_temp_path " + temp + ";",
                    "  server_tokens off;",
                    "  keepalive_timeout 300s;",
                    "  server {",
                    "    listen " + address + ":" + port + ";",
                    "    root " + root + ";",
                    "    more_set_headers 'Date: Thu, 01 Jan 2026 00:00:00 GMT';",
                    "  }",
                    "}", ""));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + config, e);
        }
        LabProcess process = lab.start(role, "nginx-" + role.name().toLowerCase(Locale.ROOT),
                OneCpu.command("/usr/sbin/nginx", "-c", config.toString(), "-g", "daemon off;"));
        NginxServer server = new NginxServer(process, dir);
        try {
            Await.until("nginx listening on " + address + ":" + port, Duration.ofSeconds(10), () -> {
                if (!process.isAlive()) {
                    throw new LabException("nginx exited: " + process.stderr() + server.errorLog());
                }
                return lab.exec(role, "curl", "-s", "-o", "/dev/null", "-I", "http://" + address + ":" + port + "/").ok();
            });
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** @return nginx's error log so far */
    public String errorLog() {
        return LabFiles.readLog(dir.resolve("error.log"));
    }

    /** @return the master process */
    public LabProcess process() {
        return process;
    }

    /** Ends nginx (master and worker, by the master's PID) and removes its folder. */
    @Override
    public void close() {
        process.destroy(Duration.ofSeconds(3));
        LabFiles.deleteTree(dir);
    }
}
