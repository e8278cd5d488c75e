package io.datanadhi.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * One received record as the dev-server prints it:
 * {@code 12:01:02.345  ERROR     com.acme.OrderService  payment failed  pipelines=[errors]  trace_id=ab12cd34…  key=✓}.
 */
final class ReceivedRecordLine {
    static final int MAX_MESSAGE = 160;
    private static final int TRACE_ID_SHOWN = 8;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private ReceivedRecordLine() {}

    /**
     * @param record one {@code {"pipelines": [...], "log_data": {...}}}
     * @param keyPresent whether the request carried the API key header
     * @param viaFallback whether it came through {@code POST /upload}
     */
    static String format(JsonNode record, boolean keyPresent, boolean viaFallback, ZoneId zone) {
        JsonNode data = record.path("log_data");
        JsonNode logRecord = data.path("log_record");
        StringBuilder line = new StringBuilder(200);
        line.append(time(data.path("timestamp"), zone)).append("  ");
        line.append(String.format("%-8s", text(logRecord.path("level"), "-"))).append("  ");
        line.append(firstPresent(logRecord.path("module_name"), logRecord.path("class_name"), data.path("module_name")))
                .append("  ");
        line.append(message(data.path("message"))).append("  ");
        line.append("pipelines=").append(pipelines(record.path("pipelines"))).append("  ");
        line.append("trace_id=").append(shortTraceId(text(data.path("trace_id"), "-"))).append("  ");
        line.append("key=").append(keyPresent ? "✓" : "missing");
        if (viaFallback) {
            line.append("  via=fallback /upload");
        }
        return line.toString();
    }

    private static String time(JsonNode timestamp, ZoneId zone) {
        String text = text(timestamp, null);
        if (text == null) {
            return "--:--:--.---";
        }
        try {
            return TIME.format(Instant.parse(text).atZone(zone));
        } catch (DateTimeParseException e) {
            // Not UTC "Z": try an explicit offset, then a local time as the Python SDK may send.
        }
        try {
            return TIME.format(OffsetDateTime.parse(text).atZoneSameInstant(zone));
        } catch (DateTimeParseException e) {
            // next
        }
        try {
            return TIME.format(LocalDateTime.parse(text));
        } catch (DateTimeParseException e) {
            return shorten(escape(text), 24);
        }
    }

    private static String firstPresent(JsonNode... candidates) {
        for (JsonNode candidate : candidates) {
            String text = text(candidate, null);
            if (text != null && !text.isEmpty()) {
                return shorten(escape(text), 80);
            }
        }
        return "-";
    }

    private static String message(JsonNode message) {
        return shorten(escape(text(message, "")), MAX_MESSAGE);
    }

    private static String pipelines(JsonNode pipelines) {
        StringBuilder b = new StringBuilder("[");
        for (JsonNode pipeline : pipelines) {
            if (b.length() > 1) {
                b.append(", ");
            }
            b.append(escape(pipeline.isValueNode() ? pipeline.asText() : pipeline.toString()));
        }
        return b.append(']').toString();
    }

    private static String shortTraceId(String traceId) {
        return traceId.length() > TRACE_ID_SHOWN ? escape(traceId.substring(0, TRACE_ID_SHOWN)) + "…" : escape(traceId);
    }

    /** A JSON value as text: strings as they are, other values as compact JSON. */
    private static String text(JsonNode node, String missing) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return missing;
        }
        return node.isValueNode() ? node.asText() : node.toString();
    }

    /** One record, one line: line breaks and other control characters are shown escaped. */
    static String escape(String text) {
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isISOControl(c)) {
                if (b != null) {
                    b.append(c);
                }
                continue;
            }
            if (b == null) {
                b = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            switch (c) {
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default: b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b == null ? text : b.toString();
    }

    static String shorten(String text, int max) {
        if (text.length() <= max) {
            return text;
        }
        int end = max - 1;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // never split a character in two
        }
        return text.substring(0, end) + "…";
    }
}
