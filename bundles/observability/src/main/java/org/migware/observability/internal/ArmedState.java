package org.migware.observability.internal;

import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Whether this backup is armed, and why not: {@link HealthReasons} over the status now, with the
 * site's {@link ObservabilityConfig}. The one place that says it, for {@code GET /health} and
 * for the notify command's arm and disarm events. It owns the observability configuration.
 */
@Component(service = ArmedState.class, configurationPid = ObservabilityConfig.PID)
@Designate(ocd = ObservabilityConfig.class)
public final class ArmedState {

    private final StatusGatherer status;
    private volatile ObservabilityConfig config;

    @Activate
    public ArmedState(ObservabilityConfig config, @Reference StatusGatherer status) {
        this.config = config;
        this.status = status;
    }

    @Modified
    void modified(ObservabilityConfig newConfig) {
        config = newConfig;
    }

    /** @return why a failover now would not work, one line each; empty when armed */
    public List<String> reasons() {
        return HealthReasons.of(status.observe(), config.fenceAbsenceAccepted());
    }

    /**
     * @param reasons what {@link #reasons()} said
     * @return the failover state a reason says the failover is already in, or null when none does
     */
    public static String failoverStateIn(List<String> reasons) {
        for (String reason : reasons) {
            if (reason.startsWith(HealthReasons.FAILOVER_ALREADY_IN)) {
                String rest = reason.substring(HealthReasons.FAILOVER_ALREADY_IN.length());
                int space = rest.indexOf(' ');
                return space < 0 ? rest : rest.substring(0, space);
            }
        }
        return null;
    }
}
