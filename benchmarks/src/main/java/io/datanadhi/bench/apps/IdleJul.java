package io.datanadhi.bench.apps;

import java.time.Duration;
import java.util.logging.Logger;

/**
 * An application that logs one line and then waits, doing nothing: what the agent costs a
 * service between requests. Prints {@code cpu-ms <n>}: the process's CPU time over the
 * {@code measure} seconds that follow {@code settle} seconds of start-up.
 */
public final class IdleJul {
    public static void main(String[] args) throws InterruptedException {
        long settle = Long.parseLong(args[0]);
        long measure = Long.parseLong(args[1]);
        Logger.getLogger("com.acme.Idle").info("started, now idle");
        Thread.sleep(settle * 1000);
        Duration before = cpu();
        Thread.sleep(measure * 1000);
        Duration after = cpu();
        System.out.println("cpu-ms " + after.minus(before).toMillis());
    }

    private static Duration cpu() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow();
    }
}
