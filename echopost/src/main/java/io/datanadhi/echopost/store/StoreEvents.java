package io.datanadhi.echopost.store;

/** Where the store reports what it did: EchoPost's activity log. */
@FunctionalInterface
public interface StoreEvents {
    /** @param fields key/value pairs */
    void event(String name, String message, Object... fields);
}
