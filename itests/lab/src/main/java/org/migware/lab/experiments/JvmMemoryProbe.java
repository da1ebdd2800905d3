package org.migware.lab.experiments;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import com.sun.tools.attach.VirtualMachine;
import org.migware.lab.ExecResult;
import org.migware.lab.JavaCommand;
import org.migware.lab.LabException;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;

/**
 * The memory of another JVM as that JVM itself accounts for it, not as the program in it reports:
 * its {@code direct} buffer pool ({@link BufferPoolMXBean}: what {@code ByteBuffer.allocateDirect}
 * holds), its heap after a full collection (live objects only), and the kernel's resident set.
 *
 * <p>It attaches to the JVM (the attach API, a Unix socket under the target's {@code /tmp}) and
 * reads the platform MXBeans over the local JMX agent it starts there. That agent listens on the
 * target's loopback, so the probe runs in the target's network namespace: {@link #measure} starts
 * it there as a JVM of its own and reads the one line it prints.
 */
public final class JvmMemoryProbe {

    /**
     * One measurement.
     *
     * @param directBuffers direct buffers allocated
     * @param directBytes bytes they hold
     * @param heapBytes heap used after a full collection
     * @param rssBytes the process's resident set (VmRSS)
     */
    public record Memory(long directBuffers, long directBytes, long heapBytes, long rssBytes) {

        /** @return the line {@link #main} prints */
        String line() {
            return String.format(Locale.ROOT, "memory %d %d %d %d", directBuffers, directBytes, heapBytes, rssBytes);
        }

        static Memory parse(String output) {
            String line = output.lines().filter(l -> l.startsWith("memory ")).findFirst()
                    .orElseThrow(() -> new LabException("the memory probe printed no measurement: " + output));
            String[] f = line.split(" ");
            return new Memory(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]));
        }
    }

    private JvmMemoryProbe() {
    }

    /**
     * Measures the JVM {@code pid}, which runs in {@code role}'s namespace.
     *
     * @throws LabException when the probe fails
     */
    public static Memory measure(LabNetwork lab, Role role, long pid) {
        List<String> command = JavaCommand.of(JvmMemoryProbe.class, List.of("-Xshare:auto"), List.of(Long.toString(pid)));
        ExecResult result = lab.exec(role, java.time.Duration.ofSeconds(60), command.toArray(String[]::new));
        if (!result.ok()) {
            throw new LabException("the memory probe of pid " + pid + " failed: " + result.describeFailure());
        }
        return Memory.parse(result.stdout());
    }

    /**
     * Prints {@code memory <direct buffers> <direct bytes> <heap bytes after GC> <RSS bytes>}.
     *
     * @param args the JVM's pid
     */
    public static void main(String[] args) throws Exception {
        String pid = args[0];
        VirtualMachine vm = VirtualMachine.attach(pid);
        String address;
        try {
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            MemoryMXBean memory = ManagementFactory.newPlatformMXBeanProxy(server, ManagementFactory.MEMORY_MXBEAN_NAME,
                    MemoryMXBean.class);
            // Twice: the first collection may only queue cleaners and finalizable objects.
            memory.gc();
            memory.gc();
            BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(server, BufferPoolMXBean.class).stream()
                    .filter(pool -> pool.getName().equals("direct")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no direct buffer pool"));
            Memory m = new Memory(direct.getCount(), direct.getMemoryUsed(), memory.getHeapMemoryUsage().getUsed(), rss(pid));
            System.out.println(m.line());
        }
    }

    private static long rss(String pid) throws IOException {
        return Files.readAllLines(Path.of("/proc", pid, "status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .map(l -> Long.parseLong(l.replaceAll("\\D", "")) * 1024).findFirst().orElse(-1L);
    }
}
