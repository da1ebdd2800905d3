package org.migware.capture.pcap4j.internal;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Designates the metatype of {@link Pcap4jCaptureComponent.Config} to PID
 * {@value Pcap4jCaptureComponent#PID}, so that a web console or a tool shows the capture's settings
 * with their descriptions and defaults. Nothing else: the component is disabled and has no code.
 *
 * <p>Why a class of its own: {@link Pcap4jCaptureComponent} takes two configuration PIDs (the
 * shared service PID and its own), and bnd refuses {@code @Designate} on such a component ("a
 * Designate requires exactly one pid"). A hand-written metatype file is no way out either: Felix
 * Metatype only pairs a Designate with an OCD of the same file, and bnd writes the OCD. This keeps
 * the typed {@code @ObjectClassDefinition} the single source of the settings' metadata.
 */
@Component(name = "org.migware.capture.pcap4j.metatype", configurationPid = Pcap4jCaptureComponent.PID,
        enabled = false, service = {})
@Designate(ocd = Pcap4jCaptureComponent.Config.class)
final class ConfigDesignation {
}
