package io.datanadhi.agent.diag;

import io.datanadhi.agent.json.JsonText;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import io.datanadhi.agent.record.UtcTime;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The agent's own diagnostics: one JSON line per message on the process's real stderr, with a
 * stable {@code event} name, e.g.
 * {@code {"time":"...","logger":"datanadhi","level":"WARN","event":"rules_entry_skipped",...}}.
 *
 * <p>They never go through the application's logging (so they are never captured), never carry a
 * stack trace above DEBUG, and never contain the API key: the key is registered with {@link
 * #redact} as soon as it is known, and every line is scrubbed of it.
 */
public final class Diagnostics {

    public enum Level {
        DEBUG, INFO, WARN, ERROR, OFF;

        /** Parses DEBUG/INFO/WARN/WARNING/ERROR/OFF, case-insensitively; null when unknown. */
        public static Level parse(String text) {
            if (text == null) {
                return null;
            }
            String t = text.trim().toUpperCase(Locale.ROOT);
            if (t.equals("WARNING")) {
                return WARN;
            }
            for (Level level : values()) {
                if (level.name().equals(t)) {
                    return level;
                }
            }
            return null;
        }
    }

    // FileDescriptor.err, not System.err: an application that redirects System.err into its
    // logging must not receive (and capture) the agent's own lines.
    private static volatile PrintStream out =
            new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    private static volatile Level threshold = Level.INFO;
    private static volatile String secret;
    private static final CopyOnWriteArrayList<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

    private Diagnostics() {}

    public static void setThreshold(Level level) {
        threshold = level;
    }

    public static Level threshold() {
        return threshold;
    }

    public static boolean enabled(Level level) {
        return level.ordinal() >= threshold.ordinal() && level != Level.OFF;
    }

    /** Keys shorter than this are not real secrets, and masking them would garble every line. */
    static final int MIN_REDACTED_LENGTH = 8;

    /** Registers the API key so that it is masked in every line written from now on. */
    public static void redact(String apiKey) {
        secret = apiKey == null || apiKey.length() < MIN_REDACTED_LENGTH ? null : apiKey;
    }

    /** For tests and the command-line tools: write lines somewhere else. */
    public static void setOutput(OutputStream stream) {
        out = new PrintStream(stream, true, StandardCharsets.UTF_8);
    }

    /** For tests: sees every line written, whatever the threshold. */
    public static void addListener(Consumer<String> listener) {
        listeners.add(listener);
    }

    public static void removeListener(Consumer<String> listener) {
        listeners.remove(listener);
    }

    public static void debug(String event, String message, Object... fields) {
        log(Level.DEBUG, event, message, null, fields);
    }

    public static void info(String event, String message, Object... fields) {
        log(Level.INFO, event, message, null, fields);
    }

    public static void warn(String event, String message, Object... fields) {
        log(Level.WARN, event, message, null, fields);
    }

    public static void error(String event, String message, Object... fields) {
        log(Level.ERROR, event, message, null, fields);
    }

    /** A warning caused by an exception: its type and message, and its stack trace at DEBUG. */
    public static void warn(String event, String message, Throwable cause, Object... fields) {
        log(Level.WARN, event, message, cause, fields);
    }

    /**
     * Writes one line. {@code fields} are key/value pairs appended after the message. Never
     * throws.
     */
    public static void log(Level level, String event, String message, Throwable cause, Object... fields) {
        boolean print = enabled(level);
        if (!print && listeners.isEmpty()) {
            return;
        }
        try {
            String line = format(level, event, message, cause, fields);
            if (print) {
                out.println(line);
            }
            for (Consumer<String> listener : listeners) {
                listener.accept(line);
            }
        } catch (Throwable ignored) {
            // Diagnostics must never hurt the application.
        }
    }

    static String format(Level level, String event, String message, Throwable cause, Object... fields) {
        StringBuilder b = new StringBuilder(160);
        b.append("{\"time\":\"").append(UtcTime.of(Instant.now())).append('"');
        b.append(",\"logger\":\"datanadhi\"");
        b.append(",\"level\":\"").append(level.name()).append('"');
        b.append(",\"event\":");
        quote(b, event);
        b.append(",\"message\":");
        quote(b, message);
        if (fields != null) {
            for (int i = 0; i + 1 < fields.length; i += 2) {
                b.append(',');
                quote(b, String.valueOf(fields[i]));
                b.append(':');
                Object value = fields[i + 1];
                if (value instanceof Number || value instanceof Boolean) {
                    b.append(value);
                } else {
                    quote(b, value == null ? null : String.valueOf(value));
                }
            }
        }
        if (cause != null) {
            b.append(",\"error\":");
            quote(b, cause.getClass().getName() + ": " + safeMessage(cause));
            if (enabled(Level.DEBUG)) {
                b.append(",\"stacktrace\":");
                java.io.StringWriter w = new java.io.StringWriter();
                cause.printStackTrace(new java.io.PrintWriter(w));
                quote(b, w.toString());
            }
        }
        b.append('}');
        String line = b.toString();
        String key = secret;
        return key == null ? line : line.replace(key, "****");
    }

    private static void quote(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
        } else {
            JsonText.quote(b, s);
        }
    }

    private static String safeMessage(Throwable t) {
        try {
            return String.valueOf(t.getMessage());
        } catch (Throwable e) {
            return "(message unavailable)";
        }
    }
}
