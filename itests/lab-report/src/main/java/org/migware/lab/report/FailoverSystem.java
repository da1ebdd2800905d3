package org.migware.lab.report;

/**
 * The three ways a scenario's workload meets the primary's death, side by side in the report:
 * MigWare with each of its deliveries, and a conventional HAProxy failover.
 */
enum FailoverSystem {
    /** MigWare, {@code delivery = resume}: the thesis's semantics. */
    RESUME("MigWare resume", "resume", "migware-resume"),
    /** MigWare, {@code delivery = replay}: the replica gets each whole client stream again. */
    REPLAY("MigWare replay", "replay", "migware-replay"),
    /** HAProxy in front of primary and backup: new connections go to the backup, existing ones die. */
    HAPROXY("HAProxy baseline", null, "haproxy");

    private final String label;
    private final String delivery;
    private final String folder;

    FailoverSystem(String label, String delivery, String folder) {
        this.label = label;
        this.delivery = delivery;
        this.folder = folder;
    }

    /** @return the report's name for it */
    String label() {
        return label;
    }

    /** @return MigWare's {@code delivery}, or null for the baseline */
    String delivery() {
        return delivery;
    }

    /** @return its folder under raw/ */
    String folder() {
        return folder;
    }

    boolean migware() {
        return delivery != null;
    }
}
