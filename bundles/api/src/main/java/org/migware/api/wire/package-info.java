/**
 * What the wire looks like, in one place: header offsets and lengths of Ethernet, 802.1Q, IPv4,
 * IPv6 and TCP, the TCP option kinds, the Internet checksum (full, pseudo-header and the
 * incremental update of RFC 1624), TCP sequence-number arithmetic and IP address literals.
 *
 * <p>Every class is a final holder of constants and static methods, in the manner of Netty's
 * {@code HAProxyConstants}: the parser, the frame writer, the tracker and the monitors read the
 * same numbers, and the per-packet methods allocate nothing.
 */
@Version("1.0.0")
@Export
package org.migware.api.wire;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
