/**
 * The names of MigWare's configurations: the persistent identity (PID) of every component's
 * configuration, so that a tool, a test or a site's own bundle can address a configuration
 * without copying its name. The keys of the one configuration that several bundles share, the
 * service's, are on {@link org.migware.api.connection.ProtectedService}; every other
 * configuration belongs to one component, which documents its keys in its metatype.
 */
@Version("1.4.0")
@Export
package org.migware.api.config;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
