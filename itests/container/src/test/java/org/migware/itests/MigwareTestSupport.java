package org.migware.itests;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.workingDirectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.ReferenceDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Base of every Pax Exam test of MigWare: boots Felix with exactly the bundles of the built
 * distribution ({@code distribution/target/migware/bundle/*.jar}, read as file: URLs), so the
 * container under test cannot drift from the product, and offers the waits and checks the tests
 * share.
 *
 * <p>A test class: {@code @RunWith(PaxExam.class) @ExamReactorStrategy(PerClass.class)}, extends
 * this class, and overrides {@link #additionalOptions()} for anything it needs on top (a system
 * property, a test bundle). One container per class keeps a class fast; put the tests that share
 * a setup in one class.
 *
 * <p>Waits go through service trackers with timeouts. Component states are the exception: SCR
 * sends no event when a component changes state, so {@link #assertComponentsActive} polls the
 * runtime's DTOs until a deadline.
 */
public abstract class MigwareTestSupport {

    /** System property (set by surefire) with the folder of the assembled distribution. */
    public static final String DISTRIBUTION_PROPERTY = "migware.distribution";

    /** How long the helpers wait by default: generous for a 2-core CI machine, short for a failure. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** Symbolic names of MigWare's own bundles start with this. */
    protected static final String MIGWARE_PREFIX = "org.migware.";

    @Inject
    protected BundleContext bundleContext;

    // ---------------------------------------------------------------- the container

    /**
     * The container: the distribution's bundles (started, fragments only installed), JUnit, and
     * the settings a test run needs. Runs outside the framework, before it starts.
     *
     * @return the options of this test class
     */
    @Configuration
    public Option[] configuration() {
        List<Option> options = new ArrayList<>();
        // a bundle that does not resolve fails the run at once, naming the requirement
        options.add(systemProperty("pax.exam.osgi.unresolved.fail").value("true"));
        options.add(workingDirectory(Path.of("target", "paxexam", getClass().getSimpleName()).toString()));
        options.add(cleanCaches(true));
        // the Gogo shell must not read standard input (surefire's) and must not stop the framework
        options.add(frameworkProperty("gosh.args").value("--nointeractive"));
        // FileInstall watches an empty folder of this test class rather than ./load
        // ...emptied first: a jar an earlier run left there would start before the test does.
        emptyOfJars(fileInstallDirectory());
        options.add(frameworkProperty("felix.fileinstall.dir").value(fileInstallDirectory().toString()));
        options.add(frameworkProperty("felix.fileinstall.noInitialDelay").value("true"));
        options.add(frameworkProperty("felix.fileinstall.poll").value("200"));
        // The HTTP endpoints listen where the distribution says (conf/config.properties: loopback),
        // but on a port the kernel picks: containers of other builds may run on this machine too.
        distributionHttpProperties().forEach((key, value) -> options.add(frameworkProperty(key).value(value)));
        options.add(frameworkProperty(HTTP_PORT_PROPERTY).value("0"));
        // The container logs as the distribution's does (Pax Logging, etc/log4j2.properties), to a file of
        // this test class: a log line must never land in the output of a shell command a test reads.
        Path logDir = Path.of("target", "paxexam", getClass().getSimpleName(), "log").toAbsolutePath();
        options.add(systemProperty("migware.log.dir").value(logDir.toString()));
        options.add(systemProperty("org.ops4j.pax.logging.property.file")
                .value(distributionHome().resolve("etc/log4j2.properties").toString()));
        options.add(systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"));
        options.add(junitBundles());
        for (Path jar : distributionBundles()) {
            options.add(bundle(jar.toUri().toString()).start(!isFragment(jar)));
        }
        return OptionUtils.combine(options.toArray(new Option[0]), additionalOptions());
    }

    private static void emptyOfJars(Path folder) {
        try (java.nio.file.DirectoryStream<Path> jars = Files.newDirectoryStream(folder, "*.jar")) {
            for (Path jar : jars) {
                Files.delete(jar);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot empty " + folder, e);
        }
    }

    /** Felix HTTP Jetty's framework property with its port. */
    protected static final String HTTP_PORT_PROPERTY = "org.osgi.service.http.port";

    /** @return the HTTP settings of the distribution's conf/config.properties (Jetty's and the HTTP service's keys) */
    public static Map<String, String> distributionHttpProperties() {
        java.util.Properties config = new java.util.Properties();
        try (java.io.Reader in = Files.newBufferedReader(distributionHome().resolve("conf").resolve("config.properties"))) {
            config.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> http = new java.util.TreeMap<>();
        for (String key : config.stringPropertyNames()) {
            if (key.startsWith("org.apache.felix.http") || key.startsWith("org.osgi.service.http.")) {
                http.put(key, config.getProperty(key));
            }
        }
        return http;
    }

    /** @return what a test class adds to the container; nothing by default */
    protected Option[] additionalOptions() {
        return new Option[0];
    }

    /**
     * The folder FileInstall watches in this test class's container (created empty). Override to
     * point it at configuration files the test prepares.
     *
     * @return an absolute path
     */
    protected Path fileInstallDirectory() {
        Path folder = Path.of("target", "fileinstall", getClass().getSimpleName()).toAbsolutePath();
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return folder;
    }

    /** @return the assembled distribution, e.g. distribution/target/migware */
    public static Path distributionHome() {
        String configured = System.getProperty(DISTRIBUTION_PROPERTY);
        if (configured == null || configured.isBlank()) {
            throw new IllegalStateException("system property " + DISTRIBUTION_PROPERTY
                    + " is not set; run the tests through Maven (mvn verify), or set it to distribution/target/migware");
        }
        Path home = Path.of(configured).toAbsolutePath().normalize();
        if (!Files.isDirectory(home.resolve("bundle"))) {
            throw new IllegalStateException("no distribution at " + home
                    + ": build it first (mvn verify from the root, or mvn -pl distribution package once the bundles are installed)");
        }
        return home;
    }

    /** @return the bundle jars of the distribution, sorted by file name */
    public static List<Path> distributionBundles() {
        Path bundleDir = distributionHome().resolve("bundle");
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(bundleDir, "*.jar")) {
            stream.forEach(jars::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (jars.isEmpty()) {
            throw new IllegalStateException("no bundles in " + bundleDir);
        }
        jars.sort(null);
        return jars;
    }

    /** @return the symbolic names of the distribution's bundles */
    public static List<String> distributionBundleNames() {
        return distributionBundles().stream()
                .map(jar -> header(jar, Constants.BUNDLE_SYMBOLICNAME))
                .map(name -> name == null ? null : name.split(";", 2)[0].trim())
                .collect(Collectors.toList());
    }

    private static boolean isFragment(Path jar) {
        return header(jar, Constants.FRAGMENT_HOST) != null;
    }

    private static String header(Path jar, String name) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            Attributes attributes = manifest == null ? null : manifest.getMainAttributes();
            return attributes == null ? null : attributes.getValue(name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jar, e);
        }
    }

    // ---------------------------------------------------------------- services and bundles

    /**
     * Waits for a service and returns it; the test's bundle holds it until the container stops.
     *
     * @param type the service interface
     * @param filter an LDAP filter on the service's properties, or null
     * @param timeout how long to wait
     * @param <T> the service type
     * @return the service with the highest ranking that matches
     */
    protected <T> T waitForService(Class<T> type, String filter, Duration timeout) {
        String objectClass = "(" + Constants.OBJECTCLASS + "=" + type.getName() + ")";
        String combined = filter == null || filter.isBlank() ? objectClass : "(&" + objectClass + filter + ")";
        Filter osgiFilter;
        try {
            osgiFilter = bundleContext.createFilter(combined);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad filter " + filter + ": " + e.getMessage(), e);
        }
        ServiceTracker<T, T> tracker = new ServiceTracker<>(bundleContext, osgiFilter, null);
        tracker.open();
        try {
            if (tracker.waitForService(timeout.toMillis()) == null) {
                fail("no service " + combined + " within " + timeout.toSeconds() + " s"
                        + serviceHint(type));
            }
            ServiceReference<T> reference = tracker.getServiceReference();
            T service = bundleContext.getService(reference);
            assertNotNull("service " + combined + " went away while it was being got", service);
            return service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + combined, e);
        } finally {
            tracker.close();
        }
    }

    /** Same as {@link #waitForService(Class, String, Duration)} with no filter and {@link #TIMEOUT}. */
    protected <T> T waitForService(Class<T> type) {
        return waitForService(type, null, TIMEOUT);
    }

    private String serviceHint(Class<?> type) {
        // Often the service's component is unsatisfied: say which, and why.
        ServiceComponentRuntime scr = serviceNow(ServiceComponentRuntime.class);
        if (scr == null) {
            return " (and no ServiceComponentRuntime either: is SCR running?)";
        }
        List<String> related = new ArrayList<>();
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            if (Arrays.asList(description.serviceInterfaces).contains(type.getName())) {
                related.add(describe(scr, description));
            }
        }
        return related.isEmpty() ? " (no DS component declares it)"
                : "; components that provide it:\n  " + String.join("\n  ", related);
    }

    private <T> T serviceNow(Class<T> type) {
        ServiceReference<T> reference = bundleContext.getServiceReference(type);
        return reference == null ? null : bundleContext.getService(reference);
    }

    /**
     * Creates or replaces a configuration through Configuration Admin, bound to any bundle
     * (location "?"), as FileInstall would from a file in etc/.
     *
     * @param pid the configuration PID
     * @param properties the properties; arrays and primitive arrays as Configuration Admin allows
     * @return the configuration
     */
    protected org.osgi.service.cm.Configuration configure(String pid, Map<String, ?> properties) {
        ConfigurationAdmin configurationAdmin = waitForService(ConfigurationAdmin.class);
        try {
            org.osgi.service.cm.Configuration configuration = configurationAdmin.getConfiguration(pid, "?");
            Dictionary<String, Object> dictionary = new Hashtable<>(properties);
            configuration.update(dictionary);
            return configuration;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot configure " + pid, e);
        }
    }

    /**
     * @param symbolicName a bundle symbolic name
     * @return the installed bundle with that name (the highest version if several)
     */
    protected Optional<Bundle> findBundle(String symbolicName) {
        return Arrays.stream(bundleContext.getBundles())
                .filter(bundle -> symbolicName.equals(bundle.getSymbolicName()))
                .max((a, b) -> a.getVersion().compareTo(b.getVersion()));
    }

    /**
     * @param symbolicName a bundle symbolic name
     * @return the installed bundle with that name; fails the test if there is none
     */
    protected Bundle bundleNamed(String symbolicName) {
        return findBundle(symbolicName).orElseThrow(() -> new AssertionError("no bundle " + symbolicName
                + " in the container; installed: " + Arrays.stream(bundleContext.getBundles())
                        .map(Bundle::getSymbolicName).collect(Collectors.joining(", "))));
    }

    /**
     * Asserts that each named bundle is installed and ACTIVE (a fragment: RESOLVED).
     *
     * @param symbolicNames the bundles
     */
    protected void assertBundlesActive(Collection<String> symbolicNames) {
        List<String> problems = new ArrayList<>();
        for (String name : symbolicNames) {
            Optional<Bundle> found = findBundle(name);
            if (found.isEmpty()) {
                problems.add(name + ": not installed");
                continue;
            }
            Bundle bundle = found.get();
            boolean fragment = bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            int expected = fragment ? Bundle.RESOLVED : Bundle.ACTIVE;
            if (bundle.getState() != expected) {
                problems.add(name + " " + bundle.getVersion() + ": " + bundleState(bundle.getState())
                        + ", expected " + bundleState(expected));
            }
        }
        if (!problems.isEmpty()) {
            fail(problems.size() + " bundle(s) not as expected:\n  " + String.join("\n  ", problems));
        }
    }

    // ---------------------------------------------------------------- DS components

    /** @return a filter on bundles whose symbolic name starts with {@value #MIGWARE_PREFIX} */
    protected static Predicate<Bundle> migwareBundles() {
        return bundle -> bundle.getSymbolicName() != null && bundle.getSymbolicName().startsWith(MIGWARE_PREFIX);
    }

    /**
     * Asserts, within the timeout, that every enabled DS component of the selected bundles is
     * ACTIVE. A delayed component that is only SATISFIED (nobody uses its service yet) is
     * activated by getting its service once, so its activation runs and may fail here.
     * Components that wait for a required configuration nobody created are not failures; they
     * are returned. Anything else (an unsatisfied reference, a failed activation, a component
     * disabled although enabled by default) fails with every such component and its reasons.
     *
     * @param bundles which bundles' components to check
     * @param timeout how long the components get to settle
     * @return the components skipped because their required configuration does not exist
     */
    protected List<String> assertComponentsActive(Predicate<Bundle> bundles, Duration timeout) {
        ServiceComponentRuntime scr = waitForService(ServiceComponentRuntime.class);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> waitingForConfiguration = new ArrayList<>();
            List<String> problems = componentProblems(scr, bundles, waitingForConfiguration);
            if (problems.isEmpty()) {
                return waitingForConfiguration;
            }
            if (System.nanoTime() - deadline > 0) {
                fail(problems.size() + " DS component(s) not ACTIVE after " + timeout.toSeconds() + " s:\n  "
                        + String.join("\n  ", problems)
                        + (waitingForConfiguration.isEmpty() ? ""
                                : "\n(not checked, waiting for a configuration: " + waitingForConfiguration + ")"));
            }
            // SCR publishes no events for state changes: poll its DTOs, briefly.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    private List<String> componentProblems(ServiceComponentRuntime scr, Predicate<Bundle> bundles,
            List<String> waitingForConfiguration) {
        Bundle[] selected = Arrays.stream(bundleContext.getBundles()).filter(bundles).toArray(Bundle[]::new);
        List<String> problems = new ArrayList<>();
        if (selected.length == 0) {
            return problems;
        }
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs(selected)) {
            if (!scr.isComponentEnabled(description)) {
                if (description.defaultEnabled) {
                    problems.add(name(description) + ": disabled");
                }
                continue; // disabled by design (enabled = false): not part of the running set
            }
            Collection<ComponentConfigurationDTO> configurations = scr.getComponentConfigurationDTOs(description);
            if (configurations.isEmpty()) {
                if (requiresConfiguration(description)) {
                    waitingForConfiguration.add(name(description) + " " + Arrays.toString(description.configurationPid));
                } else {
                    problems.add(name(description) + ": no component configuration at all");
                }
                continue;
            }
            for (ComponentConfigurationDTO configuration : configurations) {
                int state = configuration.state;
                if (state == ComponentConfigurationDTO.SATISFIED && description.serviceInterfaces.length > 0) {
                    state = activateByUse(scr, description, configuration);
                }
                if (state == ComponentConfigurationDTO.ACTIVE) {
                    continue;
                }
                if (state == ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION) {
                    waitingForConfiguration.add(name(description) + " " + Arrays.toString(description.configurationPid));
                    continue;
                }
                problems.add(describe(description, configuration, state));
            }
        }
        return problems;
    }

    /**
     * Gets the service of a delayed component so that SCR activates it, reads the state while the
     * service is held, then releases it.
     *
     * @return the component configuration's state while its service was in use
     */
    private int activateByUse(ServiceComponentRuntime scr, ComponentDescriptionDTO description,
            ComponentConfigurationDTO configuration) {
        ServiceReference<?>[] references;
        try {
            references = bundleContext.getServiceReferences((String) null, "(component.id=" + configuration.id + ")");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (references == null) {
            return configuration.state;
        }
        List<ServiceReference<?>> held = new ArrayList<>();
        try {
            for (ServiceReference<?> reference : references) {
                if (bundleContext.getService(reference) != null) {
                    held.add(reference);
                }
            }
            return scr.getComponentConfigurationDTOs(description).stream()
                    .filter(current -> current.id == configuration.id)
                    .mapToInt(current -> current.state)
                    .findFirst()
                    .orElse(configuration.state);
        } finally {
            held.forEach(bundleContext::ungetService);
        }
    }

    private static String describe(ServiceComponentRuntime scr, ComponentDescriptionDTO description) {
        Collection<ComponentConfigurationDTO> configurations = scr.getComponentConfigurationDTOs(description);
        if (configurations.isEmpty()) {
            return name(description) + ": no configuration"
                    + (requiresConfiguration(description)
                            ? " (requires " + Arrays.toString(description.configurationPid) + ")" : "");
        }
        return configurations.stream().map(c -> describe(description, c, c.state)).collect(Collectors.joining("; "));
    }

    private static String describe(ComponentDescriptionDTO description, ComponentConfigurationDTO configuration, int state) {
        StringBuilder text = new StringBuilder(name(description)).append(": ").append(componentState(state));
        if (state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE) {
            for (UnsatisfiedReferenceDTO unsatisfied : configuration.unsatisfiedReferences) {
                text.append("\n      unsatisfied reference '").append(unsatisfied.name).append("'");
                for (ReferenceDTO reference : description.references) {
                    if (reference.name.equals(unsatisfied.name)) {
                        text.append(" to ").append(reference.interfaceName)
                                .append(" (").append(reference.cardinality).append(")");
                    }
                }
                if (unsatisfied.target != null) {
                    text.append(" target ").append(unsatisfied.target);
                }
            }
        }
        if (state == ComponentConfigurationDTO.FAILED_ACTIVATION && configuration.failure != null) {
            text.append("\n      ").append(configuration.failure.strip().replace("\n", "\n      "));
        }
        return text.toString();
    }

    private static String name(ComponentDescriptionDTO description) {
        return description.name + " [" + description.bundle.symbolicName + "]";
    }

    private static String componentState(int state) {
        switch (state) {
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION: return "UNSATISFIED_CONFIGURATION";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE: return "UNSATISFIED_REFERENCE";
            case ComponentConfigurationDTO.SATISFIED: return "SATISFIED";
            case ComponentConfigurationDTO.ACTIVE: return "ACTIVE";
            case ComponentConfigurationDTO.FAILED_ACTIVATION: return "FAILED_ACTIVATION";
            default: return "state " + state;
        }
    }

    private static String bundleState(int state) {
        switch (state) {
            case Bundle.UNINSTALLED: return "UNINSTALLED";
            case Bundle.INSTALLED: return "INSTALLED (not resolved)";
            case Bundle.RESOLVED: return "RESOLVED";
            case Bundle.STARTING: return "STARTING";
            case Bundle.STOPPING: return "STOPPING";
            case Bundle.ACTIVE: return "ACTIVE";
            default: return "state " + state;
        }
    }

    private static boolean requiresConfiguration(ComponentDescriptionDTO description) {
        return "require".equals(description.configurationPolicy);
    }
}
