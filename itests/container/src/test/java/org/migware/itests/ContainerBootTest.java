package org.migware.itests;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The distribution's bundle set boots: every bundle is ACTIVE, and every DS component of
 * MigWare's bundles that has its configuration is ACTIVE once the service and (when the
 * capture-file bundle ships) a capture file are configured.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ContainerBootTest extends MigwareTestSupport {

    @Test
    public void everyBundleOfTheDistributionIsActive() {
        assertBundlesActive(distributionBundleNames());
    }

    @Test
    public void everyConfiguredMigwareComponentIsActive() throws IOException {
        configure("org.migware.service", Map.of(
                "addresses", new String[] {PcapFixture.SERVER_IP},
                "ports", new int[] {PcapFixture.SERVER_PORT}));
        if (findBundle("org.migware.capture.file").isPresent()) {
            Path pcap = PcapFixture.writeHandshakeAndRecord(
                    Path.of("target", "pcap", getClass().getSimpleName() + ".pcap").toAbsolutePath());
            configure("org.migware.capture.file", Map.of("path", pcap.toString(), "replaySpeed", 0.0d));
        }

        List<String> notChecked = assertComponentsActive(migwareBundles(), TIMEOUT);

        if (!notChecked.isEmpty()) {
            System.out.println("[ContainerBootTest] not checked, waiting for a configuration: " + notChecked);
        }
    }
}
