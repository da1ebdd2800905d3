/**
 * What says what really happened, not our own parser: tcpdump and tshark's decode of the wire, the
 * record and response checkers of what the applications got, round-trip logs.
 */
package org.migware.lab.oracles;
