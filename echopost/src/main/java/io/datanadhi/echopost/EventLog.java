package io.datanadhi.echopost;

import io.datanadhi.echopost.store.StoreEvents;
import java.io.PrintStream;
import java.time.Instant;

/**
 * EchoPost's activity log: one JSON line per event with a stable {@code event} name (started,
 * accepting, healthy, replayed, corrupt_segment, disk_refused, exiting, ...), written to the
 * session's {@code events.log} and to stdout. The API key is never passed to it, and is masked
 * if it ever appears. A session log that cannot be written (a full disk) costs its lines, never
 * delivery: {@code log_write_failed} says so on stdout, {@code log_write_resumed} once it works
 * again.
 */
final class EventLog implements StoreEvents, AutoCloseable {

    private final SessionFile file;
    private final PrintStream out;
    private volatile String secret;

    /** @param file the session's events.log */
    EventLog(SessionFile file, PrintStream out) {
        this.file = file;
        this.out = out;
    }

    void redact(String apiKey) {
        secret = apiKey != null && apiKey.length() >= 4 ? apiKey : null;
    }

    void info(String event, String message, Object... fields) {
        write("INFO", event, message, fields);
    }

    void warn(String event, String message, Object... fields) {
        write("WARN", event, message, fields);
    }

    void error(String event, String message, Object... fields) {
        write("ERROR", event, message, fields);
    }

    @Override
    public void event(String name, String message, Object... fields) {
        boolean problem = name.contains("corrupt") || name.contains("failed") || name.contains("damaged")
                || name.contains("refused") || name.contains("truncated");
        write(problem ? "WARN" : "INFO", name, message, fields);
    }

    synchronized void write(String level, String event, String message, Object... fields) {
        StringBuilder line = new StringBuilder(160);
        line.append("{\"time\":\"").append(Instant.now()).append("\",\"level\":\"").append(level)
                .append("\",\"event\":");
        Json.quote(line, event);
        line.append(",\"message\":");
        Json.quote(line, message);
        for (int i = 0; i + 1 < fields.length; i += 2) {
            line.append(',');
            Json.quote(line, String.valueOf(fields[i]));
            line.append(':');
            Object value = fields[i + 1];
            if (value instanceof Number || value instanceof Boolean) {
                line.append(value);
            } else {
                Json.quote(line, value == null ? null : String.valueOf(value));
            }
        }
        line.append('}');
        String text = line.toString();
        String key = secret;
        if (key != null) {
            text = text.replace(key, "****");
        }
        out.println(text);
        file.add(text);
        SessionFile.Change change = file.flush();
        if (change != null) {
            logChanged(file, change); // events.log itself: on stdout, and in the file once it works
        }
    }

    /** Reports that a session log started failing, or works again. */
    void logChanged(SessionFile log, SessionFile.Change change) {
        String name = log.path.getFileName().toString();
        if (change.failing) {
            write("WARN", "log_write_failed", name + " cannot be written (" + change.reason + "): its lines are "
                    + "dropped until it can; delivery goes on", "file", log.path.toString(), "reason", change.reason);
        } else {
            write("INFO", "log_write_resumed", name + " is written again; " + change.dropped
                    + " line(s) were dropped meanwhile", "file", log.path.toString(), "dropped", change.dropped);
        }
    }

    @Override
    public synchronized void close() {
        file.close();
    }

    /**
     * Appends one JSON line per record to {@code agent-success.log} / {@code agent-failure.log},
     * written every 200 ms (or 64 KB): one write for many records while replay runs fast.
     */
    static final class RecordLog implements AutoCloseable {
        private static final long FLUSH_NANOS = 200_000_000L;
        private static final int FLUSH_BYTES = 64 * 1024;
        private final SessionFile file;
        private final EventLog events;
        private long lastFlush = System.nanoTime();

        RecordLog(SessionFile file, EventLog events) {
            this.file = file;
            this.events = events;
        }

        synchronized void append(String line) {
            file.add(line);
            long now = System.nanoTime();
            if (now - lastFlush > FLUSH_NANOS || file.pendingBytes() >= FLUSH_BYTES) {
                flush();
                lastFlush = now;
            }
        }

        private void flush() {
            SessionFile.Change change = file.flush();
            if (change != null) {
                events.logChanged(file, change);
            }
        }

        @Override
        public synchronized void close() {
            flush();
            file.close();
        }
    }
}
