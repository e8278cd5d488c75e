package io.datanadhi.agent.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Captured events are counted exactly, from threads that log at once and from threads that come and go. */
class CountersTest {

    @Test
    void concurrentCountsAddUpExactly() throws Exception {
        Counters counters = new Counters();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread thread = new Thread(() -> {
                try {
                    go.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (int i = 0; i < 100_000; i++) {
                    counters.countCaptured();
                }
            });
            thread.start();
            threads.add(thread);
        }
        go.countDown();
        for (Thread thread : threads) {
            thread.join(30_000);
        }
        assertEquals(800_000, counters.captured());
        assertEquals(800_000L, counters.snapshot().get("captured"));
    }

    @Test
    void shortLivedThreadsAreCountedAfterTheyEnd() throws Exception {
        Counters counters = new Counters();
        ExecutorService starter = Executors.newFixedThreadPool(4);
        int threads = 20_000;
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            starter.execute(() -> {
                Thread thread = new Thread(() -> {
                    counters.countCaptured();
                    counters.countCaptured();
                    done.countDown();
                });
                thread.start();
            });
        }
        assertTrue(done.await(60, TimeUnit.SECONDS));
        starter.shutdown();
        assertEquals(2L * threads, counters.captured(), "every thread's events, the threads gone");
    }
}
