package org.migware.proxy.internal.wire;

/**
 * Opens a TUN device in a separate JVM and prints the outcome: the test of the missing-privilege
 * message runs it with CAP_NET_ADMIN taken away, which cannot be done to the test's own JVM.
 */
public final class TunOpenProbe {

    private TunOpenProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (TunDevice device = TunDevice.open(args[0], ShadowNetwork.parse(ShadowNetwork.DEFAULT))) {
            System.out.println("opened " + device);
        } catch (TunUnavailableException e) {
            System.out.println(e.getMessage());
        }
    }
}
