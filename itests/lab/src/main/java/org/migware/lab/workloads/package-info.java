/**
 * The applications the lab runs: the push client (with a reconnect mode), the sink server and the
 * bulk receiver on one selector-server base, the bulk sender, and their reports.
 */
package org.migware.lab.workloads;
