package io.datanadhi.agent.record;

import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Adds an event's key-value pairs to a copy of its context: at most {@code limit} entries (a key
 * already there is replaced), values cut to the record's limit. A class rather than a lambda: it
 * is first used at the agent's start (see {@code AgentThreads}).
 */
final class KeyValueCopy implements BiConsumer<String, Object> {
    private final Map<String, Object> copy;
    private final int limit;
    private final int maxValueBytes;
    /** A pair was left out for want of room. */
    boolean truncated;

    KeyValueCopy(Map<String, Object> copy, int limit, int maxValueBytes) {
        this.copy = copy;
        this.limit = limit;
        this.maxValueBytes = maxValueBytes;
    }

    @Override
    public void accept(String key, Object value) {
        if (copy.size() < limit || copy.containsKey(key)) {
            copy.put(key, ContextValues.copy(value, maxValueBytes));
        } else {
            truncated = true;
        }
    }
}
