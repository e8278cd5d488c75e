package io.datanadhi.it.apps;

import io.datanadhi.it.apps.hostile.HostileInput;
import java.io.IOException;
import java.util.Map;
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
            case "hostile":
                hostile();
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
