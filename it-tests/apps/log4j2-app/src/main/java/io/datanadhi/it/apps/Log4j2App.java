package io.datanadhi.it.apps;

import io.datanadhi.it.apps.hostile.HostileInput;
import io.datanadhi.it.apps.support.AgentMBeanLines;
import io.datanadhi.it.apps.support.AppenderTally;
import io.datanadhi.it.apps.support.VirtualTasks;
import java.io.IOException;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.ThreadContext;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.message.MapMessage;
import org.apache.logging.log4j.message.StructuredDataMessage;

/** A Log4j 2 application (log4j-core). Prints its own progress on stdout ("app: ..."). */
public final class Log4j2App {

    private static final Logger ORDERS = LogManager.getLogger("com.acme.OrderService");
    private static final Logger ASYNC = LogManager.getLogger("com.acme.Async");
    private static final Logger QUIET = LogManager.getLogger("com.acme.quiet.Noise");
    private static final Logger MIXED = LogManager.getLogger("com.acme.Mixed");
    /** No logger config of its own: the root's, whose appenders the "virtual" scenario replaces. */
    private static final Logger VIRTUAL = LogManager.getLogger("com.acme.Virtual");

    public static void main(String[] args) throws Exception {
        String scenario = args.length > 0 ? args[0] : "basic";
        System.out.println("app: start " + scenario);
        long slowMillis = Long.getLong("app.slow-appender-millis", 0L);
        if (slowMillis > 0) {
            addSlowAppender(slowMillis);
        }
        switch (scenario) {
            case "basic":
                basic();
                break;
            case "sequence":
                sequence(Integer.parseInt(args[1]), Long.parseLong(args[2]));
                break;
            case "structured":
                structured();
                break;
            case "mixed":
                mixed(Integer.parseInt(args[1]));
                break;
            case "hostile":
                hostile();
                break;
            case "virtual":
                virtual(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
                break;
            default:
                throw new IllegalArgumentException(scenario);
        }
        // -Dapp.linger=MILLIS: stay up that long, as a server would, before stopping Log4j.
        Thread.sleep(Long.getLong("app.linger", 0L));
        // -Dapp.stop-log4j=false: leave it to Log4j's own shutdown hook, as most applications do.
        if (Boolean.parseBoolean(System.getProperty("app.stop-log4j", "true"))) {
            LogManager.shutdown();
        }
        System.out.println("app: done");
    }

    private static void basic() {
        ThreadContext.put("trace_id", "trace-abc-123");
        ThreadContext.put("user", "admin");
        placeOrder();
        ORDERS.debug("debug detail, below the logger's level");
        QUIET.info("quiet info, below its logger's level");
        ORDERS.warn("stock low for {}: {} left", "sku-1", 3);
        System.out.println("app: line error=" + (lineHere() + 1));
        ORDERS.error("payment failed", new IllegalStateException("card declined", new IOException("gateway timeout")));
        ORDERS.fatal("payment gateway unreachable");
        ThreadContext.clearAll();
        System.out.println("app: line async=" + (lineHere() + 1));
        ASYNC.info("handed to an async appender");
        ORDERS.info("unrelated chatter");
    }

    private static void placeOrder() {
        System.out.println("app: line placeOrder=" + (lineHere() + 1));
        ORDERS.info("order placed id={}", 42);
    }

    /** {@code count} events, each with its number in the thread context ({@code seq}). */
    private static void sequence(int count, long intervalMillis) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            ThreadContext.put("seq", Integer.toString(i));
            (i % 2 == 0 ? ORDERS : ASYNC).info("sequence event seq={}", i);
            ThreadContext.remove("seq");
            if (intervalMillis > 0) {
                Thread.sleep(intervalMillis);
            }
        }
    }

    /** A MapMessage and a StructuredDataMessage: their fields are the record's context. */
    private static void structured() {
        ThreadContext.put("user", "admin");
        ORDERS.info(new MapMessage<>().with("order_id", 42).with("express", true).with("customer", "c-7"));
        ThreadContext.clearAll();
        ORDERS.warn(new StructuredDataMessage("shipment@32473", "shipment delayed", "Shipping")
                .with("carrier", "dhl").with("days", "3"));
    }

    /** A mixed asynchronous logger ({@code <AsyncLogger>}) with an appender of its own and the root's. */
    private static void mixed(int count) {
        for (int i = 0; i < count; i++) {
            ThreadContext.put("seq", Integer.toString(i));
            MIXED.info("mixed event seq={}", i);
            ThreadContext.remove("seq");
        }
    }

    /**
     * -Dapp.slow-appender-millis=N: one more appender on the root that takes N ms per event, so
     * that asynchronous loggers still have a backlog when the application exits.
     */
    private static void addSlowAppender(long millis) {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        Appender slow = new AbstractAppender("SLOW", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        slow.start();
        config.addAppender(slow);
        config.getRootLogger().addAppender(slow, null, null);
        config.getLoggerConfig("com.acme.Async").addAppender(slow, null, null);
        context.updateLoggers();
    }

    /**
     * One virtual thread per task (Java 21+), {@code threads} of them, each with its own thread
     * context entry {@code task}: every {@code shipEvery}-th logs "vt shipped seq=N", the others
     * "vt chatter". The root's appenders are replaced by one that sleeps 1 ms in every append, so
     * that the threads unmount inside it, and tallies what it received ("app: appender ...", see
     * {@link AppenderTally#tally()}); each task checks the context it reads back after logging
     * ("app: context after logging wrong=N"). Prints the MBean's attributes before and after
     * ("app: jmx before/after ..."). Each thread is named "task-N".
     */
    private static void virtual(int threads, int shipEvery) throws Exception {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        AppenderTally received = new AppenderTally(threads, 1);
        BlockingAppender blocking = new BlockingAppender(received);
        blocking.start();
        config.addAppender(blocking);
        for (String name : config.getRootLogger().getAppenders().keySet()) {
            config.getRootLogger().removeAppender(name);
        }
        config.getRootLogger().addAppender(blocking, null, null);
        context.updateLoggers();
        java.util.concurrent.atomic.AtomicInteger contextLost = new java.util.concurrent.atomic.AtomicInteger();
        AgentMBeanLines mbean = AgentMBeanLines.await();
        System.out.println("app: jmx before " + mbean.settled());
        VirtualTasks.run(threads, task -> {
            String own = Integer.toString(task);
            ThreadContext.put("task", own);
            if (task % shipEvery == 0) {
                VIRTUAL.info("vt shipped seq={}", task / shipEvery);
            } else {
                VIRTUAL.info("vt chatter");
            }
            if (!own.equals(ThreadContext.get("task"))) {
                contextLost.incrementAndGet();
            }
            ThreadContext.remove("task");
        });
        System.out.println("app: appender " + received.tally());
        System.out.println("app: context after logging wrong=" + contextLost);
        System.out.println("app: jmx after " + mbean.settled());
    }

    /**
     * The application's own appender for the "virtual" scenario: sleeps in every append and
     * tallies what it received (see {@link AppenderTally}), the task being {@code task} in the
     * event's context data and the logging thread's.
     */
    private static final class BlockingAppender extends AbstractAppender {
        private final AppenderTally received;

        BlockingAppender(AppenderTally received) {
            super("BLOCKING", null, null, true, Property.EMPTY_ARRAY);
            this.received = received;
        }

        @Override
        public void append(LogEvent event) {
            received.append(event.getContextData().getValue("task"), () -> ThreadContext.get("task"));
        }
    }

    /** Message objects, context and exceptions that misbehave, each followed by an ordinary event. */
    private static void hostile() throws InterruptedException {
        Map<String, Runnable> cases = HostileInput.cases();
        cases.put("throwing-toString", () -> ORDERS.info(HostileInput.throwingToString()));
        cases.put("recursive-toString", () -> ORDERS.info(HostileInput.recursiveToString()));
        cases.put("throwing-parameter", () -> ORDERS.info("value {}", HostileInput.throwingToString()));
        cases.put("null-message", () -> ORDERS.info((String) null));
        cases.put("huge-message", () -> ORDERS.info(HostileInput.text(10)));
        cases.put("huge-mdc-value", () -> {
            ThreadContext.put("huge", HostileInput.text(5));
            ORDERS.info("huge mdc value");
            ThreadContext.remove("huge");
        });
        cases.put("many-mdc-entries", () -> {
            // putAll: ThreadContext copies its map on every put.
            ThreadContext.putAll(HostileInput.entries(100_000));
            ORDERS.info("many mdc entries");
            ThreadContext.clearMap();
        });
        cases.put("throwing-getMessage", () -> ORDERS.error("getMessage throws", HostileInput.throwingGetMessage()));
        cases.put("cyclic-causes", () -> ORDERS.error("cyclic causes", HostileInput.cyclicCauses()));
        cases.put("own-cause", () -> ORDERS.error("own cause", HostileInput.ownCause()));
        cases.put("self-suppressed", () -> ORDERS.error("self suppressed", HostileInput.selfSuppressed()));
        HostileInput.run(cases, message -> ORDERS.info(message));
    }

    private static int lineHere() {
        return new Throwable().getStackTrace()[1].getLineNumber();
    }
}
