package io.datanadhi.bench.apps;

import java.lang.management.ManagementFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * An application that runs one task per virtual thread (or on a pool of platform threads), as a
 * server with {@code spring.threads.virtual.enabled} does per request: each task logs one INFO on
 * {@code vt.other} and every 100th one INFO on {@code vt.shipped} ({@code shipped seq=N}).
 *
 * <pre>ManyThreadsJul TASKS virtual|platform-N [START_DELAY_MS]</pre>
 *
 * Waits START_DELAY_MS first (0: logs from its first line). JUL's handlers are removed, as in
 * {@link SteadyJul}. Prints {@code tasks N in S s, heap used after GC B} at the end, the heap read
 * after two collections. Virtual threads need Java 21; they are created by reflection, so the
 * class runs on Java 11 too with {@code platform-N}.
 */
public final class ManyThreadsJul {

    private static final Logger OTHER = Logger.getLogger("vt.other");
    private static final Logger SHIPPED = Logger.getLogger("vt.shipped");

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        int tasks = Integer.parseInt(args[0]);
        String mode = args[1];
        long delay = args.length > 2 ? Long.parseLong(args[2]) : 0;
        LogManager.getLogManager().reset();
        if (delay > 0) {
            TimeUnit.MILLISECONDS.sleep(delay);
        }
        long tasksStart = System.nanoTime();
        ExecutorService executor = mode.equals("virtual")
                ? (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null)
                : Executors.newFixedThreadPool(Integer.parseInt(mode.substring("platform-".length())));
        for (int i = 0; i < tasks; i++) {
            int task = i;
            executor.execute(() -> {
                OTHER.info("task done");
                if (task % 100 == 0) {
                    SHIPPED.info("shipped seq=" + task / 100);
                }
            });
        }
        executor.shutdown();
        if (!executor.awaitTermination(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("tasks did not finish");
        }
        long end = System.nanoTime();
        System.gc();
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.printf("tasks %d in %.3f s (%.3f s from main), heap used after GC %d%n", tasks,
                (end - tasksStart) / 1e9, (end - start) / 1e9, heap);
    }
}
