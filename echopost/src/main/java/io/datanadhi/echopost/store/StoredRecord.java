package io.datanadhi.echopost.store;

/** One record read back from the store for replay. */
public final class StoredRecord {
    public final long sequence;
    public final long storedAtMillis;
    /** {@code {"pipelines": [...], "log_data": {...}}}, the body of {@code POST /log}. */
    public final byte[] body;

    StoredRecord(long sequence, long storedAtMillis, byte[] body) {
        this.sequence = sequence;
        this.storedAtMillis = storedAtMillis;
        this.body = body;
    }
}
