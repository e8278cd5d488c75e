package io.datanadhi.it.apps;

import io.datanadhi.it.apps.hostile.HostileInput;
import io.datanadhi.it.apps.support.AgentMBeanLines;
import io.datanadhi.it.apps.support.AppenderTally;
import io.datanadhi.it.apps.support.VirtualTasks;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A plain java.util.logging application. Prints its own progress on stdout ("app: ...") so that
 * tests can check the agent leaves the application's output unchanged.
 */
public final class JulApp {

    private static final Logger ORDERS = Logger.getLogger("com.acme.OrderService");

    public static void main(String[] args) throws Exception {
        String scenario = args.length > 0 ? args[0] : "basic";
        System.out.println("app: start " + scenario);
        switch (scenario) {
            case "basic":
                basic();
                break;
            case "sequence":
                sequence(Integer.parseInt(args[1]), Long.parseLong(args[2]));
                break;
            case "rate":
                rate(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
                break;
            case "hostile":
                hostile();
                break;
            case "virtual":
                virtual(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
                break;
            case "burst":
                burst(Integer.parseInt(args[1]), args[2], args.length > 4 ? Integer.parseInt(args[4]) : 100);
                if (args.length > 3) {
                    awaitFile(java.nio.file.Paths.get(args[3]));
                }
                break;
            case "live":
                live(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]),
                        java.nio.file.Paths.get(args[4]));
                break;
            default:
                throw new IllegalArgumentException(scenario);
        }
        System.out.println("app: done");
    }

    private static void basic() {
        placeOrder();
        ORDERS.fine("fine detail, below the logger's level");
        System.out.println("app: line warning=" + (lineHere() + 1));
        ORDERS.log(Level.WARNING, "stock low for {0}: {1} left", new Object[] {"sku-1", 3});
        System.out.println("app: line severe=" + (lineHere() + 1));
        ORDERS.log(Level.SEVERE, "payment failed", new IllegalStateException("card declined", new IOException("gateway timeout")));
        ORDERS.info("unrelated chatter");
        Logger.getLogger("com.acme.Settings").config("config detail, below INFO");
    }

    private static void placeOrder() {
        System.out.println("app: line placeOrder=" + (lineHere() + 1));
        ORDERS.info("order placed id=42");
    }

