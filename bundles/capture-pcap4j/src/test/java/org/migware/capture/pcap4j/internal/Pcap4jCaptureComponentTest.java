package org.migware.capture.pcap4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The refusals: no service, no exception out of the constructor (SCR would log a stack trace). */
class Pcap4jCaptureComponentTest {

    @Test
    void tellsWhichPidsHaveNoConfigurationYet() {
        String service = Pcap4jCaptureComponent.SERVICE_PID;
        String own = Pcap4jCaptureComponent.PID;
        assertEquals(List.of(service, own), Pcap4jCaptureComponent.unconfigured(Map.of(), service, own));
        // Felix SCR lists several PIDs as a java.util.List; a single one may be a String or an array
        assertEquals(List.of(), Pcap4jCaptureComponent.unconfigured(Map.of("service.pid", List.of(service, own)), service, own));
        assertEquals(List.of(service), Pcap4jCaptureComponent.unconfigured(Map.of("service.pid", own), service, own));
        assertEquals(List.of(own), Pcap4jCaptureComponent.unconfigured(Map.of("service.pid", new String[] {service}), service, own));
    }

    @Test
    void aWrongSettingRegistersNothingAndThrowsNothing() {
        FakeContext context = new FakeContext();
        Pcap4jCaptureComponent component = new Pcap4jCaptureComponent(context.proxy(),
                CaptureConfigs.service(new String[0], new int[] {7000}), CaptureConfigs.capture(Map.of("interfaceName", "eth0")),
                Map.of(), new CaptureSettingsTest.FakeHost());
        assertTrue(context.registered.isEmpty());
        assertNull(component.source());
        assertNull(component.sender());
        component.deactivate();
        assertTrue(context.unregistered.isEmpty());
    }

    @Test
    void withoutPrivilegeNothingIsOpenedOrRegistered() {
        FakeContext context = new FakeContext();
        CaptureSettingsTest.FakeHost host = new CaptureSettingsTest.FakeHost();
        host.mayCapture = false;
        Pcap4jCaptureComponent component = new Pcap4jCaptureComponent(context.proxy(),
                CaptureConfigs.service(new String[] {"10.77.0.2"}, new int[] {7000}),
                CaptureConfigs.capture(Map.of("interfaceName", "eth0")), Map.of(), host);
        assertTrue(context.registered.isEmpty());
        assertNull(component.source());
        component.deactivate();
    }

    @Test
    void anInterfaceThatLibpcapRefusesRegistersNothing() {
        // validation passes (the fake host claims the interface exists); libpcap then refuses
        FakeContext context = new FakeContext();
        CaptureSettingsTest.FakeHost host = new CaptureSettingsTest.FakeHost();
        host.interfaces = List.of("mwcnope0");
        Pcap4jCaptureComponent component = new Pcap4jCaptureComponent(context.proxy(),
                CaptureConfigs.service(new String[] {"10.77.0.2"}, new int[] {7000}),
                CaptureConfigs.capture(Map.of("interfaceName", "mwcnope0")), Map.of(), host);
        assertTrue(context.registered.isEmpty());
        assertNull(component.source());
        component.deactivate();
    }
}
