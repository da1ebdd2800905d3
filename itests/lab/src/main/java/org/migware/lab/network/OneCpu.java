package org.migware.lab.network;

import java.util.ArrayList;
import java.util.List;

/**
 * A command run on CPU 0 only ({@code taskset -c 0}). A veth hands each frame to the backlog of
 * the CPU that sent it, so a server whose segments leave from two CPUs (its process on one, the
 * ACK-clocked sends in the softirq of another) reaches the hub's ports out of order: a mirror port
 * then sees reordering that a wire would not produce. The lab's servers and clients of one flow,
 * all on one CPU, keep their frames in order.
 */
public final class OneCpu {

    private OneCpu() {
    }

    /** @return {@code command} prefixed with {@code taskset -c 0} */
    public static String[] command(String... command) {
        List<String> pinned = new ArrayList<>(List.of("taskset", "-c", "0"));
        pinned.addAll(List.of(command));
        return pinned.toArray(String[]::new);
    }
}
