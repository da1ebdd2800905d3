package org.migware.service.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ProtectedService;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.packet.AddressWords;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.slf4j.Logger;
import org.slf4j.helpers.MessageFormatter;

/** The owner of org.migware.service as DS drives it, with a fake bundle context and a recording log. */
class ProtectedServiceComponentTest {

    /** What the component registered, the properties it set last, and whether it is still registered. */
    private final List<Object> registered = new ArrayList<>();
    private final List<Dictionary<String, ?>> propertyChanges = new ArrayList<>();
    private int unregistered;
    private final List<String> errors = new ArrayList<>();
    private final List<String> infos = new ArrayList<>();

    @Test
    void aValidConfigurationRegistersTheEndpoints() throws Exception {
        ProtectedServiceComponent component = start(config(new String[] {"10.77.0.2", "2001:db8::2"}, new int[] {7000, 7001}));
        assertEquals(List.of(component), registered);
        ProtectedService service = (ProtectedService) registered.get(0);
        ServiceEndpoints endpoints = service.endpoints();
        assertTrue(endpoints.isService(0, AddressWords.low(InetAddress.getByName("10.77.0.2").getAddress()), 7001));
        assertEquals(List.of(InetAddress.getByName("10.77.0.2"), InetAddress.getByName("2001:db8::2")), endpoints.addresses());
        Dictionary<String, ?> properties = propertyChanges.get(0);
        assertArrayEquals(new String[] {"10.77.0.2", "2001:db8:0:0:0:0:0:2"}, (String[]) properties.get(ProtectedService.ADDRESSES));
        assertArrayEquals(new int[] {7000, 7001}, (int[]) properties.get(ProtectedService.PORTS));
        assertEquals(List.of(), errors);
        component.deactivate();
        assertEquals(1, unregistered);
    }

    @Test
    void oneStringWithCommasAndRepeatsIsRead() {
        ProtectedServiceComponent component = start(config(new String[] {"10.77.0.2, 10.77.0.3", "10.77.0.2"}, new int[] {7000, 7000}));
        assertEquals("10.77.0.2,10.77.0.3 ports [7000]", component.endpoints().toString());
    }

    @Test
    void notConfiguredYetIsNoErrorAndRegistersNothing() {
        start(config(new String[0], new int[0]));
        assertEquals(List.of(), registered);
        assertEquals(List.of(), errors);
        assertEquals(List.of("org.migware.service: waiting for 'addresses' and 'ports'; nothing is tracked or captured until then"),
                infos);
    }

    @Test
    void eachWrongKeyIsOneLogLineNamingItAndNoService() {
        assertEquals("org.migware.service: 'addresses' is not set; give the service's IP addresses, e.g. 10.77.0.2."
                + " Nothing is tracked or captured until it is fixed.", refused(config(new String[0], new int[] {7000})));
        assertEquals("org.migware.service: 'ports' is not set; give the service's TCP ports, e.g. 7000."
                + " Nothing is tracked or captured until it is fixed.", refused(config(new String[] {"10.77.0.2"}, new int[0])));
        assertTrue(refused(config(new String[] {"primary.example"}, new int[] {7000}))
                .startsWith("org.migware.service: 'addresses' value 'primary.example' is not an IP address literal (host names are not resolved)"));
        assertTrue(refused(config(new String[] {"999.1.1.1"}, new int[] {7000}))
                .startsWith("org.migware.service: 'addresses' value '999.1.1.1' is not an IP address"));
        assertTrue(refused(config(new String[] {"10.77.0.2"}, new int[] {70000}))
                .startsWith("org.migware.service: 'ports' value 70000 is not a TCP port (1-65535)"));
    }

    @Test
    void portsOfTheWrongTypeAreOneLine() {
        ProtectedServiceComponent.Config config = of(Map.of("addresses", new String[] {"10.77.0.2"},
                "ports", new NumberFormatException("For input string: \"http\"")));
        ServiceSettings.InvalidServiceConfiguration e = assertThrows(ServiceSettings.InvalidServiceConfiguration.class,
                () -> ServiceSettings.validate(config));
        assertEquals("'ports' should be a list of integers but cannot be read as one (For input string: \"http\").", e.getMessage());
        assertEquals(0, e.getStackTrace().length, "logged as one line: no stack trace is even recorded");
        assertTrue(refused(config).startsWith("org.migware.service: 'ports' should be a list of integers"));
    }

