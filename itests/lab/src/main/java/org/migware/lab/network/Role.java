package org.migware.lab.network;

/**
 * A host of the lab. Each role is a network namespace named {@code <prefix>-<suffix>} with one
 * interface, {@link LabNetwork#ROLE_INTERFACE}, plugged into the hub.
 */
public enum Role {
    /** Runs the clients (the thesis's Machine A). */
    CLIENT("client", 1),
    /** Serves the service address until its cable is pulled (Machine B). */
    PRIMARY("primary", 2),
    /** Runs the replica and MigWare; its interface is promiscuous (Machine C). */
    BACKUP("backup", 3),
    /**
     * A second backup, as BACKUP (promiscuous, runs a replica and MigWare); only in a lab built
     * with {@link LabNetwork.Builder#secondBackup(boolean)}: a site of three hosts.
     */
    SECOND_BACKUP("backup2", 4);

    private final String suffix;
    private final int defaultHost;

    Role(String suffix, int defaultHost) {
        this.suffix = suffix;
        this.defaultHost = defaultHost;
    }

    /** @return the namespace-name suffix, also the name of this role's port on the hub bridge */
    public String suffix() {
        return suffix;
    }

    /** @return the default last octet of this role's address in 10.77.0.0/24 */
    int defaultHost() {
        return defaultHost;
    }
}
