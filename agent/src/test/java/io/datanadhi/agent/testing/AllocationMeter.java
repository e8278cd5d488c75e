package io.datanadhi.agent.testing;

import java.lang.management.ManagementFactory;
import java.util.function.Supplier;

/** The bytes a call allocates on this thread, counted by the JVM (no timing, no sampling). */
public final class AllocationMeter {

    private static volatile Object sink;

    private AllocationMeter() {}

    /** Bytes this thread allocated over {@code rounds} calls, after as many calls to warm up the JIT. */
    public static long bytesOf(int rounds, Supplier<?> call) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+
        long thread = Thread.currentThread().getId();
        for (int i = 0; i < rounds; i++) {
            sink = call.get();
        }
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < rounds; i++) {
            sink = call.get();
        }
        return threads.getThreadAllocatedBytes(thread) - before;
    }
}
