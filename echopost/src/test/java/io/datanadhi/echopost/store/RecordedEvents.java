package io.datanadhi.echopost.store;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The store's activity log, kept for assertions. */
final class RecordedEvents implements StoreEvents {

    static final class Event {
        final String name;
        final String message;
        final Map<String, Object> fields = new LinkedHashMap<>();

        Event(String name, String message, Object... fields) {
            this.name = name;
            this.message = message;
            for (int i = 0; i + 1 < fields.length; i += 2) {
                this.fields.put(String.valueOf(fields[i]), fields[i + 1]);
            }
        }

        long number(String field) {
            return ((Number) fields.get(field)).longValue();
        }

        @Override
        public String toString() {
            return name + " " + fields + ": " + message;
        }
    }

    private final List<Event> events = new ArrayList<>();

    @Override
    public synchronized void event(String name, String message, Object... fields) {
        events.add(new Event(name, message, fields));
    }

    synchronized List<Event> all() {
        return new ArrayList<>(events);
    }

    synchronized List<Event> named(String name) {
        return events.stream().filter(e -> e.name.equals(name)).collect(Collectors.toList());
    }

    @Override
    public synchronized String toString() {
        return events.toString();
    }
}
