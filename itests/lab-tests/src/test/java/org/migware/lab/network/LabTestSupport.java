package org.migware.lab.network;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.LabException;

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

    /** @return a TcpExt counter of the role's kernel, from /proc/net/netstat as seen inside its namespace */
    public static long tcpExt(LabNetwork lab, Role role, String name) {
        List<String> lines = lab.exec(role, "cat", "/proc/net/netstat").requireSuccess().stdout().lines()
                .filter(l -> l.startsWith("TcpExt:")).toList();
        List<String> names = List.of(lines.get(0).split("\\s+"));
        String[] values = lines.get(1).split("\\s+");
        int i = names.indexOf(name);
        if (i <= 0) {
            throw new LabException(name + " not in " + names);
        }
        return Long.parseLong(values[i]);
    }
}
