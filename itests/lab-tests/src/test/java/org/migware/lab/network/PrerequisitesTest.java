package org.migware.lab.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.JavaCommand;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;

/** Without root the lab refuses with a message that says what to do, and creates nothing. */
@Timeout(30)
class PrerequisitesTest {

    @Test
    void rootWithIproute2HasEverything() {
        assertEquals(java.util.Optional.empty(), LabNetwork.prerequisitesMissing());
    }

    @Test
    void anUnprivilegedUserGetsAClearMessage() {
        // Drop to nobody for one child JVM; needs util-linux's setpriv, as on Debian and most CI images.
        assumeTrue(Commands.findTool("setpriv").isPresent(), "setpriv is not installed");
        List<String> cmd = new ArrayList<>(List.of(Commands.tool("setpriv", "util-linux"), "--reuid=65534", "--regid=65534",
                "--clear-groups"));
        cmd.addAll(JavaCommand.of(PrerequisitesProbe.class, List.of("-Xshare:auto"), List.of()));
        ExecResult result = Commands.run(Duration.ofSeconds(20), cmd);
        assertTrue(result.ok(), result.describeFailure());
        assertTrue(result.stdout().startsWith("refused: the MigWare lab creates network namespaces and must run as root"),
                result.stdout());
        assertEquals(List.of(), LabTestSupport.netnsWithPrefix("mwt-never"));
    }
}