    @Test
    void aChangeKeepsTheRegistrationAndUpdatesValueAndProperties() {
        ProtectedServiceComponent component = start(config(new String[] {"10.77.0.2"}, new int[] {7000}));
        ProtectedService seen = (ProtectedService) registered.get(0);
        component.modified(config(new String[] {"10.77.0.9"}, new int[] {8000}));
        assertEquals(1, registered.size(), "one registration for the component's lifetime");
        assertEquals(0, unregistered);
        assertEquals(2, propertyChanges.size(), "consumers hear of the change through the properties");
        assertEquals("10.77.0.9:8000", seen.endpoints().toString(), "and read the new value from the same service");
        assertArrayEquals(new int[] {8000}, (int[]) propertyChanges.get(1).get(ProtectedService.PORTS));
    }

    @Test
    void aChangeToAWrongValueWithdrawsTheServiceAndAFixBringsItBack() {
        ProtectedServiceComponent component = start(config(new String[] {"10.77.0.2"}, new int[] {7000}));
        component.modified(config(new String[] {"10.77.0.2"}, new int[] {0}));
        assertEquals(1, unregistered);
        assertEquals(1, errors.size());
        component.modified(config(new String[] {"10.77.0.2"}, new int[] {7000}));
        assertEquals(2, registered.size());
        assertSame(component, registered.get(1));
        component.deactivate();
        assertEquals(2, unregistered);
    }

    private String refused(ProtectedServiceComponent.Config config) {
        int before = errors.size();
        ProtectedServiceComponent component = start(config);
        assertEquals(List.of(), registered, "no service for a wrong configuration");
        assertEquals(before + 1, errors.size(), "one line");
        assertNull(component.endpoints());
        component.deactivate();
        return errors.get(errors.size() - 1);
    }

    private ProtectedServiceComponent start(ProtectedServiceComponent.Config config) {
        return new ProtectedServiceComponent(context(), config, logger());
    }

    static ProtectedServiceComponent.Config config(String[] addresses, int[] ports) {
        return of(Map.of("addresses", addresses, "ports", ports));
    }

    /** A typed config as DS makes it; a RuntimeException value is thrown, as DS does for a value it cannot convert. */
    static ProtectedServiceComponent.Config of(Map<String, Object> values) {
        Class<ProtectedServiceComponent.Config> type = ProtectedServiceComponent.Config.class;
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "annotationType":
                    return type;
                case "toString":
                    return values.toString();
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                default:
                    Object value = values.containsKey(method.getName()) ? values.get(method.getName()) : method.getDefaultValue();
                    if (value instanceof RuntimeException e) {
                        throw e;
                    }
                    return value;
            }
        }));
    }

    @SuppressWarnings("unchecked")
    private BundleContext context() {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> {
                    if (!method.getName().equals("registerService") || !(args[0] instanceof Class<?>)) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    registered.add(args[1]);
                    propertyChanges.add((Dictionary<String, ?>) args[2]);
                    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ServiceRegistration.class},
                            (registration, m, a) -> {
                                switch (m.getName()) {
                                    case "unregister" -> unregistered++;
                                    case "setProperties" -> propertyChanges.add((Dictionary<String, ?>) a[0]);
                                    default -> throw new UnsupportedOperationException(m.getName());
                                }
                                return null;
                            });
                });
    }

    /** Records info and error lines as they would be printed. */
    private Logger logger() {
        return (Logger) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Logger.class}, (proxy, method, args) -> {
            if ((method.getName().equals("info") || method.getName().equals("error")) && args.length > 0 && args[0] instanceof String format) {
                Object[] rest = new Object[args.length - 1];
                System.arraycopy(args, 1, rest, 0, rest.length);
                if (rest.length == 1 && rest[0] instanceof Object[] varargs) {
                    rest = varargs;
                }
                String line = MessageFormatter.arrayFormat(format, rest).getMessage();
                (method.getName().equals("info") ? infos : errors).add(line);
                return null;
            }
            if (method.getReturnType() == boolean.class) {
                return true;
            }
            return null;
        });
    }
}
