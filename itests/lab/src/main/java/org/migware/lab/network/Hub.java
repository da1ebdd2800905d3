package org.migware.lab.network;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.migware.lab.ExecResult;

/**
 * What a wire-impairment box ({@link ImpairedLink}) needs of the lab: the hub namespace, its bridge
 * and a role's port on it, commands and processes in the hub. {@link LabNetwork} hands one to the
 * links it impairs, so that a link does not depend on the whole lab (and the lab on the link).
 */
interface Hub {

    /** The bridge in the hub namespace that floods every frame to every role's port. */
    String BRIDGE = "br0";

    /** @return the name of the namespace that holds the bridge */
    String namespace();

    /** @return the role's veth end inside the hub namespace */
    String roleInterface(Role role);

    /** @return the directory where started processes' output files go */
    Path workDir();

    /** Runs {@code ip -n <hub> args}; not checked. */
    ExecResult ip(String... args);

    /** Runs several ip commands in the hub in one process ({@code ip -batch}) from a file of that name in {@link #workDir()}. */
    void ipBatch(String fileName, List<String> commands);

    /** Runs a command in the hub namespace to completion. */
    ExecResult exec(Duration timeout, List<String> command);

    /** Starts a long-running process in the hub namespace. */
    LabProcess start(String name, List<String> command);
}
