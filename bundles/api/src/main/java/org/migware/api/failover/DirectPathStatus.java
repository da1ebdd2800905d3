package org.migware.api.failover;

import java.util.Objects;

/**
 * The direct path after a failover: once this host owns the service address (keepalived made it
 * the VRRP master), new connections are served by its kernel and only the carried connections
 * still pass MigWare. Their segments are kept away from the local stack by an nftables set of
 * carried tuples, so the kernel never resets them; when none remain, MigWare leaves PROXY for
 * NORMAL, serving.
 *
 * @param enabled whether the direct path is configured ({@code directPath} of the proxy)
 * @param addressLocal whether a service address is one of this host's own now (the kernel serves new connections)
 * @param carried connections MigWare still carries (queued, handshaking or established, lingering closes included)
 * @param setElements tuples in the nftables set as MigWare last wrote it
 * @param roleHandOff where the hand-off to keepalived stands: {@code none} (no track file
 *     configured), {@code held} (the track file keeps this host's VRRP instance in FAULT: MigWare
 *     has not decided), {@code released} (MigWare decided: keepalived may take the address)
 * @param drained whether the carried connections have drained and the core was told
 * @param problem the last error of nftables or the track file, {@code null} when none
 * @since 2.5
 */
public record DirectPathStatus(boolean enabled, boolean addressLocal, int carried, int setElements, String roleHandOff,
        boolean drained, String problem) {

    /** Validates the fields. */
    public DirectPathStatus {
        Objects.requireNonNull(roleHandOff, "roleHandOff");
    }

    /** @return the status when no direct path is configured */
    public static DirectPathStatus off() {
        return new DirectPathStatus(false, false, 0, 0, "none", false, null);
    }
}
