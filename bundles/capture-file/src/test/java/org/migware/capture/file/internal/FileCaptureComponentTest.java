package org.migware.capture.file.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.migware.api.packet.PacketSource;
import org.migware.testing.Configs;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

class FileCaptureComponentTest {

    @TempDir
    Path dir;

    @Test
    void aMissingPathIsOneClearErrorAndNoService() {
        FakeContext context = new FakeContext();
        FileCaptureComponent component = new FileCaptureComponent(context.proxy(), config(Map.of()), Map.of());
        assertTrue(context.registered.isEmpty());
        assertNull(component.source());
        component.deactivate(); // harmless without a service

        String message = errorFor(Map.of());
        assertEquals("org.migware.capture.file: 'path' is not set; set it to the pcap or pcapng file to replay.", message);
        InvalidConfigurationException unset = assertThrows(InvalidConfigurationException.class,
                () -> FileCaptureComponent.validate(config(Map.of())));
        assertTrue(unset.notSet(), "no path is the shipped 'off' state: logged as information, not as an error");
        InvalidConfigurationException wrong = assertThrows(InvalidConfigurationException.class,
                () -> FileCaptureComponent.validate(config(Map.of("path", dir.resolve("nope.pcap").toString()))));
        assertFalse(wrong.notSet());
    }

    @Test
    void eachWrongSettingNamesItsKey() throws Exception {
        Path good = writeFile();
        assertTrue(errorFor(Map.of("path", dir.resolve("nope.pcap").toString())).contains("'path' names "));
        assertTrue(errorFor(Map.of("path", dir.resolve("nope.pcap").toString())).endsWith("which does not exist."));
        assertTrue(errorFor(Map.of("path", dir.toString())).endsWith("which is not a regular file."));
        assertTrue(errorFor(Map.of("path", "  ")).contains("'path' is not set"));
        assertTrue(errorFor(Map.of("path", good.toString(), "replaySpeed", -1.0)).contains("'replaySpeed' is -1.0"));
        assertTrue(errorFor(Map.of("path", good.toString(), "replaySpeed", Double.NaN)).contains("'replaySpeed' is NaN"));
        assertTrue(errorFor(Map.of("path", good.toString(), "replaySpeed", new IllegalArgumentException("fast")))
                .contains("'replaySpeed' should be a number but cannot be read as one (fast)."));

        Path sll = Files.write(dir.resolve("sll.pcap"),
                TestFiles.classicHeader(ByteOrder.LITTLE_ENDIAN, 0xA1B2C3D4, 65535, 113).toArray());
        String foreign = errorFor(Map.of("path", sll.toString()));
        assertTrue(foreign.startsWith("org.migware.capture.file: 'path' names a file MigWare cannot read:"), foreign);
        assertTrue(foreign.contains("link type 113"), foreign);
    }

    @Test
    void aGoodConfigurationRegistersTheSourceAndDeactivateRemovesIt() throws Exception {
        Path file = writeFile();
        FakeContext context = new FakeContext();
        Map<String, Object> properties = new HashMap<>(Map.of("path", file.toString(), "replaySpeed", 0.0,
                ".secret", "x", "component.name", FileCaptureComponent.class.getName()));
        FileCaptureComponent component = new FileCaptureComponent(context.proxy(),
                config(Map.of("path", file.toString())), properties);
        assertEquals(1, context.registered.size());
        PacketSource source = (PacketSource) context.registered.get(0);
        assertEquals("file:" + file, source.name());
        Dictionary<String, ?> serviceProperties = context.properties.get(0);
        assertEquals(file.toString(), serviceProperties.get("path"));
        assertEquals("file:" + file, serviceProperties.get("migware.source.name"));
        assertNull(serviceProperties.get(".secret"), "private properties stay private");

        FilePacketSourceTest.Recorder recorder = new FilePacketSourceTest.Recorder();
        assertTrue(((FilePacketSource.Replay) source.subscribe(recorder)).awaitEnd(Duration.ofSeconds(20)));
        assertEquals(2, recorder.frames.size());

        component.deactivate();
        assertEquals(1, context.unregistered);
        assertFalse(source.statistics().running());
    }

    @Test
    void tellsAConfigurationFromNoneAtAll() {
        assertFalse(FileCaptureComponent.isConfigured(Map.of()));
        assertTrue(FileCaptureComponent.isConfigured(Map.of("service.pid", FileCaptureComponent.PID)));
        assertTrue(FileCaptureComponent.isConfigured(Map.of("service.pid", List.of(FileCaptureComponent.PID))));
        assertFalse(FileCaptureComponent.isConfigured(Map.of("service.pid", new String[] {"other"})));
    }

    private String errorFor(Map<String, Object> settings) {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> FileCaptureComponent.validate(config(settings)));
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().startsWith(FileCaptureComponent.PID + ": "), e.getMessage());
        assertEquals(0, e.getStackTrace().length, "logged as one line: no stack trace is even recorded");
        return e.getMessage();
    }

    private Path writeFile() throws Exception {
        Path file = dir.resolve("good.pcap");
        try (PcapFileWriter writer = new PcapFileWriter(file)) {
            writer.write(TestFiles.frame(0, 60), 0, 60, 1_000_000_000L);
            writer.write(TestFiles.frame(1, 60), 0, 60, 2_000_000_000L);
        }
        return file;
    }

    private static FileCaptureComponent.Config config(Map<String, Object> values) {
        return Configs.of(FileCaptureComponent.Config.class, values);
    }

    /** Just enough of a BundleContext to see what the component registers. */
    static final class FakeContext {
        final List<Object> registered = new ArrayList<>();
        final List<Dictionary<String, ?>> properties = new ArrayList<>();
        int unregistered;

        @SuppressWarnings("unchecked")
        BundleContext proxy() {
            return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("registerService")) {
                            registered.add(args[1]);
                            properties.add((Dictionary<String, ?>) args[2]);
                            return Proxy.newProxyInstance(getClass().getClassLoader(),
                                    new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> {
                                        if (m.getName().equals("unregister")) {
                                            unregistered++;
                                        }
                                        return null;
                                    });
                        }
                        throw new UnsupportedOperationException(method.getName());
                    });
        }
    }
}
