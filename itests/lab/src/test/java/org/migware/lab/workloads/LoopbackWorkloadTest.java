package org.migware.lab.workloads;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** What the loopback tests of the lab's workloads share: a folder for the reports, threads, a sink in this JVM. */
abstract class LoopbackWorkloadTest {

    @TempDir
    Path dir;

    final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        threads.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** A sink on an ephemeral loopback port, reporting to {@code sink.tsv} every 100 ms. */
    SinkServer startSink(boolean respond) throws IOException {
        return startSink(respond, 0);
    }

    /** The same, each answer with a body of that many bytes. */
    SinkServer startSink(boolean respond, int responseBytes) throws IOException {
        SinkServer sink = SinkServer.open(new SinkServer.Options().bind("127.0.0.1").port(0).respond(respond)
                .responseBytes(responseBytes).report(dir.resolve("sink.tsv")).reportIntervalMillis(100));
        threads.submit(() -> {
            sink.run();
            return null;
        });
        return sink;
    }
}
