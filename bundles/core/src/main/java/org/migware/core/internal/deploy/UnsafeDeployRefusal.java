package org.migware.core.internal.deploy;

import java.io.File;
import java.nio.file.Path;
import java.util.List;

import org.apache.felix.fileinstall.ArtifactInstaller;
import org.migware.api.config.StrictModes;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a jar in {@code deploy/} that others than its owner can change ({@link StrictModes},
 * sshd's rule): whoever can write it could run code inside MigWare, with its capabilities.
 *
 * <p>FileInstall asks every registered artifact listener, before its own bundle installer, whether
 * it handles a new or changed file. This one claims exactly the unsafe jars of the deploy folder
 * and, for each, installs nothing and logs why, with what to do. Once the jar is made safe and
 * copied again (a changed file), it no longer claims it, and FileInstall installs it as a bundle.
 * The deploy watcher becomes active only at start level 4, after this component is registered
 * (etc/org.apache.felix.fileinstall-deploy.cfg), so no jar gets past it at start.
 *
 * <p>The folder is the framework property {@code migware.deploy} (set by bin/migware); without it
 * nothing is refused.
 */
@Component(service = ArtifactInstaller.class)
public final class UnsafeDeployRefusal implements ArtifactInstaller {

    private static final Logger LOG = LoggerFactory.getLogger(UnsafeDeployRefusal.class);
    private static final String WHY = "MigWare would load its code";

    private final Path deploy;

    @Activate
    public UnsafeDeployRefusal(BundleContext context) {
        this(folder(context.getProperty("migware.deploy")));
    }

    UnsafeDeployRefusal(Path deploy) {
        this.deploy = deploy;
    }

    private static Path folder(String property) {
        return property == null || property.isBlank() ? null : Path.of(property).toAbsolutePath().normalize();
    }

    @Override
    public boolean canHandle(File artifact) {
        return inDeploy(artifact) && !StrictModes.fileProblems(artifact.toPath(), WHY).isEmpty();
    }

    @Override
    public void install(File artifact) {
        refuse(artifact);
    }

    @Override
    public void update(File artifact) {
        refuse(artifact);
    }

    @Override
    public void uninstall(File artifact) {
        LOG.info("core: {} left deploy/; it was refused and never loaded", artifact);
    }

    private void refuse(File artifact) {
        List<String> problems = StrictModes.fileProblems(artifact.toPath(), WHY);
        LOG.error("core: refusing to load {}: {}; fix it, then copy the jar into {} again", artifact,
                problems.isEmpty() ? "it changed while being checked" : String.join("; ", problems), deploy);
    }

    private boolean inDeploy(File artifact) {
        if (deploy == null || !artifact.getName().endsWith(".jar")) {
            return false;
        }
        return artifact.toPath().toAbsolutePath().normalize().startsWith(deploy);
    }
}
