package io.datanadhi.echopost;

import io.datanadhi.echopost.store.StoreEvents;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;

/**
 * EchoPost's activity log: one JSON line per event with a stable {@code event} name (started,
 * accepting, healthy, replayed, corrupt_segment, disk_refused, exiting, ...), written to the
 * session's {@code events.log} and to stdout. The API key is never passed to it, and is masked
 * if it ever appears.
 */
final class EventLog implements StoreEvents, AutoCloseable {

    private final Writer file;
    private final PrintStream out;
    private volatile String secret;

    EventLog(Path file, PrintStream out) throws IOException {
        this.file = openOwnerOnly(file);
        this.out = out;
    }

    /** Opens a session log for appending; created owner-only, since it holds records or what became of them. */
    static BufferedWriter openOwnerOnly(Path file) throws IOException {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (FileAlreadyExistsException appendingToIt) {
                // opened below as it is
            }
        }
        return Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
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
        try {
            file.write(text);
            file.write('\n');
            file.flush();
        } catch (IOException ignored) {
            // stdout still has it
        }
    }

    @Override
    public synchronized void close() throws IOException {
        file.close();
    }

    /** Appends one JSON line per record to {@code agent-success.log} / {@code agent-failure.log}. */
    static final class RecordLog implements AutoCloseable {
        private final BufferedWriter writer;
        private long lastFlush = System.nanoTime();

        RecordLog(Path file) throws IOException {
            this.writer = openOwnerOnly(file);
        }

        synchronized void append(String line) {
            try {
                writer.write(line);
                writer.write('\n');
                long now = System.nanoTime();
                if (now - lastFlush > 200_000_000L) {
                    writer.flush();
                    lastFlush = now;
                }
            } catch (IOException ignored) {
                // A log of deliveries, not the data itself.
            }
        }

        @Override
        public synchronized void close() throws IOException {
            writer.close();
        }
    }
}
