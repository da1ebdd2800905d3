/**
 * The failover state of a MigWare instance, its changes, and its status as records: the
 * migration's progress, each carried connection's mapping, the monitors' verdicts and the
 * capture's counters ({@link org.migware.api.failover.StatusReport}).
 */
@Version("2.6.0")
@Export
package org.migware.api.failover;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
