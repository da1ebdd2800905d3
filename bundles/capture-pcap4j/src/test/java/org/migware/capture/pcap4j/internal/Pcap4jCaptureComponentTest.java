package org.migware.capture.pcap4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.capture.shared.internal.Host;
import org.migware.testing.FakeBundleContext;

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
        FakeBundleContext context = new FakeBundleContext();
        Pcap4jCaptureComponent component = new Pcap4jCaptureComponent(context.proxy(),
                CaptureConfigs.capture(Map.of("interfaceName", "eth0")), Map.of(), new CaptureSettingsTest.FakeHost());
        component.activate(); // no ProtectedService
        assertTrue(context.registered.isEmpty());
        assertNull(component.source());
        assertNull(component.sender());
        component.deactivate();
        assertTrue(context.unregistered.isEmpty());
    }

    @Test
    void withoutPrivilegeNothingIsOpenedOrRegistered() {
        FakeBundleContext context = new FakeBundleContext();
        CaptureSettingsTest.FakeHost host = new CaptureSettingsTest.FakeHost();
        host.mayCapture = false;
        Pcap4jCaptureComponent component = start(context, Map.of("interfaceName", "eth0"), host);
        assertTrue(context.registered.isEmpty());
        assertNull(component.source());
        component.deactivate();
    }

    @Test
    void anInterfaceThatLibpcapRefusesRegistersNothing() {
        // validation passes (the fake host claims the interface exists); libpcap then refuses
        FakeBundleContext context = new FakeBundleContext();
        CaptureSettingsTest.FakeHost host = new CaptureSettingsTest.FakeHost();
        host.interfaces = List.of("mwcnope0");
        Pcap4jCaptureComponent component = start(context, Map.of("interfaceName", "mwcnope0"), host);
        assertTrue(context.registered.isEmpty());
        assertNull(component.source());
        component.deactivate();
    }

    @Test
    void aServiceThatChangesOrLeavesIsFollowedAndNothingOpensAfterDeactivation() {
        // libpcap refuses the interface, so every attempt is one log line and no registration;
        // what counts is that each change makes an attempt while active, and none after
        FakeBundleContext context = new FakeBundleContext();
        CaptureSettingsTest.FakeHost host = new CaptureSettingsTest.FakeHost();
        host.interfaces = List.of("mwcnope0");
        Pcap4jCaptureComponent component = start(context, Map.of("interfaceName", "mwcnope0"), host);
        component.updatedProtectedService(() -> ServiceEndpoints.parse(new String[] {"10.77.0.9"}, new int[] {8000}));
        component.unbindProtectedService(null);
        component.deactivate();
        component.bindProtectedService(() -> SERVICE);
        assertTrue(context.registered.isEmpty());
        assertNull(component.source());
    }

    private static final ServiceEndpoints SERVICE = ServiceEndpoints.parse(new String[] {"10.77.0.2"}, new int[] {7000});

    /** Activated as DS does it: constructed, the service bound, then activated. */
    private static Pcap4jCaptureComponent start(FakeBundleContext context, Map<String, Object> capture, Host host) {
        Pcap4jCaptureComponent component = new Pcap4jCaptureComponent(context.proxy(), CaptureConfigs.capture(capture), Map.of(), host);
        component.bindProtectedService(() -> SERVICE);
        component.activate();
        return component;
    }
}
