package org.migware.lab.network;

import org.migware.lab.LabException;

/** Prints why the lab cannot run; started as an unprivileged user by {@link PrerequisitesTest}. */
public final class PrerequisitesProbe {

    private PrerequisitesProbe() {
    }

    public static void main(String[] args) {
        try {
            LabNetwork.builder().prefix("mwt-never").create().close();
            System.out.println("created");
        } catch (LabException e) {
            System.out.println("refused: " + e.getMessage());
        }
    }
}
