package org.migware.capture.pcap4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.testing.TestNamespace;
import org.migware.capture.shared.internal.CaptureSettings;
import org.migware.capture.shared.internal.Host;
import org.migware.capture.shared.internal.InvalidConfigurationException;

class CaptureSettingsTest {

    /** A host with eth0 and lo, as root, whose libpcap accepts every filter unless told otherwise. */
    static final class FakeHost implements Host {
        boolean mayCapture = true;
        Optional<String> filterError = Optional.empty();
        List<String> interfaces = List.of("eth0", "lo");

        @Override
        public List<String> interfaceNames() {
            return interfaces;
        }

        @Override
        public boolean mayCapture() {
            return mayCapture;
        }

        @Override
        public String userName() {
            return "bob";
        }

        @Override
        public Optional<String> filterError(String expression, int snapshotLength) {
            return filterError;
        }
    }

    private final FakeHost host = new FakeHost();

    @Test
    void defaultsAndAGoodConfiguration() throws Exception {
        CaptureSettings settings = validate(new String[] {"10.77.0.2"}, new int[] {7000}, Map.of("interfaceName", "eth0"));
        assertEquals("eth0", settings.interfaceName());
        assertEquals(65535, settings.snapshotLength());
        assertEquals(16 * 1024 * 1024, settings.bufferSize());
        assertEquals(CaptureSettings.Direction.IN, settings.direction());
        assertEquals("(tcp and (host 10.77.0.2) and (port 7000)) or (arp and (host 10.77.0.2))"
                + " or (ip proto 6 and ip[6:2] & 0x1fff != 0 and (dst host 10.77.0.2))", settings.filter());
        assertEquals(List.of("10.77.0.2"), settings.addresses());
        assertEquals(List.of(7000), settings.ports());
    }

    @Test
    void everyServiceAddressAndPortIsInTheFilterAndOwnKeysAreTrimmedAndCaseFree() throws Exception {
        // one string with commas and repeats is the service owner's to read (ProtectedServiceComponentTest)
        CaptureSettings settings = validate(new String[] {"10.77.0.2", "10.77.0.3"}, new int[] {7000, 7001},
                Map.of("interfaceName", " eth0 ", "direction", "inout", "snapshotLength", 262144));
        assertEquals(List.of("10.77.0.2", "10.77.0.3"), settings.addresses());
        assertEquals(List.of(7000, 7001), settings.ports());
        assertEquals("eth0", settings.interfaceName());
        assertEquals(CaptureSettings.Direction.INOUT, settings.direction());
        assertEquals(262144, settings.snapshotLength());
    }

    @Test
    void eachWrongSettingNamesItsPidAndKey() {
        Map<String, Object> eth0 = Map.of("interfaceName", "eth0");
        // no ProtectedService: not configured, or refused by its owner, whose own line names the key
        // (a wrong address or port: ProtectedServiceComponentTest)
        assertEquals("org.migware.service: 'addresses' is not set; give the service's IP addresses, e.g. 10.77.0.2.",
                error(new String[0], new int[] {7000}, eth0));
        assertEquals("org.migware.capture.pcap4j: 'interfaceName' is not set; set it to the interface that sees the"
                + " clients' traffic, one of [eth0, lo].", error(new String[] {"10.77.0.2"}, new int[] {7000}, Map.of()));
        assertTrue(error(new String[] {"10.77.0.2"}, new int[] {7000}, with(eth0, "snapshotLength", 64))
                .startsWith("org.migware.capture.pcap4j: 'snapshotLength' is 64; use 134 to 262144"));
        assertTrue(error(new String[] {"10.77.0.2"}, new int[] {7000}, with(eth0, "bufferSize", 4096))
                .startsWith("org.migware.capture.pcap4j: 'bufferSize' is 4096 bytes"));
        assertTrue(error(new String[] {"10.77.0.2"}, new int[] {7000}, with(eth0, "direction", "OUT"))
                .startsWith("org.migware.capture.pcap4j: 'direction' is 'OUT'; use IN (default) or INOUT."));
        assertTrue(error(new String[] {"10.77.0.2"}, new int[] {7000}, with(eth0, "bufferSize", new NumberFormatException("big")))
                .startsWith("org.migware.capture.pcap4j: 'bufferSize' should be an integer but cannot be read as one"));
    }

    // 'ports' of the wrong type: the service owner's to refuse (ProtectedServiceComponentTest)

    @Test
    void aMissingInterfaceListsTheInterfacesThatExist() {
        assertEquals("org.migware.capture.pcap4j: 'interfaceName' is 'eth9', which does not exist on this host;"
                + " the interfaces are [eth0, lo].", error(new String[] {"10.77.0.2"}, new int[] {7000}, Map.of("interfaceName", "eth9")));
    }

    @Test
    void aMissingInterfaceOnTheRealHostListsItsInterfaces() {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> Pcap4jCaptureComponent.validate(ServiceEndpoints.parse(new String[] {"10.77.0.2"}, new int[] {7000}),
                        CaptureConfigs.capture(Map.of("interfaceName", "mwcnope0")), Pcap4jFilters.HOST));
        assertTrue(e.getMessage().startsWith("org.migware.capture.pcap4j: 'interfaceName' is 'mwcnope0', which does"
                + " not exist on this host; the interfaces are ["), e.getMessage());
        assertTrue(e.getMessage().contains("lo"), e.getMessage());
    }

    @Test
    void notRootIsOneClearLine() {
        host.mayCapture = false;
        assertEquals("org.migware.capture.pcap4j: capturing on 'eth0' needs root or the CAP_NET_RAW capability, and this"
                + " JVM runs as 'bob' without it (run as root, or: setcap cap_net_raw,cap_net_admin+ep on the java binary).",
                error(new String[] {"10.77.0.2"}, new int[] {7000}, Map.of("interfaceName", "eth0")));
    }

    @Test
    void aBadExtraFilterNamesTheKeyWithLibpcapsWords() {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> Pcap4jCaptureComponent.validate(ServiceEndpoints.parse(new String[] {"10.77.0.2"}, new int[] {7000}),
                        CaptureConfigs.capture(Map.of("interfaceName", "lo", "extraFilter", "icmp and ((")), Pcap4jFilters.HOST));
        assertTrue(e.getMessage().startsWith("org.migware.capture.pcap4j: 'extraFilter' is not a valid BPF expression: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("syntax error"), e.getMessage());
    }

    @Test
    void theRealHostAnswersWithoutRoot() {
        assertTrue(Pcap4jFilters.HOST.interfaceNames().contains("lo"));
        if (TestNamespace.isRoot()) {
            assertTrue(Pcap4jFilters.HOST.mayCapture(), "root has CAP_NET_RAW");
        }
    }

    private String error(String[] addresses, int[] ports, Map<String, Object> capture) {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class, () -> validate(addresses, ports, capture));
        assertEquals(0, e.getStackTrace().length, "logged as one line: no stack trace is even recorded");
        return e.getMessage();
    }

    private CaptureSettings validate(String[] addresses, int[] ports, Map<String, Object> capture) throws Exception {
        ServiceEndpoints service = addresses.length == 0 ? null : ServiceEndpoints.parse(addresses, ports);
        return Pcap4jCaptureComponent.validate(service, CaptureConfigs.capture(capture), host);
    }

    private static Map<String, Object> with(Map<String, Object> base, String key, Object value) {
        Map<String, Object> copy = new HashMap<>(base);
        copy.put(key, value);
        return copy;
    }
}
