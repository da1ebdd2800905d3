package org.migware.libc.internal;

/**
 * The errno values of Linux (asm-generic/errno-base.h and errno.h, the same on x86-64 and
 * aarch64) that MigWare's JNA bindings react to. One copy for every binding: each bundle that
 * binds libc carries this package privately (bnd {@code -conditionalpackage}).
 */
public final class Errno {

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int ENXIO = 6;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int EAFNOSUPPORT = 97;

    private Errno() {
    }
}
