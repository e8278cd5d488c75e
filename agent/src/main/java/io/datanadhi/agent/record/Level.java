package io.datanadhi.agent.record;

import java.util.Locale;

/**
 * The normalized levels of a Data Nadhi record, shared with the Python SDK. Every framework's
 * own level maps onto one of these; the original name is kept as {@code native_level}.
 */
public enum Level {
    DEBUG(10), INFO(20), WARNING(30), ERROR(40), CRITICAL(50);

    private final int severity;

    Level(int severity) {
        this.severity = severity;
    }

    /** 10, 20, ... 50, as Python's logging levels. */
    public int severity() {
        return severity;
    }

    public boolean atLeast(Level other) {
        return severity >= other.severity;
    }

    /**
     * Parses a level name as a user writes it in configuration: the normalized names, plus the
     * common framework spellings (TRACE, FINE, CONFIG, WARN, SEVERE, FATAL...). Null if unknown.
     */
    public static Level parse(String name) {
        if (name == null) {
            return null;
        }
        switch (name.trim().toUpperCase(Locale.ROOT)) {
            case "TRACE": case "FINEST": case "FINER": case "FINE": case "DEBUG": case "ALL":
                return DEBUG;
            case "CONFIG": case "INFO":
                return INFO;
            case "WARN": case "WARNING":
                return WARNING;
            case "SEVERE": case "ERROR":
                return ERROR;
            case "FATAL": case "CRITICAL":
                return CRITICAL;
            default:
                return null;
        }
    }
}
