package io.datanadhi.it.apps;

import io.datanadhi.it.apps.hostile.HostileInput;
import io.datanadhi.it.apps.support.AgentMBeanLines;
import io.datanadhi.it.apps.support.AppenderTally;
import io.datanadhi.it.apps.support.VirtualTasks;
import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** An SLF4J application on Logback. Prints its own progress on stdout ("app: ..."). */
public final class LogbackApp {

    private static final Logger ORDERS = LoggerFactory.getLogger("com.acme.OrderService");

    public static void main(String[] args) throws Exception {
        String scenario = args.length > 0 ? args[0] : "basic";
        System.out.println("app: start " + scenario);
        switch (scenario) {
            case "basic":
                basic();
                break;
            case "bridge":
                bridge(Integer.parseInt(args[1]));
                break;
            case "log4j-bridge":
                log4jBridge(Integer.parseInt(args[1]));
                break;
            case "attach":
                attach(java.nio.file.Path.of(args[1]));
                break;
            case "sequence":
                sequence(Integer.parseInt(args[1]), Long.parseLong(args[2]), args.length > 3 ? args[3] : null);
                break;
            case "hostile":
                hostile();
                break;
            case "jmx":
                jmx(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]));
                break;
            case "virtual":
                virtual(Integer.parseInt(args[1]), Integer.parseInt(args[2]), args.length > 3 ? args[3] : "none");
                break;
            default:
                throw new IllegalArgumentException(scenario);
        }
        System.out.println("app: done");
    }

    private static void basic() {
        MDC.put("trace_id", "trace-abc-123");
        MDC.put("user", "admin");
        placeOrder();
        ORDERS.debug("debug detail, below the logger's level");
        ORDERS.warn("stock low for {}: {} left", "sku-1", 3);
        System.out.println("app: line error=" + (lineHere() + 1));
        ORDERS.error("payment failed", new IllegalStateException("card declined", new IOException("gateway timeout")));
        MDC.clear();
        ORDERS.atInfo().addKeyValue("order_id", 42).addKeyValue("express", true).log("order shipped");
        ORDERS.info("unrelated chatter");
    }

    /**
     * Logs a tick every 20 ms until the stop file appears (at most 60 s), so that a test can
     * attach the agent to the running JVM and see what is logged after.
     */
    private static void attach(java.nio.file.Path stopFile) throws InterruptedException {
        System.out.println("app: ready");
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        int ticks = 0;
        while (!java.nio.file.Files.exists(stopFile) && System.nanoTime() < deadline) {
            ORDERS.info("tick {}", ticks++);
            Thread.sleep(20);
        }
        ORDERS.info("stopped after {} ticks", ticks);
        System.out.println("app: ticks=" + ticks);
    }

    private static void placeOrder() {
        System.out.println("app: line placeOrder=" + (lineHere() + 1));
        ORDERS.info("order placed id={}", 42);
    }

    /** java.util.logging routed into Logback by jul-to-slf4j: every event must arrive once. */
    private static void bridge(int count) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("com.acme.Bridged");
        for (int i = 0; i < count; i++) {
            jul.info("bridged event seq=" + i);
        }
        jul.fine("bridged fine, below the JUL level");
        // Let through by java.util.logging, refused by Logback's level for com.acme.quiet.
        java.util.logging.Logger quiet = java.util.logging.Logger.getLogger("com.acme.quiet.Noise");
        quiet.setLevel(java.util.logging.Level.ALL);
        quiet.info("bridged event refused by logback");
        ORDERS.info("direct slf4j event");
    }

    /** The Log4j 2 API routed into Logback by log4j-to-slf4j: every event must arrive once. */
    private static void log4jBridge(int count) {
        org.apache.logging.log4j.Logger log4j = org.apache.logging.log4j.LogManager.getLogger("com.acme.Log4jBridged");
        org.apache.logging.log4j.ThreadContext.put("user", "admin");
        System.out.println("app: line log4jBridged=" + (lineHere() + 1));
        log4j.info("log4j bridged seq=0");
        for (int i = 1; i < count; i++) {
            log4j.info("log4j bridged seq={}", i);
        }
        log4j.debug("log4j debug, below Logback's level");
        // Refused by Logback's level for com.acme.quiet.
        org.apache.logging.log4j.LogManager.getLogger("com.acme.quiet.Log4j").info("log4j event refused by logback");
        org.apache.logging.log4j.ThreadContext.clearAll();
    }

    /** {@code count} events, each with its number in the MDC ({@code seq}), and {@code run} if given. */
    private static void sequence(int count, long intervalMillis, String run) throws InterruptedException {
        if (run != null) {
            MDC.put("run", run);
        }
        for (int i = 0; i < count; i++) {
            MDC.put("seq", Integer.toString(i));
            ORDERS.info("sequence event seq={}", i);
            MDC.remove("seq");
            if (intervalMillis > 0) {
                Thread.sleep(intervalMillis);
            }
        }
    }

    /**
     * Reads the agent's MBean as a JMX client would (see {@link AgentMBeanLines}). Waits (at most
     * 30 s) for the MBean, prints its attributes ("app: jmx before ..."), logs {@code matching}
     * events "jmx match i" and {@code other} events "jmx chatter i", waits until delivery has
     * settled and prints them again ("app: jmx after ..."); then logs nothing for {@code quietMillis}.
     */
    private static void jmx(int matching, int other, long quietMillis) throws Exception {
        AgentMBeanLines mbean = AgentMBeanLines.await();
        System.out.println("app: jmx registered=" + mbean.registered());
        System.out.println("app: jmx before " + mbean.settled());
        for (int i = 0; i < matching + other; i++) {
            if (i < matching) {
                ORDERS.info("jmx match {}", i);
            } else {
                ORDERS.info("jmx chatter {}", i);
            }
        }
        System.out.println("app: jmx after " + mbean.settled());
        Thread.sleep(quietMillis);
    }

    /**
     * One virtual thread per task (Java 21+), {@code threads} of them, each with its own MDC entry
     * {@code task}: every {@code shipEvery}-th logs "vt shipped seq=N", the others "vt chatter".
     * Prints the MBean's attributes before, the heap used after two collections once the threads
     * ended ("app: heap after GC N"), then the attributes again ("app: jmx before/after ...").
     *
     * <p>{@code appender}: "none", no appender, the figures are the agent's; "blocking", the
     * {@link BlockingAppender} on the root, which sleeps 1 ms in every append, and prints what it
     * received ("app: appender ..."); "jul-to-slf4j", the same, with the events logged through
     * java.util.logging and routed into Logback by jul-to-slf4j, and each task logs a second JUL
     * event that Logback refuses, after which a JUL handler sleeps 1 ms ("app: refused by logback
     * published=N moved-carrier=N"). With an appender, the MDC each task reads back after logging
     * is checked too ("app: context after logging wrong=N"). Each thread is named "task-N".
     */
    private static void virtual(int threads, int shipEvery, String appender) throws Exception {
        if (!java.util.List.of("none", "blocking", "jul-to-slf4j").contains(appender)) {
            throw new IllegalArgumentException(appender);
        }
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        AppenderTally received = null;
        if (!appender.equals("none")) {
            received = new AppenderTally(threads, 1);
            BlockingAppender blocking = new BlockingAppender(received);
            blocking.setContext(root.getLoggerContext());
            blocking.start();
            root.addAppender(blocking);
        }
        boolean viaJul = appender.equals("jul-to-slf4j");
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("com.acme.Bridged");
        java.util.logging.Logger refused = java.util.logging.Logger.getLogger("com.acme.quiet.Bridged");
        SleepingHandler afterRefusal = new SleepingHandler();
        if (viaJul) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
            // Refused by Logback's level for com.acme.quiet: the bridge hands it over, then this
            // handler sleeps, so the thread moves before the JUL hook decides on its way out.
            refused.setUseParentHandlers(false);
            refused.addHandler(new SLF4JBridgeHandler());
            refused.addHandler(afterRefusal);
        }
        java.util.concurrent.atomic.AtomicInteger contextLost = new java.util.concurrent.atomic.AtomicInteger();
        AgentMBeanLines mbean = AgentMBeanLines.await();
        System.out.println("app: jmx before " + mbean.settled());
        VirtualTasks.run(threads, task -> {
            String own = Integer.toString(task);
            MDC.put("task", own);
            if (viaJul) {
                jul.info(task % shipEvery == 0 ? "vt shipped seq=" + task / shipEvery : "vt chatter");
                refused.info("vt shipped though refused by logback");
            } else if (task % shipEvery == 0) {
                ORDERS.info("vt shipped seq={}", task / shipEvery);
            } else {
                ORDERS.info("vt chatter");
            }
            if (!own.equals(MDC.get("task"))) {
                contextLost.incrementAndGet();
            }
            MDC.remove("task");
        });
        // Before anything reads the counters (reading them once pruned per-thread state): anything
        // the agent keeps per thread that logged must show here.
        System.gc();
        System.gc();
        System.out.println("app: heap after GC "
                + java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        if (received != null) {
            System.out.println("app: appender " + received.tally());
            System.out.println("app: context after logging wrong=" + contextLost);
        }
        if (viaJul) {
            System.out.println("app: refused by logback " + afterRefusal.tally());
        }
        System.out.println("app: jmx after " + mbean.settled());
    }

    /**
     * A java.util.logging handler that sleeps 1 ms in every publish and counts them, and those that
     * resumed on another carrier: {@code published=N moved-carrier=N}.
     */
    private static final class SleepingHandler extends java.util.logging.Handler {
        private final java.util.concurrent.atomic.AtomicInteger published = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger movedCarrier = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void publish(java.util.logging.LogRecord record) {
            boolean moved = AppenderTally.sleepMovesCarrier(1);
            published.incrementAndGet();
            if (moved) {
                movedCarrier.incrementAndGet();
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }

        String tally() {
            return "published=" + published + " moved-carrier=" + movedCarrier;
        }
    }

    /** Values and exceptions that misbehave, each followed by an ordinary event. */
    private static void hostile() throws InterruptedException {
        Map<String, Runnable> cases = HostileInput.cases();
        cases.put("throwing-toString", () -> ORDERS.info("value {}", HostileInput.throwingToString()));
        cases.put("recursive-toString", () -> ORDERS.info("value {}", HostileInput.recursiveToString()));
        cases.put("null-message", () -> ORDERS.info((String) null));
        cases.put("huge-message", () -> ORDERS.info(HostileInput.text(10)));
        cases.put("huge-mdc-value", () -> {
            MDC.put("huge", HostileInput.text(5));
            ORDERS.info("huge mdc value");
            MDC.remove("huge");
        });
        cases.put("many-mdc-entries", () -> {
            MDC.setContextMap(HostileInput.entries(100_000));
            ORDERS.info("many mdc entries");
            MDC.clear();
        });
        cases.put("throwing-key-value", () -> ORDERS.atInfo()
                .addKeyValue("hostile", HostileInput.throwingToString()).log("throwing key-value"));
        cases.put("self-containing-key-value", () -> ORDERS.atInfo()
                .addKeyValue("loop", HostileInput.selfContainingList()).log("self-containing key-value"));
        cases.put("throwing-getMessage", () -> ORDERS.error("getMessage throws", HostileInput.throwingGetMessage()));
        cases.put("cyclic-causes", () -> ORDERS.error("cyclic causes", HostileInput.cyclicCauses()));
        cases.put("own-cause", () -> ORDERS.error("own cause", HostileInput.ownCause()));
        cases.put("self-suppressed", () -> ORDERS.error("self suppressed", HostileInput.selfSuppressed()));
        HostileInput.run(cases, ORDERS::info);
    }

    private static int lineHere() {
        return new Throwable().getStackTrace()[1].getLineNumber();
    }
}
