package org.migware.api.wire;

/** IP protocol numbers and IPv6 next-header values (IANA "Assigned Internet Protocol Numbers"). */
public final class IpProtocol {

    public static final int HOP_BY_HOP = 0;
    public static final int ICMP = 1;
    public static final int TCP = 6;
    public static final int ROUTING = 43;
    public static final int FRAGMENT = 44;
    public static final int ESP = 50;
    public static final int AUTHENTICATION = 51;
    public static final int ICMPV6 = 58;
    public static final int NO_NEXT_HEADER = 59;
    public static final int DESTINATION_OPTIONS = 60;
    public static final int MOBILITY = 135;
    public static final int HIP = 139;
    public static final int SHIM6 = 140;
    public static final int EXPERIMENT_1 = 253;
    public static final int EXPERIMENT_2 = 254;

    private IpProtocol() {
    }
}
