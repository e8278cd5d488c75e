package io.datanadhi.agent.delivery;

import io.datanadhi.agent.record.CapturedRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What one delivery worker has taken from the queue and not yet handed on, for the shutdown hook.
 * The hook claims it once, at exit, and writes it to {@code dropped/}; each record then has one
 * owner: a record the worker releases before the claim is the worker's to write, a record held at
 * the claim is the hook's, and a record the worker takes after the claim (a worker that was busy
 * past the deadline carries on for a moment) is the worker's again. Only the worker publishes and
 * releases; only the hook claims.
 */
final class HeldRecords {

    private static final CapturedRecord[] NONE = new CapturedRecord[0];

    private static final class State {
        final CapturedRecord[] records;
        /** Non-null once claimed: every record the hook took or the worker was told to write since. */
        final Set<CapturedRecord> handled;

        State(CapturedRecord[] records, Set<CapturedRecord> handled) {
            this.records = records;
            this.handled = handled;
        }
    }

    private final AtomicReference<State> state = new AtomicReference<>(new State(NONE, null));

    /**
     * Publishes the worker's batch as what it holds. After the claim, returns the records of the
     * batch the hook did not take, each once, for the worker to write itself; before it, none.
     */
    List<CapturedRecord> publish(List<CapturedRecord> batch) {
        while (true) {
            State current = state.get();
            if (current.handled != null) {
                List<CapturedRecord> late = new ArrayList<>();
                for (CapturedRecord record : batch) {
                    if (current.handled.add(record)) { // only the worker touches the set after the claim
                        late.add(record);
                    }
                }
                return late;
            }
            if (state.compareAndSet(current, new State(batch.toArray(NONE), null))) {
                return List.of();
            }
        }
    }

    /**
     * Takes {@code records} out of what is held, for the worker to write or count itself; false
     * when the hook has claimed (they are written already, or are the worker's as
     * {@link #publish} said).
     */
    boolean release(List<CapturedRecord> records) {
        while (true) {
            State current = state.get();
            if (current.handled != null) {
                return false;
            }
            Set<CapturedRecord> gone = identitySet();
            gone.addAll(records);
            List<CapturedRecord> kept = new ArrayList<>(current.records.length);
            for (CapturedRecord record : current.records) {
                if (!gone.contains(record)) {
                    kept.add(record);
                }
            }
            if (state.compareAndSet(current, new State(kept.toArray(NONE), null))) {
                return true;
            }
        }
    }

    /** The hook's part, once: what the worker holds now, for the hook to write. */
    List<CapturedRecord> claim() {
        while (true) {
            State current = state.get();
            if (current.handled != null) {
                return List.of();
            }
            Set<CapturedRecord> handled = identitySet();
            Collections.addAll(handled, current.records);
            if (state.compareAndSet(current, new State(NONE, handled))) {
                return List.of(current.records);
            }
        }
    }

    boolean claimed() {
        return state.get().handled != null;
    }

    private static Set<CapturedRecord> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }
}
