package org.migware.observability.internal;

import org.migware.api.config.ConfigurationPids;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The endpoints' settings (PID {@value #PID}). The address and port they listen on are Felix
 * HTTP Jetty's own (PID {@code org.apache.felix.http}: {@code org.apache.felix.http.host},
 * {@code org.osgi.service.http.port}, with Jetty's metatype); the distribution sets them to
 * 127.0.0.1 and 9464 in conf/config.properties, so nothing listens beyond loopback unless a site
 * says so.
 */
@ObjectClassDefinition(name = "MigWare observability",
        description = "/metrics (Prometheus text format) and /health on the HTTP Whiteboard; read only")
public @interface ObservabilityConfig {

    /** The configuration's PID. */
    String PID = ConfigurationPids.OBSERVABILITY;

    @AttributeDefinition(name = "Fence absence accepted", description = "Whether /health may say 'armed' without a fence command:"
            + " the site trusts the primary to stay down once it failed")
    boolean fenceAbsenceAccepted() default false;
}
