package io.datanadhi.agent.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.record.CapturedRecord;
import io.datanadhi.agent.record.TestRecords;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Each record a worker held has exactly one owner at exit: the worker or the shutdown hook. */
class HeldRecordsTest {

    private final CapturedRecord a = TestRecords.shipped("a", "p");
    private final CapturedRecord b = TestRecords.shipped("b", "p");
    private final CapturedRecord c = TestRecords.shipped("c", "p");

    @Test
    void theHookClaimsWhatIsHeldLessWhatTheWorkerReleased() {
        HeldRecords held = new HeldRecords();
        assertEquals(List.of(), held.publish(List.of(a, b, c)));
        assertTrue(held.release(List.of(b)));
        assertEquals(List.of(a, c), held.claim());
        assertTrue(held.claimed());
        assertEquals(List.of(), held.claim(), "claimed once");
    }

    @Test
    void afterTheClaimTheWorkerReleasesNothingAndWritesOnlyWhatItTookSince() {
        HeldRecords held = new HeldRecords();
        held.publish(List.of(a, b));
        held.claim();
        assertFalse(held.release(List.of(a)), "a is the hook's now");
        assertEquals(List.of(c), held.publish(List.of(a, b, c)), "c was taken after the claim");
        assertEquals(List.of(), held.publish(List.of(a, b, c)), "c is told once");
    }

    /** A worker publishing, releasing and taking more while the hook claims at a random moment. */
    @Test
    void underARaceEveryRecordHasOneOwner() throws Exception {
        for (int round = 0; round < 200; round++) {
            HeldRecords held = new HeldRecords();
            int spins = round * 10;
            List<CapturedRecord> all = new ArrayList<>();
            Set<CapturedRecord> byWorker = Collections.newSetFromMap(new IdentityHashMap<>());
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<List<CapturedRecord>> byHook = new AtomicReference<>();
            Thread hook = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int spin = 0; spin < spins; spin++) {
                    Thread.onSpinWait();
                }
                byHook.set(held.claim());
            });
            hook.start();
            go.countDown();
            List<CapturedRecord> batch = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                CapturedRecord record = TestRecords.shipped(round + "-" + i, "p");
                all.add(record);
                batch.add(record);
                byWorker.addAll(held.publish(batch));
                if (batch.size() == 8) { // written by the worker, as drop() does
                    if (held.release(batch)) {
                        byWorker.addAll(batch);
                    }
                    batch.clear();
                    byWorker.addAll(held.publish(batch));
                }
            }
            hook.join();
            // The hook has claimed by now: what the batch holds that the hook did not take is the worker's.
            Set<CapturedRecord> owned = Collections.newSetFromMap(new IdentityHashMap<>());
            int owners = 0;
            for (CapturedRecord record : byHook.get()) {
                assertTrue(owned.add(record), "claimed twice");
                owners++;
            }
            for (CapturedRecord record : byWorker) {
                assertTrue(owned.add(record), "both the hook and the worker own a record");
                owners++;
            }
            List<CapturedRecord> leftOver = new ArrayList<>(held.publish(batch));
            for (CapturedRecord record : leftOver) {
                assertTrue(owned.add(record), "told twice");
                owners++;
            }
            assertEquals(all.size(), owned.size(), "round " + round + ": every record has an owner (" + owners + ")");
        }
    }
}