    /** Logs {@code count} numbered events, {@code intervalMillis} apart. */
    private static void sequence(int count, long intervalMillis) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            ORDERS.info("sequence event seq=" + i);
            if (intervalMillis > 0) {
                Thread.sleep(intervalMillis);
            }
        }
    }

    /**
     * Logs {@code count} numbered events at a steady {@code perSecond}: event N is due N/perSecond
     * seconds after the first, so a late one is caught up rather than shifting the rest. Prints
     * {@code app: logged <count> in <ms> ms, first call <ms> ms, slowest after it <ms> ms (seq=<n>)}:
     * the time the logging took, what the first call cost (it loads classes), and the longest any
     * later call kept the application waiting.
     */
    private static void rate(int count, int perSecond) {
        long start = System.nanoTime();
        long first = 0;
        long slowest = 0;
        int slowestSeq = 0;
        for (int i = 0; i < count; i++) {
            long due = start + i * 1_000_000_000L / perSecond;
            for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            long before = System.nanoTime();
            ORDERS.info("sequence event seq=" + i);
            long took = System.nanoTime() - before;
            if (i == 0) {
                first = took;
            } else if (took > slowest) {
                slowest = took;
                slowestSeq = i;
            }
        }
        System.out.println("app: logged " + count + " in " + (System.nanoTime() - start) / 1_000_000 + " ms, first call "
                + first / 1_000_000 + " ms, slowest after it " + slowest / 1_000_000 + " ms (seq=" + slowestSeq + ")");
    }

    /**
     * Logs until {@code stopFile} exists, for tests that change the rules meanwhile: {@code threads}
     * threads, each logging "live t=T n=N" on com.acme.LiveShipped every {@code shipEvery}th event
     * (N counts them per thread, from 0) and "live chatter" on com.acme.Live otherwise, pausing
     * {@code pauseMicros} after each event (0: none, full speed). The console handler is removed.
     * Prints {@code app: live T logged N} per thread at the end: how many shipped ones it logged.
     */
    private static void live(int threads, int shipEvery, long pauseMicros, java.nio.file.Path stopFile)
            throws InterruptedException {
        for (java.util.logging.Handler handler : Logger.getLogger("").getHandlers()) {
            Logger.getLogger("").removeHandler(handler);
        }
        Logger chatter = Logger.getLogger("com.acme.Live");
        Logger shipped = Logger.getLogger("com.acme.LiveShipped");
        int[] logged = new int[threads];
        Thread[] running = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int thread = t;
            running[t] = new Thread(() -> {
                int n = 0;
                for (long i = 1; ; i++) {
                    if (i % shipEvery == 0) {
                        shipped.info("live t=" + thread + " n=" + n++);
                    } else {
                        chatter.info("live chatter");
                    }
                    if (pauseMicros > 0) {
                        LockSupport.parkNanos(pauseMicros * 1000);
                    }
                    if ((pauseMicros > 0 || i % 1000 == 0) && java.nio.file.Files.exists(stopFile)) {
                        break;
                    }
                }
                logged[thread] = n;
            }, "live-" + t);
            running[t].start();
        }
        for (Thread thread : running) {
            thread.join();
        }
        for (int t = 0; t < threads; t++) {
            System.out.println("app: live " + t + " logged " + logged[t]);
        }
    }

    /** Stays until {@code stopFile} exists (at most 2 minutes): the agent delivers meanwhile. */
    private static void awaitFile(java.nio.file.Path stopFile) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
        while (!java.nio.file.Files.exists(stopFile) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    /**
     * {@code count} events logged as fast as the machine allows from the start of {@code main},
     * while the agent is still starting: on 4 platform threads ({@code platform-4}, a quarter of
     * the events each) or on a virtual thread each ({@code virtual}, Java 21+). Event i is "burst
     * chatter" on com.acme.Burst, and every {@code shipEvery}th one "burst shipped seq=i/shipEvery"
     * on com.acme.BurstShipped. The console handler is removed first (half a million lines on stderr
     * would be the test's cost, not the agent's).
     */
    private static void burst(int count, String mode, int shipEvery) throws Exception {
        for (java.util.logging.Handler handler : Logger.getLogger("").getHandlers()) {
            Logger.getLogger("").removeHandler(handler);
        }
        Logger chatter = Logger.getLogger("com.acme.Burst");
        Logger shipped = Logger.getLogger("com.acme.BurstShipped");
        java.util.function.IntConsumer event = i -> {
            if (i % shipEvery == 0) {
                shipped.info("burst shipped seq=" + i / shipEvery);
            } else {
                chatter.info("burst chatter");
            }
        };
        java.util.concurrent.ExecutorService executor;
        if (mode.equals("virtual")) {
            executor = (java.util.concurrent.ExecutorService)
                    java.util.concurrent.Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
            for (int i = 0; i < count; i++) {
                int n = i;
                executor.execute(() -> event.accept(n));
            }
        } else {
            int threads = 4;
            executor = java.util.concurrent.Executors.newFixedThreadPool(threads);
            for (int t = 0; t < threads; t++) {
                int first = t;
                executor.execute(() -> {
                    for (int i = first; i < count; i += threads) {
                        event.accept(i);
                    }
                });
            }
        }
        executor.shutdown();
        if (!executor.awaitTermination(5, java.util.concurrent.TimeUnit.MINUTES)) {
            throw new IllegalStateException("the burst did not finish");
        }
        System.out.println("app: burst logged " + count);
    }

    /**
     * One virtual thread per task (Java 21+), {@code threads} of them: every {@code shipEvery}-th
     * logs "vt shipped seq=N", the others "vt chatter", each with its task number as the record's
     * parameter (the messages have no placeholder). JUL has no MDC: each task keeps its number in a
     * thread local of the application's own. The root's handlers are replaced by one that sleeps
     * 1 ms in every publish, so that the threads unmount inside the logging call (the agent
     * captures a JUL event on its way out), and tallies what it received ("app: appender ...", see
     * {@link AppenderTally#tally()}); each task checks its thread local after logging ("app:
     * context after logging wrong=N"). Prints the MBean's attributes before and after ("app: jmx
     * before/after ..."). Each thread is named "task-N".
     */
    private static void virtual(int threads, int shipEvery) throws Exception {
        Logger root = Logger.getLogger("");
        for (java.util.logging.Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        AppenderTally received = new AppenderTally(threads, 1);
        root.addHandler(new BlockingHandler(received));
        java.util.concurrent.atomic.AtomicInteger contextLost = new java.util.concurrent.atomic.AtomicInteger();
        AgentMBeanLines mbean = AgentMBeanLines.await();
        System.out.println("app: jmx before " + mbean.settled());
        VirtualTasks.run(threads, task -> {
            TASK.set(task);
            ORDERS.log(Level.INFO, task % shipEvery == 0 ? "vt shipped seq=" + task / shipEvery : "vt chatter",
                    Integer.valueOf(task));
            if (!Integer.valueOf(task).equals(TASK.get())) {
                contextLost.incrementAndGet();
            }
            TASK.remove();
        });
        System.out.println("app: appender " + received.tally());
        System.out.println("app: context after logging wrong=" + contextLost);
        System.out.println("app: jmx after " + mbean.settled());
    }

    /** The "virtual" scenario's task number, per thread. */
    private static final ThreadLocal<Integer> TASK = new ThreadLocal<>();

    /**
     * The application's own handler for the "virtual" scenario: sleeps in every publish and
     * tallies what it received (see {@link AppenderTally}), the task being the record's parameter
     * and the publishing thread's thread local.
     */
    private static final class BlockingHandler extends java.util.logging.Handler {
        private final AppenderTally received;

        BlockingHandler(AppenderTally received) {
            this.received = received;
        }

        @Override
        public void publish(java.util.logging.LogRecord record) {
            Object[] parameters = record.getParameters();
            Object task = parameters != null && parameters.length == 1 ? parameters[0] : null;
            received.append(task instanceof Integer ? task.toString() : null, () -> String.valueOf(TASK.get()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    /** Parameters and exceptions that misbehave, each followed by an ordinary event. JUL has no MDC. */
    private static void hostile() throws InterruptedException {
        Map<String, Runnable> cases = HostileInput.cases();
        cases.put("throwing-toString", () -> ORDERS.log(Level.INFO, "value {0}", HostileInput.throwingToString()));
        cases.put("recursive-toString", () -> ORDERS.log(Level.INFO, "value {0}", HostileInput.recursiveToString()));
        cases.put("null-message", () -> ORDERS.info((String) null));
        cases.put("huge-message", () -> ORDERS.info(HostileInput.text(10)));
        cases.put("throwing-getMessage", () -> ORDERS.log(Level.SEVERE, "getMessage throws", HostileInput.throwingGetMessage()));
        cases.put("cyclic-causes", () -> ORDERS.log(Level.SEVERE, "cyclic causes", HostileInput.cyclicCauses()));
        cases.put("own-cause", () -> ORDERS.log(Level.SEVERE, "own cause", HostileInput.ownCause()));
        cases.put("self-suppressed", () -> ORDERS.log(Level.SEVERE, "self suppressed", HostileInput.selfSuppressed()));
        HostileInput.run(cases, ORDERS::info);
    }

    private static int lineHere() {
        return new Throwable().getStackTrace()[1].getLineNumber();
    }

}
