package org.migware.capture.ring.internal;

import java.util.Optional;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import org.migware.capture.shared.internal.LinuxHost;
import org.migware.libc.internal.PacketSocketLayout;

/**
 * Compiles a tcpdump expression to classic BPF with libpcap's own compiler ({@code pcap_compile}
 * on a "dead" Ethernet handle, which opens no interface and needs no privilege), bound directly
 * with JNA, so that the ring's kernel filter is exactly the one capture-pcap4j gives libpcap.
 * libpcap's {@code struct bpf_insn} has the kernel's {@code struct sock_filter} layout, so the
 * program goes to {@code SO_ATTACH_FILTER} as it is.
 *
 * <p>libpcap's compiler is not thread-safe in every version; calls are serialised.
 */
final class PcapCompiler {

    /** DLT_EN10MB. */
    private static final int LINKTYPE_ETHERNET = 1;
    private static final int OPTIMIZE = 1;
    /** PCAP_NETMASK_UNKNOWN */
    private static final int NETMASK_UNKNOWN = 0xffffffff;
    private static final Object LOCK = new Object();

    /** The real host, with libpcap's compiler. */
    static final LinuxHost HOST = new LinuxHost(PcapCompiler::filterError);

    /** libpcap as shipped (Debian's libpcap0.8 has only the versioned name, which JNA finds). */
    private static final class Libpcap {
        static {
            Native.register(Libpcap.class, "pcap");
        }

        static native Pointer pcap_open_dead(int linktype, int snaplen);

        static native int pcap_compile(Pointer pcap, Pointer program, String expression, int optimize, int netmask);

        static native String pcap_geterr(Pointer pcap);

        static native void pcap_freecode(Pointer program);

        static native void pcap_close(Pointer pcap);
    }

    /** A compiled program: instructions in native memory, as {@code struct sock_fprog} wants them. */
    static final class Program implements AutoCloseable {
        private final Memory fprog = new Memory(PacketSocketLayout.FPROG_SIZE);
        private final Memory instructions;
        private final int length;

        private Program(Pointer bpfProgram) {
            length = bpfProgram.getInt(0);
            instructions = new Memory(Math.max(8L, 8L * length)); // struct sock_filter is 8 bytes
            Pointer source = bpfProgram.getPointer(PacketSocketLayout.FPROG_FILTER);
            instructions.write(0, source.getByteArray(0, 8 * length), 0, 8 * length);
            fprog.clear();
            fprog.setShort(PacketSocketLayout.FPROG_LEN, (short) length);
            fprog.setPointer(PacketSocketLayout.FPROG_FILTER, instructions);
        }

        /** @return a {@code struct sock_fprog} for SO_ATTACH_FILTER */
        Pointer fprog() {
            return fprog;
        }

        /** @return the number of instructions */
        int length() {
            return length;
        }

        @Override
        public void close() {
            fprog.close();
            instructions.close();
        }
    }

    private PcapCompiler() {
    }

    /**
     * @param expression a tcpdump expression
     * @param snapshotLength what the program's accepting instructions return: the kernel cuts a
     *     frame to it, as libpcap's live capture does
     * @return the program
     * @throws IllegalArgumentException with libpcap's complaint ("syntax error" and where)
     */
    static Program compile(String expression, int snapshotLength) {
        synchronized (LOCK) {
            Pointer dead = Libpcap.pcap_open_dead(LINKTYPE_ETHERNET, snapshotLength);
            if (dead == null) {
                throw new IllegalArgumentException("libpcap cannot compile filters here (pcap_open_dead failed)");
            }
            try (Memory bpfProgram = new Memory(PacketSocketLayout.FPROG_SIZE)) {
                bpfProgram.clear();
                if (Libpcap.pcap_compile(dead, bpfProgram, expression, OPTIMIZE, NETMASK_UNKNOWN) != 0) {
                    throw new IllegalArgumentException(Libpcap.pcap_geterr(dead));
                }
                try {
                    return new Program(bpfProgram);
                } finally {
                    Libpcap.pcap_freecode(bpfProgram);
                }
            } finally {
                Libpcap.pcap_close(dead);
            }
        }
    }

    /** {@link LinuxHost.FilterCompiler} for validation: libpcap's complaint, or empty. */
    static Optional<String> filterError(String expression, int snapshotLength) {
        try (Program program = compile(expression, snapshotLength)) {
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        } catch (LinkageError e) {
            return Optional.of("cannot load libpcap through JNA (is the libpcap0.8 package installed?): " + e);
        }
    }
}
