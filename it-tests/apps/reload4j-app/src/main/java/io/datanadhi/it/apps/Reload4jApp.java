package io.datanadhi.it.apps;

import java.io.IOException;
import org.apache.log4j.Logger;
import org.apache.log4j.MDC;

/** An application on the Log4j 1.2 API (reload4j). Prints its own progress on stdout ("app: ..."). */
public final class Reload4jApp {

    private static final Logger ORDERS = Logger.getLogger("com.acme.OrderService");
    private static final Logger QUIET = Logger.getLogger("com.acme.quiet.Noise");

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
        QUIET.info("quiet info, below its logger's level");
        ORDERS.warn("stock low for sku-1: 3 left");
        System.out.println("app: line error=" + (lineHere() + 1));
        ORDERS.error("payment failed", new IllegalStateException("card declined", new IOException("gateway timeout")));
        ORDERS.fatal("payment gateway unreachable");
        MDC.clear();
        ORDERS.info("unrelated chatter");
    }

    private static void placeOrder() {
        System.out.println("app: line placeOrder=" + (lineHere() + 1));
        ORDERS.info("order placed id=42");
    }

    /** {@code count} events, each with its number in the MDC ({@code seq}). */
    private static void sequence(int count, long intervalMillis) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            MDC.put("seq", Integer.toString(i));
            ORDERS.info("sequence event seq=" + i);
            MDC.remove("seq");
            if (intervalMillis > 0) {
                Thread.sleep(intervalMillis);
            }
        }
    }

    private static int lineHere() {
        return new Throwable().getStackTrace()[1].getLineNumber();
    }
}
