package io.datanadhi.agent.config;

import java.util.Objects;

/**
 * One key's resolved value and where it came from, as {@code doctor} and
 * {@code .config.resolved.json} show it. The API key's value is always masked here.
 */
public final class ConfigValue {
    private final String key;
    private final String value;
    private final Object jsonValue;
    private final SourceKind source;
    private final String sourceDetail;

    ConfigValue(String key, String value, Object jsonValue, SourceKind source, String sourceDetail) {
        this.key = key;
        this.value = value;
        this.jsonValue = jsonValue;
        this.source = source;
        this.sourceDetail = sourceDetail;
    }

    /** The dotted key, e.g. {@code async.queue_size}. */
    public String key() {
        return key;
    }

    /** The value as text ({@code "10000"}, {@code "trace_id, traceId"}); null when unset. */
    public String value() {
        return value;
    }

    /** The value as JSON should show it: String, Integer, Long (seconds), Boolean, List or null. */
    Object jsonValue() {
        return jsonValue;
    }

    public SourceKind source() {
        return source;
    }

    /**
     * Which variable, property, argument or file, e.g. {@code env DATANADHI_QUEUE_SIZE}; for a
     * default, {@code default} or why the default is used.
     */
    public String sourceDetail() {
        return sourceDetail;
    }

    @Override
    public String toString() {
        return key + "=" + value + " (" + sourceDetail + ")";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ConfigValue)) {
            return false;
        }
        ConfigValue other = (ConfigValue) o;
        return key.equals(other.key) && Objects.equals(value, other.value) && source == other.source
                && sourceDetail.equals(other.sourceDetail);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, value, source, sourceDetail);
    }
}
