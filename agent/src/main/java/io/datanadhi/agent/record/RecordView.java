package io.datanadhi.agent.record;

/**
 * A record as the rules see it. Implementations resolve lazily, so that evaluating an event that
 * matches no rule computes (and allocates) as little as possible.
 */
public interface RecordView {
    /**
     * The value at a dot-notation path that was split at the dots ({@code log_record.level} is
     * {@code ["log_record", "level"]}), or null when the path is absent or its value is JSON null.
     * A path descends through objects only. Values are String, Number, Boolean, a Map or List of
     * such values, or a Jackson JsonNode.
     */
    Object resolve(String[] path);

    /** {@link #resolve(String[])} for a key resolved when its rule was loaded. */
    default Object resolve(RecordPath path) {
        return resolve(path.parts());
    }
}
