package io.datanadhi.it.apps.support;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/** The tasks of the apps' virtual-thread scenarios. */
public final class VirtualTasks {

    private VirtualTasks() {}

    /**
     * Runs {@code task} for 0 to {@code count - 1}, one virtual thread each (Java 21+), named
     * "task-N"; returns once all ended (at most 5 min).
     */
    public static void run(int count, IntConsumer task) throws Exception {
        // Through reflection: the apps are Java 11 bytecode.
        ExecutorService executor = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        for (int i = 0; i < count; i++) {
            int n = i;
            executor.execute(() -> {
                Thread.currentThread().setName("task-" + n);
                task.accept(n);
            });
        }
        executor.shutdown();
        if (!executor.awaitTermination(5, TimeUnit.MINUTES)) {
            throw new IllegalStateException("the virtual threads did not finish");
        }
    }
}
