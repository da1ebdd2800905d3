package org.migware.itests;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The distribution the lab tests drive: distribution/target/migware, which the itests pom names in the
 * system property {@value #PROPERTY} (the container tests read the same property).
 */
final class BuiltDistribution {

    static final String PROPERTY = "migware.distribution";

    private BuiltDistribution() {
    }

    /** @return the assembled distribution's home; fails with what to do when it was not built or not named */
    static Path home() {
        String configured = System.getProperty(PROPERTY, "");
        Path home = Path.of(configured).toAbsolutePath().normalize();
        if (configured.isBlank() || !Files.isDirectory(home.resolve("bundle"))) {
            throw new IllegalStateException("no built distribution at '" + configured + "' (system property " + PROPERTY
                    + "): run the lab tests through Maven from the root (mvn verify), which builds it first");
        }
        return home;
    }
}
