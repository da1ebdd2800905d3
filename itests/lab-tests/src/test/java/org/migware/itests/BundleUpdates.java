package org.migware.itests;

import java.util.List;

import org.migware.lab.Await;
import org.migware.lab.LabException;
import org.migware.lab.experiments.MigwareInstance;

/** Updates a bundle of a running MigWare as an operator would: {@code update <id>} in its shell. */
final class BundleUpdates {

    private BundleUpdates() {
    }

    /**
     * {@code update <id>} of the bundle, found by symbolic name. What the bundles log meanwhile goes
     * to MigWare's log file ({@link MigwareInstance#log()}); the core's update ends the control
     * session that runs it.
     *
     * @return the symbolic name, the id and what the command answered
     */
    static String update(MigwareInstance migware, String symbolicName) {
        String id = migware.query("lb -s " + symbolicName).lines()
                .filter(line -> line.contains("|" + symbolicName + " ") || line.contains("|" + symbolicName + "|") || line.endsWith("|" + symbolicName))
                .map(line -> line.split("\\|")[0].trim())
                .findFirst().orElseThrow(() -> new AssertionError("no bundle " + symbolicName));
        try {
            return symbolicName + " (" + id + "): " + migware.query("update " + id).trim();
        } catch (LabException e) {
            // Updating the core stops its control socket under the running command.
            return symbolicName + " (" + id + "): " + e.getMessage();
        }
    }

    /** Updates the bundle {@code delayMillis} from now on a thread of its own, adding what it said to {@code steps}. */
    static void updateLater(MigwareInstance migware, String symbolicName, long delayMillis, List<String> steps) {
        Thread later = new Thread(() -> {
            try {
                Await.sleep(delayMillis);
                steps.add(update(migware, symbolicName));
            } catch (LabException interrupted) {
                // the run ended first
            }
        }, "update-" + symbolicName);
        later.setDaemon(true);
        later.start();
    }
}
