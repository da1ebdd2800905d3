/**
 * The direct path after a failover: the nftables set of carried tuples, keepalived's track file,
 * and the round that joins them to the migration engine and the core.
 */
package org.migware.proxy.internal.direct;
