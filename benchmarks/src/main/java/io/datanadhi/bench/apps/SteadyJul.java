package io.datanadhi.bench.apps;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * An application that logs through java.util.logging at a steady rate, each message carrying its
 * sequence number ({@code order placed seq=N}), then exits normally.
 *
 * <pre>SteadyJul RATE SECONDS [TOTAL [stay]]</pre>
 *
 * RATE records a second (0: as fast as one thread can), for SECONDS, or until TOTAL records when
 * given. With {@code stay}, the application keeps running after it has logged, as a server would,
 * until its standard input is closed. JUL's console handler is removed: the agent captures at {@code Logger.log}, before any
 * handler, and the figures should not measure writing to a terminal. Prints one line at the end:
 * {@code logged N in S s}.
 */
public final class SteadyJul {

    private static final Logger LOG = Logger.getLogger("com.acme.Orders");

    public static void main(String[] args) throws java.io.IOException {
        double rate = Double.parseDouble(args[0]);
        double seconds = Double.parseDouble(args[1]);
        long total = args.length > 2 ? Long.parseLong(args[2]) : Long.MAX_VALUE;
        LogManager.getLogManager().reset();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long logged = 0;
        while (logged < total) {
            long now = System.nanoTime();
            if (now >= end) {
                break;
            }
            long due = rate <= 0 ? logged + 256 : Math.min(total, (long) ((now - start) / 1e9 * rate) + 1);
            if (logged >= due) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
                continue;
            }
            while (logged < due && logged < total) {
                LOG.info("order placed seq=" + logged);
                logged++;
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf("logged %d in %.3f s%n", logged, elapsed);
        System.out.flush();
        if (args.length > 3 && args[3].equals("stay")) {
            while (System.in.read() >= 0) {
                // until the driver closes our standard input
            }
        }
    }
}
