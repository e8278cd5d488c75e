package io.datanadhi.agent.rules;

import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.agent.json.JsonText;
import java.util.Collection;
import java.util.Map;

/**
 * The text a rule compares a record value with. A string is itself; a number, boolean, object or
 * array is its compact JSON text ({@code 3} is "3", {@code true} is "true", a map is
 * {@code {"sku":"X-1","qty":2}}), so that a rule written as text matches whatever type the
 * application logged. This is the one deliberate difference from the Python SDK, which never
 * matches a number against a string.
 */
public final class Values {


    private Values() {}

    /** The text of a record value, or null for null (JSON null included). */
    public static String text(Object value) {
        CharSequence text = text(value, null);
        return text == null ? null : text.toString();
    }

    /**
     * The same text, for the hot path: strings and booleans are returned without copying, and
     * integral and floating-point numbers are rendered into {@code scratch} (when given) instead
     * of a new String, so that comparing a number allocates nothing.
     */
    static CharSequence text(Object value, StringBuilder scratch) {
        if (value == null) {
            return null;
        }
        if (value instanceof String) {
            return (String) value;
        }
        if (value instanceof Boolean) {
            return (Boolean) value ? "true" : "false";
        }
        if (value instanceof Integer || value instanceof Long
                || value instanceof Short || value instanceof Byte) {
            return blank(scratch).append(((Number) value).longValue());
        }
        // StringBuilder renders doubles and floats as Double/Float.toString, which is also what a
        // shipped record holds.
        if (value instanceof Double) {
            return blank(scratch).append(((Double) value).doubleValue());
        }
        if (value instanceof Float) {
            return blank(scratch).append(((Float) value).floatValue());
        }
        if (value instanceof Number || value instanceof CharSequence || value instanceof Character) {
            return value.toString();
        }
        // Last of the kinds that are not plain values: Jackson's tree classes load only for a tree.
        if (value instanceof Iterable && JsonText.isTree(value)) {
            return nodeText((JsonNode) value, scratch);
        }
        if (value instanceof Map || value instanceof Collection || value.getClass().isArray()) {
            return json(value);
        }
        return safeToString(value);
    }

    private static CharSequence nodeText(JsonNode node, StringBuilder scratch) {
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isBoolean()) {
            return node.booleanValue() ? "true" : "false";
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return blank(scratch).append(node.longValue());
        }
        if (node.isDouble()) {
            return blank(scratch).append(node.doubleValue());
        }
        if (node.isFloat()) {
            return blank(scratch).append(node.floatValue());
        }
        if (node.isValueNode()) {
            return node.asText(); // big numbers, binary (base64)
        }
        return json(node);
    }

    private static StringBuilder blank(StringBuilder scratch) {
        if (scratch == null) {
            return new StringBuilder(24);
        }
        scratch.setLength(0);
        return scratch;
    }

    private static String json(Object value) {
        try {
            return JsonText.compact(value);
        } catch (Exception e) {
            // Rules run on the application's thread: a value we cannot render simply matches
            // through its toString instead of failing the log call.
            return safeToString(value);
        }
    }

    private static String safeToString(Object value) {
        try {
            return String.valueOf(value);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
