/**
 * Building blocks for a health monitor of the primary: write a {@link org.migware.monitor.support.Probe},
 * start a {@link org.migware.monitor.support.ProbeLoop} with it, and return the loop's verdict from
 * {@link org.migware.api.health.HealthMonitor#currentVerdict()}.
 *
 * <p>The loop probes on its own daemon thread at a fixed interval, bounds every probe by a timeout,
 * turns the results into verdicts with a {@link org.migware.monitor.support.VerdictStateMachine}
 * ({@code DOWN} after N consecutive misses, {@code UP} again after M consecutive successes), logs
 * every change with its time, target and reason, and tells every
 * {@link org.migware.api.health.HealthVerdictListener} at once. The bundle
 * {@code org.migware.monitor.exec} is a complete, short example. A {@link org.migware.monitor.support.ProbeProfile}
 * names a set of settings (safe, thesis, fast) that one configuration key chooses.
 */
@Version("1.3.0")
@Export
package org.migware.monitor.support;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
