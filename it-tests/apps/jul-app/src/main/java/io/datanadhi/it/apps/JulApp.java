package io.datanadhi.it.apps;

import io.datanadhi.it.apps.hostile.HostileInput;
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
