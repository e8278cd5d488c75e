package io.datanadhi.agent.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON text of plain values (strings, numbers, booleans, maps, lists, Jackson trees) without
 * loading Jackson: the agent's start-up writes its resolved files with this, and an idle agent
 * never loads Jackson at all.
 */
public final class JsonText {

    private static final int MAX_NESTING = 64;

    private JsonText() {}

    /** Compact JSON, e.g. {@code {"sku":"X-1","qty":2}}. */
    public static String compact(Object value) {
        StringBuilder out = new StringBuilder(64);
        write(out, value, null, 0);
        return out.toString();
    }

    /** Indented JSON, UTF-8, ending with a newline: for files people read. */
    public static byte[] pretty(Object value) {
        StringBuilder out = new StringBuilder(1024);
        write(out, value, "\n", 0);
        out.append('\n');
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** @param newline null for compact output, else the current line break and indentation */
    private static void write(StringBuilder out, Object value, String newline, int depth) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String) {
            quote(out, (String) value);
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long
                || value instanceof Short || value instanceof Byte || value instanceof BigInteger
                || value instanceof BigDecimal) {
            out.append(value);
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isFinite(d)) {
                out.append(value);
            } else {
                quote(out, String.valueOf(d));
            }
        } else if (value instanceof Map && depth < MAX_NESTING) {
            Map<?, ?> map = (Map<?, ?>) value;
            out.append('{');
            String inner = newline == null ? null : newline + "  ";
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                if (inner != null) {
                    out.append(inner);
                }
                quote(out, String.valueOf(e.getKey()));
                out.append(newline == null ? ":" : ": ");
                write(out, e.getValue(), inner, depth + 1);
            }
            if (newline != null && !map.isEmpty()) {
                out.append(newline);
            }
            out.append('}');
        } else if (value instanceof Iterable && isTree(value)) {
            writeNode(out, (JsonNode) value, newline, depth);
        } else if (value instanceof Iterable && depth < MAX_NESTING) {
            out.append('[');
            String inner = newline == null ? null : newline + "  ";
            boolean first = true;
            for (Object item : (Iterable<?>) value) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                if (inner != null) {
                    out.append(inner);
                }
                write(out, item, inner, depth + 1);
            }
            if (newline != null && !first) {
                out.append(newline);
            }
            out.append(']');
        } else {
            quote(out, String.valueOf(value));
        }
    }

    /** A Jackson tree is never a Collection: its classes load only for other iterables. */
    public static boolean isTree(Object value) {
        return !(value instanceof java.util.Collection) && value instanceof JsonNode;
    }

    private static void writeNode(StringBuilder out, JsonNode node, String newline, int depth) {
        if (node.isObject()) {
            Map<String, JsonNode> fields = new java.util.LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                fields.put(e.getKey(), e.getValue());
            }
            write(out, fields, newline, depth);
        } else if (node.isArray()) {
            java.util.List<JsonNode> items = new java.util.ArrayList<>();
            node.forEach(items::add);
            write(out, items, newline, depth);
        } else if (node.isTextual()) {
            quote(out, node.textValue());
        } else if (node.isNull() || node.isMissingNode()) {
            out.append("null");
        } else if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
            // As for Double values above: NaN and Infinity are not JSON numbers.
            quote(out, node.asText());
        } else if (node.isBoolean() || node.isNumber()) {
            out.append(node.asText());
        } else {
            quote(out, node.asText());
        }
    }

    /** Appends {@code s} as a JSON string. */
    public static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        out.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
