package io.datanadhi.it.apps;

import io.datanadhi.it.apps.hostile.HostileInput;
import java.io.IOException;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.ThreadContext;

/** A Log4j 2 application (log4j-core). Prints its own progress on stdout ("app: ..."). */
public final class Log4j2App {

    private static final Logger ORDERS = LogManager.getLogger("com.acme.OrderService");
    private static final Logger ASYNC = LogManager.getLogger("com.acme.Async");
    private static final Logger QUIET = LogManager.getLogger("com.acme.quiet.Noise");

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
            case "hostile":
                hostile();
                break;
            default:
                throw new IllegalArgumentException(scenario);
        }
        // -Dapp.linger=MILLIS: stay up that long, as a server would, before stopping Log4j.
        Thread.sleep(Long.getLong("app.linger", 0L));
        LogManager.shutdown();
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
