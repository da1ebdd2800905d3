package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.migware.lab.experiments.CaptureBackend;
import org.migware.lab.experiments.TrackingExperiment;
import org.migware.lab.network.LabNetwork;

/**
 * The lab, as root: namespaces client, primary and backup on a bridge that floods; a real sink
 * server in the primary; 200 real client connections with Linux's default TCP options, each
 * pushing a numbered record every 500 ms; the built distribution running in the backup. Every
 * connection must be tracked, and per connection the bytes each way, both ISNs and both sides'
 * SYN options must equal what the applications wrote and read and what tshark decoded. Once with
 * each live capture backend: libpcap through pcap4j, and the kernel's TPACKET_V3 ring.
 */
class LabTrackingTest {

    private static final String PREFIX = "mwit";

    @ParameterizedTest(name = "capture {0}")
    @EnumSource(CaptureBackend.class)
    void theDistributionTracksTwoHundredLiveConnectionsExactly(CaptureBackend capture) {
        TrackingExperiment.Result result = TrackingExperiment.run(
                TrackingExperiment.Options.defaults(BuiltDistribution.home()).withPrefix(PREFIX).withCapture(capture),
                message -> System.out.println("[lab] " + message));

        assertEquals(200, result.connections());
        assertEquals(200, result.tracked(), () -> "tracked " + result.tracked() + "; " + result.mismatches());
        assertTrue(result.clientBytes() >= 200L * 20 * 6, "every client pushed at least 20 records");
        assertTrue(result.mismatches().isEmpty(), () -> String.join("\n", result.mismatches()));
        assertEquals(200, result.finalStatus().tracked(), result.status());
        assertEquals(java.util.List.of(capture.sourceName(LabNetwork.ROLE_INTERFACE)), result.finalStatus().capturesRunning(),
                "the chosen backend captured, and only it");
        assertFalse(LabNetwork.leftovers(PREFIX), "the lab's namespaces must be gone");
    }
}
