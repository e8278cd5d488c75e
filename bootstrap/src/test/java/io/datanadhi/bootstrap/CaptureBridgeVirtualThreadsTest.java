package io.datanadhi.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exactly-once protocol on virtual threads, which borrow a state for the length of a hooked
 * call instead of keeping one in a thread-local: a nested hook finds the state its thread entered
 * with, also after the thread unmounted inside the call and resumed on another carrier, and with
 * more threads inside a hook at once than there are states to lend (the rest keep their own).
 * Runs on the second JDK (Java 21 or later; the build's first JDK has no virtual threads).
 */
class CaptureBridgeVirtualThreadsTest {

    /** More threads inside a hook at once than the bridge lends states (256). */
    private static final int THREADS = 2_000;

    private final Map<Object, AtomicInteger> captured = new ConcurrentHashMap<>();
    private final List<String> frameworks = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Object logger = new Object();

    @BeforeEach
    void installSink() {
        CaptureBridge.install((scratch, framework, event, logger) -> {
            assertNull(scratch.event, "the scratch event arrives empty");
            captured.computeIfAbsent(event, e -> new AtomicInteger()).incrementAndGet();
            if (!framework.equals("logback")) {
                frameworks.add(framework + ":" + event);
            }
        });
    }

    @AfterEach
    void uninstallSink() {
        CaptureBridge.install(null);
    }

    /**
     * JUL's hook, around jul-to-slf4j and Logback's hook: the JUL record is not captured, the
     * Logback event once, on every thread, though each sleeps (unmounts) between the two hooks.
     */
    @Test
    void nestedHooksFindTheirThreadsStateAfterItUnmountedWithMoreThreadsInsideThanStatesToLend() throws Exception {
        List<Future<?>> tasks = new ArrayList<>();
        try (AutoCloseable executor = virtualThreads()) {
            ExecutorService threads = (ExecutorService) executor;
            for (int i = 0; i < THREADS; i++) {
                String event = "logback-" + i;
                String record = "jul-" + i;
                tasks.add(threads.submit(() -> {
                    Object outer = CaptureBridge.enterOuter();
                    try {
                        sleep(20); // every thread inside the JUL hook at once, then resumed anywhere
                        CaptureBridge.markForwarded();
                        Object inner = CaptureBridge.enter("logback", event, logger);
                        try {
                            sleep(1);
                            // An appender that logs on its own: not captured again.
                            CaptureBridge.enterOuter();
                            CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "appender-" + event, logger);
                        } finally {
                            CaptureBridge.exit(inner);
                        }
                    } finally {
                        CaptureBridge.exitOuter(outer, "jul", record, logger);
                    }
                    return null;
                }));
            }
            for (Future<?> task : tasks) {
                task.get(60, TimeUnit.SECONDS);
            }
        }
        assertTrue(frameworks.isEmpty(), () -> frameworks.size() + " events captured besides Logback's, the first: "
                + frameworks.subList(0, Math.min(5, frameworks.size())));
        assertEquals(THREADS, captured.size());
        captured.forEach((event, count) -> assertEquals(1, count.get(), event + " captured once"));
    }

    /** A state goes back when its thread leaves the outermost hook, and the next thread starts clean. */
    @Test
    void aThreadOutsideAnyHookHasNoStateAndEachEventIsItsOwn() throws Exception {
        try (AutoCloseable executor = virtualThreads()) {
            ExecutorService threads = (ExecutorService) executor;
            List<Future<?>> tasks = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                String name = "event-" + i;
                tasks.add(threads.submit(() -> {
                    assertNull(CaptureBridge.state(), "no state outside a hook");
                    CaptureBridge.markForwarded(); // outside any hook: ignored
                    for (int e = 0; e < 3; e++) {
                        CaptureBridge.enterOuter();
                        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", name + "-" + e, logger);
                    }
                    Object state = CaptureBridge.enter("logback", name, logger);
                    CaptureBridge.exit(state);
                    assertNull(CaptureBridge.state(), "given back");
                    return null;
                }));
            }
            for (Future<?> task : tasks) {
                task.get(60, TimeUnit.SECONDS);
            }
        }
        assertEquals(THREADS * 3, frameworks.size(), "every JUL record captured at its exit");
        assertEquals(THREADS * 4, captured.size());
        captured.forEach((event, count) -> assertEquals(1, count.get(), event + " captured once"));
        assertEquals(0, CaptureBridge.statesInUse(), "every lent state given back");
    }

    /**
     * The thread that calls {@code System.exit} runs the agent's shutdown, which marks it as the
     * agent's own; it may be a virtual thread. Marked, it captures nothing; other threads still do.
     */
    @Test
    void aVirtualThreadMarkedAsTheAgentsCapturesNothing() throws Exception {
        try (AutoCloseable executor = virtualThreads()) {
            ExecutorService threads = (ExecutorService) executor;
            threads.submit(() -> {
                CaptureBridge.markAgentThread();
                CaptureBridge.enter("logback", "agent-logback", logger);
                CaptureBridge.exit(CaptureBridge.state());
                CaptureBridge.enterOuter();
                CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "agent-jul", logger);
                return null;
            }).get(60, TimeUnit.SECONDS);
            threads.submit(() -> {
                CaptureBridge.enter("logback", "application", logger);
                CaptureBridge.exit(CaptureBridge.state());
                return null;
            }).get(60, TimeUnit.SECONDS);
        }
        assertEquals(java.util.Set.of("application"), captured.keySet());
    }

    /** An exit with a state the thread does not hold (none is known) leaves it to its holder. */
    @Test
    void anExitWithAnotherThreadsStateChangesNothing() throws Exception {
        try (AutoCloseable executor = virtualThreads()) {
            ExecutorService threads = (ExecutorService) executor;
            java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch strayDone = new java.util.concurrent.CountDownLatch(1);
            Future<?> holder = threads.submit(() -> {
                Object outer = CaptureBridge.enterOuter();
                inside.countDown();
                strayDone.await(60, TimeUnit.SECONDS);
                CaptureBridge.exitOuter(outer, "jul", "holder", logger);
                return null;
            });
            assertTrue(inside.await(60, TimeUnit.SECONDS));
            threads.submit(() -> {
                Object held = CaptureBridge.aLentStateInUse();
                org.junit.jupiter.api.Assertions.assertNotNull(held, "the holder's state");
                CaptureBridge.exitOuter(held, "jul", "stray", logger);
                CaptureBridge.exit(held);
                strayDone.countDown();
                return null;
            }).get(60, TimeUnit.SECONDS);
            holder.get(60, TimeUnit.SECONDS);
        }
        assertEquals(java.util.Set.of("holder"), captured.keySet(), "captured by its holder at depth 1, the stray exits ignored");
    }

    private static AutoCloseable virtualThreads() throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need Java 21: " + Runtime.version());
        return (AutoCloseable) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
