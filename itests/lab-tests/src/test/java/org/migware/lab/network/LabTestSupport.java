package org.migware.lab.network;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;

/** Shared helpers of the tests that build a real lab (root required). */
public final class LabTestSupport {

    private static final AtomicInteger LABS = new AtomicInteger();

    private LabTestSupport() {
    }

    /** A prefix no other run uses: concurrent builds on the machine each get their own namespaces. */
    public static String uniquePrefix() {
        return "mwt" + ProcessHandle.current().pid() + "x" + LABS.incrementAndGet();
    }

    /** The namespace names that exist in the root namespace's view right now. */
    public static List<String> netnsList() {
        ExecResult list = Commands.run(Duration.ofSeconds(10), Commands.tool("ip", "iproute2"), "netns", "list")
                .requireSuccess();
        List<String> names = new ArrayList<>();
        for (String line : list.stdout().split("\n")) {
            String name = line.trim().split("\\s+")[0];
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }

    public static List<String> netnsWithPrefix(String prefix) {
        return netnsList().stream().filter(name -> name.startsWith(prefix + "-")).toList();
    }
}
