package io.datanadhi.agent.delivery;

import io.datanadhi.agent.diag.Diagnostics;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Watches a server that is down: probes it every 500 ms until it answers, then reports it up
 * and stops. At most one probe loop per server.
 */
final class HealthMonitor {

    static final long INTERVAL_MILLIS = 500;

    private final String name;
    private final Supplier<CompletableFuture<Boolean>> probe;
    private final Runnable onRecovered;
    private final ScheduledExecutorService scheduler;
    private final AtomicBoolean watching = new AtomicBoolean();
    private volatile boolean closed;

    HealthMonitor(String name, Supplier<CompletableFuture<Boolean>> probe, Runnable onRecovered,
            ScheduledExecutorService scheduler) {
        this.name = name;
        this.probe = probe;
        this.onRecovered = onRecovered;
        this.scheduler = scheduler;
    }

    /** Starts probing unless a probe loop is already running. */
    void watch() {
        if (!closed && watching.compareAndSet(false, true)) {
            schedule();
        }
    }

    boolean watching() {
        return watching.get();
    }

    void close() {
        closed = true;
    }

    private void schedule() {
        try {
            scheduler.schedule(this::probeOnce, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RuntimeException rejected) {
            watching.set(false);
        }
    }

    private void probeOnce() {
        if (closed) {
            watching.set(false);
            return;
        }
        CompletableFuture<Boolean> result;
        try {
            result = probe.get();
        } catch (RuntimeException e) {
            result = CompletableFuture.completedFuture(false);
        }
        result.whenComplete((up, error) -> {
            if (error == null && Boolean.TRUE.equals(up)) {
                watching.set(false);
                Diagnostics.debug("health_ok", name + " answered its health check");
                onRecovered.run();
            } else {
                schedule();
            }
        });
    }
}
