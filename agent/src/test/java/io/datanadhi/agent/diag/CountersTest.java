package io.datanadhi.agent.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Captured events are counted per thread; the total is exact, also after the threads end. */
class CountersTest {

    @Test
    void perThreadCountsAddUpAndOutliveTheirThreads() throws Exception {
        Counters counters = new Counters();
        counters.countCaptured(); // events replayed after start-up are counted centrally
        CountDownLatch counted = new CountDownLatch(4);
        CountDownLatch finish = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int events = 1000 * (t + 1);
            Thread thread = new Thread(() -> {
                Counters.ThreadCount mine = counters.capturedOnThisThread();
                for (int i = 0; i < events; i++) {
                    mine.increment();
                }
                counted.countDown();
                try {
                    finish.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            thread.start();
            threads.add(thread);
        }
        assertEquals(true, counted.await(10, TimeUnit.SECONDS));
        assertEquals(1 + 1000 + 2000 + 3000 + 4000, counters.captured(), "threads still running");
        assertEquals(4, counters.countingThreads());

        finish.countDown();
        for (Thread thread : threads) {
            thread.join(10_000);
            assertFalse(thread.isAlive());
        }
        assertEquals(10_001, counters.captured(), "the ended threads' counts are kept");
        assertEquals(0, counters.countingThreads(), "and their entries dropped");
        assertEquals(10_001, counters.captured());
        assertEquals(10_001L, counters.snapshot().get("captured"));
    }
}
