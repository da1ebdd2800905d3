package org.migware.lab.network;

/**
 * Which end of a role's veth cable an operation acts on.
 *
 * <p>Setting the {@link #HUB} end down is the closest thing to pulling the cable: the role's own
 * interface keeps its address and routes but loses carrier, as a NIC does. Setting the
 * {@link #ROLE} end down is an administrative "ifdown" on the host itself, which also removes the
 * connected route, so the host's own sends fail immediately instead of being silently lost.
 */
public enum LinkEnd {
    /** The role's own {@code eth0}, inside its namespace. */
    ROLE,
    /** The bridge port inside the hub namespace. */
    HUB,
    /** Both ends. */
    BOTH;

    boolean includesRole() {
        return this != HUB;
    }

    boolean includesHub() {
        return this != ROLE;
    }
}
