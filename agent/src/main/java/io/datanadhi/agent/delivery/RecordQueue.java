package io.datanadhi.agent.delivery;

import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A bounded, lock-free, multi-producer multi-consumer queue (Dmitry Vyukov's array queue).
 * {@link #offer} never blocks and never waits for space: a logging thread either enqueues or
 * learns at once that the queue is full.
 */
final class RecordQueue<T> {

    private final int capacity;
    /** Vyukov's sequence numbers need two slots at least; see the constructor. */
    private final int slots;
    private final AtomicReferenceArray<T> items;
    private final AtomicLongArray sequences;
    private final AtomicLong tail = new AtomicLong();
    private final AtomicLong head = new AtomicLong();

    RecordQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
        // With a single slot, a full slot and a free one have the same sequence number: a second
        // offer would overwrite the first item and poll would then spin forever. One spare slot,
        // and offer checks the bound itself in that case.
        this.slots = Math.max(2, capacity);
        this.items = new AtomicReferenceArray<>(slots);
        if (slots <= 1 << 16) {
            // Filled as a plain array and copied: 10 000 VarHandle stores in the interpreter cost milliseconds at start.
            long[] initial = new long[slots];
            for (int i = 0; i < slots; i++) {
                initial[i] = i;
            }
            this.sequences = new AtomicLongArray(initial);
        } else {
            this.sequences = new AtomicLongArray(slots); // a large queue: no second copy of its memory, even for a moment
            for (int i = 0; i < slots; i++) {
                sequences.setPlain(i, i);
            }
        }
    }

    int capacity() {
        return capacity;
    }

    /** Adds the item, or returns false at once when the queue is full. */
    boolean offer(T item) {
        while (true) {
            long position = tail.get();
            int index = (int) (position % slots);
            long difference = sequences.get(index) - position;
            if (difference == 0) {
                if (slots != capacity && position - head.get() >= capacity) {
                    return false;
                }
                if (tail.compareAndSet(position, position + 1)) {
                    // The release store of the sequence publishes the item: no fence for either.
                    items.setPlain(index, item);
                    sequences.setRelease(index, position + 1);
                    return true;
                }
            } else if (difference < 0) {
                return false;
            }
            // Another producer took this slot: try the next position.
        }
    }

    /** Takes the oldest item, or null when empty. */
    T poll() {
        while (true) {
            long position = head.get();
            int index = (int) (position % slots);
            long difference = sequences.get(index) - (position + 1);
            if (difference == 0) {
                if (head.compareAndSet(position, position + 1)) {
                    // The sequence was read with acquire semantics, after the producer's release.
                    T item = items.getPlain(index);
                    items.setPlain(index, null);
                    sequences.setRelease(index, position + slots);
                    return item;
                }
            } else if (difference < 0) {
                return null;
            }
        }
    }

    /** Moves up to {@code max} items into {@code target}; returns how many. */
    int drainTo(Collection<? super T> target, int max) {
        int moved = 0;
        while (moved < max) {
            T item = poll();
            if (item == null) {
                break;
            }
            target.add(item);
            moved++;
        }
        return moved;
    }

    /** Approximate under concurrency; exact when quiet. */
    /** Items taken out since the queue was made: grows while consumers work, whatever producers do. */
    long taken() {
        return head.get();
    }

    int size() {
        long size = tail.get() - head.get();
        return (int) Math.max(0, Math.min(capacity, size));
    }

    boolean isEmpty() {
        return size() == 0;
    }
}
