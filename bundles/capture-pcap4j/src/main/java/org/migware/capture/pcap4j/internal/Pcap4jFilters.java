package org.migware.capture.pcap4j.internal;

import java.util.Optional;

import org.migware.capture.shared.internal.LinuxHost;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/** Filter expressions compiled with libpcap through pcap4j, for validation. */
final class Pcap4jFilters {

    /** The real host, with pcap4j's compiler. */
    static final LinuxHost HOST = new LinuxHost(Pcap4jFilters::filterError);

    private Pcap4jFilters() {
    }

    static Optional<String> filterError(String expression, int snapshotLength) {
        // A "dead" handle compiles without opening any interface, so it needs no privilege, and
        // unlike pcap_compile_nopcap it keeps libpcap's error text ("syntax error" and where).
        PcapHandle dead;
        try {
            dead = Pcaps.openDead(DataLinkType.EN10MB, snapshotLength);
        } catch (PcapNativeException e) {
            return Optional.of("libpcap cannot compile filters here: " + e.getMessage());
        }
        try {
            BpfProgram program = dead.compileFilter(expression, BpfProgram.BpfCompileMode.OPTIMIZE,
                    PcapHandle.PCAP_NETMASK_UNKNOWN);
            program.free();
            return Optional.empty();
        } catch (PcapNativeException e) {
            return Optional.of(e.getMessage());
        } catch (NotOpenException e) {
            throw new IllegalStateException("a dead handle closed itself", e);
        } finally {
            dead.close();
        }
    }
}
