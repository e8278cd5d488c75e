package io.datanadhi.agent.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The queue between logging threads and delivery workers: bounded, FIFO, never blocking. */
class RecordQueueTest {

    @Test
    void pollReturnsItemsInOfferOrderThenNull() {
        RecordQueue<String> queue = new RecordQueue<>(8);
        for (String s : List.of("a", "b", "c", "d", "e")) {
            assertTrue(queue.offer(s));
        }
        List<String> polled = new ArrayList<>();
        for (String s; (s = queue.poll()) != null;) {
            polled.add(s);
        }
        assertEquals(List.of("a", "b", "c", "d", "e"), polled);
        assertNull(queue.poll());
    }

    @Test
    void offerReturnsFalseWhenFullAndAcceptsAgainOnceThereIsRoom() {
        RecordQueue<Integer> queue = new RecordQueue<>(3);
        assertEquals(3, queue.capacity());
        assertTrue(queue.offer(1));
        assertTrue(queue.offer(2));
        assertTrue(queue.offer(3));
        assertFalse(queue.offer(4), "full");
        assertFalse(queue.offer(5), "still full");
        assertEquals(3, queue.size());

        assertEquals(1, queue.poll());
        assertTrue(queue.offer(6));
        assertFalse(queue.offer(7));
        assertEquals(List.of(2, 3, 6), drain(queue), "rejected items never entered the queue");
    }

    @Test
    void offerOnAFullQueueReturnsAtOnce() {
        RecordQueue<Integer> queue = new RecordQueue<>(2);
        queue.offer(1);
        queue.offer(2);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (int i = 0; i < 100_000; i++) {
                assertFalse(queue.offer(i));
            }
        });
    }

    @Test
    void staysFifoAcrossManyWrapArounds() {
        RecordQueue<Integer> queue = new RecordQueue<>(5);
        int next = 0;
        int expected = 0;
        for (int round = 0; round < 1000; round++) {
            int add = 1 + round % 5;
            for (int i = 0; i < add; i++) {
                if (queue.offer(next)) {
                    next++;
                }
            }
            int take = 1 + (round * 7) % 5;
            for (int i = 0; i < take; i++) {
                Integer item = queue.poll();
                if (item == null) {
                    break;
                }
                assertEquals(expected++, item);
            }
            assertTrue(queue.size() <= 5);
        }
        for (Integer item; (item = queue.poll()) != null;) {
            assertEquals(expected++, item);
        }
        assertEquals(next, expected, "everything offered successfully came out once");
    }

    @Test
    void capacityOfOneHoldsOneItemAndNeverOverwritesIt() {
        RecordQueue<String> queue = new RecordQueue<>(1);
        assertEquals(1, queue.capacity());
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            assertTrue(queue.offer("a"));
            assertFalse(queue.offer("b"), "full with one item");
            assertEquals(1, queue.size());
            assertEquals("a", queue.poll());
            assertNull(queue.poll());
            assertTrue(queue.offer("c"));
            assertFalse(queue.offer("d"));
            assertEquals("c", queue.poll());
            assertNull(queue.poll());
        }, "a poll that spins forever fails here (the thread is left spinning)");
    }

    @Test
    void drainToMovesAtMostMaxInOrderAndReturnsTheCount() {
        RecordQueue<Integer> queue = new RecordQueue<>(10);
        for (int i = 0; i < 7; i++) {
            queue.offer(i);
        }
        List<Integer> target = new ArrayList<>(List.of(-1));
        assertEquals(3, queue.drainTo(target, 3));
        assertEquals(List.of(-1, 0, 1, 2), target, "appended after what the target held");
        assertEquals(4, queue.size());

        List<Integer> rest = new ArrayList<>();
        assertEquals(4, queue.drainTo(rest, 100));
        assertEquals(List.of(3, 4, 5, 6), rest);
        assertEquals(0, queue.drainTo(rest, 100));
        assertEquals(0, queue.drainTo(rest, 0));
        assertTrue(queue.isEmpty());
    }

    @Test
    void sizeTracksOffersAndPolls() {
        RecordQueue<Integer> queue = new RecordQueue<>(4);
        assertEquals(0, queue.size());
        assertTrue(queue.isEmpty());
        queue.offer(1);
        queue.offer(2);
        assertEquals(2, queue.size());
        assertFalse(queue.isEmpty());
        queue.poll();
        assertEquals(1, queue.size());
        queue.offer(3);
        queue.offer(4);
        queue.offer(5);
        queue.offer(6);
        assertEquals(4, queue.size(), "never above capacity");
    }

    @Test
    void capacityBelowOneIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new RecordQueue<>(0));
        assertThrows(IllegalArgumentException.class, () -> new RecordQueue<>(-5));
    }

    @Test
    void manyProducersAndConsumersMoveEveryItemExactlyOnce() throws Exception {
        // Just over 1,000,000 items through 16 slots.
        moveConcurrently(16, 3, 3, 333_334);
    }

    @Test
    void aOneSlotQueueMovesItemsBetweenThreadsExactlyOnce() throws Exception {
        moveConcurrently(1, 2, 2, 50_000);
    }

    /**
     * Producers offer (retrying while full) and consumers poll until every item has come out;
     * each item must come out exactly once, and each consumer must see each producer's items in
     * the order they were offered.
     */
    private static void moveConcurrently(int capacity, int producers, int consumers, int perProducer)
            throws Exception {
        int total = producers * perProducer;
        RecordQueue<Integer> queue = new RecordQueue<>(capacity);

        AtomicIntegerArray seen = new AtomicIntegerArray(total);
        AtomicInteger consumed = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();

        for (int p = 0; p < producers; p++) {
            int base = p * perProducer;
            threads.add(new Thread(() -> {
                await(start);
                for (int i = 0; i < perProducer && !stop.get(); i++) {
                    Integer item = base + i;
                    while (!queue.offer(item)) {
                        if (stop.get()) {
                            return;
                        }
                        Thread.yield();
                    }
                }
            }, "producer-" + p));
        }
        for (int c = 0; c < consumers; c++) {
            threads.add(new Thread(() -> {
                await(start);
                int[] last = new int[producers];
                java.util.Arrays.fill(last, -1);
                while (consumed.get() < total && !stop.get()) {
                    Integer item = queue.poll();
                    if (item == null) {
                        Thread.yield();
                        continue;
                    }
                    int producer = item / perProducer;
                    if (item <= last[producer]) {
                        failure.compareAndSet(null, "out of order: " + item + " after " + last[producer]);
                    }
                    last[producer] = item;
                    if (seen.getAndIncrement(item) != 0) {
                        failure.compareAndSet(null, "duplicate: " + item);
                    }
                    consumed.incrementAndGet();
                }
            }, "consumer-" + c));
        }
        threads.forEach(Thread::start);
        start.countDown();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        boolean finished = threads.stream().noneMatch(Thread::isAlive);
        stop.set(true);
        for (Thread t : threads) {
            t.join(5_000);
        }

        assertTrue(finished, "not done within 90 s: " + consumed.get() + " of " + total + " consumed");
        assertNull(failure.get());
        assertEquals(total, consumed.get());
        for (int i = 0; i < total; i++) {
            if (seen.get(i) != 1) {
                throw new AssertionError("item " + i + " seen " + seen.get(i) + " times");
            }
        }
        assertTrue(queue.isEmpty());
        assertNull(queue.poll());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static <T> List<T> drain(RecordQueue<T> queue) {
        List<T> out = new ArrayList<>();
        queue.drainTo(out, Integer.MAX_VALUE);
        return out;
    }
}
