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
 * until its standard input is closed; each line {@code heap} it reads there makes it collect
 * garbage and print {@code heap used after GC N} (bytes). JUL's console handler is removed: the agent captures at {@code Logger.log}, before any
 * handler, and the figures should not measure writing to a terminal. Prints one line at the end:
 * {@code logged N in S s}. With {@code BENCH_START_DELAY_MS} in the environment, it waits that
 * long before it logs (and before its SECONDS start).
 */
public final class SteadyJul {

    private static final Logger LOG = Logger.getLogger("com.acme.Orders");

    public static void main(String[] args) throws java.io.IOException {
        double rate = Double.parseDouble(args[0]);
        double seconds = Double.parseDouble(args[1]);
        long total = args.length > 2 ? Long.parseLong(args[2]) : Long.MAX_VALUE;
        LogManager.getLogManager().reset();
        String startDelay = System.getenv("BENCH_START_DELAY_MS");
        if (startDelay != null) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Long.parseLong(startDelay)));
        }
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
            java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.US_ASCII));
            String command;
            while ((command = in.readLine()) != null) { // until the driver closes our standard input
                if (command.equals("heap")) {
                    System.out.println("heap used after GC " + usedAfterGc());
                    System.out.flush();
                }
            }
        }
    }

    /** Bytes of heap in use after full collections, once it stops shrinking. */
    private static long usedAfterGc() {
        java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            long now = memory.getHeapMemoryUsage().getUsed();
            if (now >= used) {
                return now;
            }
            used = now;
        }
        return used;
    }
}
