package io.datanadhi.agent.record;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies a context value (MDC entry, key-value pair) into plain JSON-friendly values on the
 * logging thread: strings, numbers, booleans, maps and lists. Any other object becomes its
 * {@code toString()}, guarded, so that an application object is never serialized by reflection
 * and never read later from another thread.
 */
public final class ContextValues {

    private static final int MAX_DEPTH = 8;
    private static final int MAX_ELEMENTS = 1000;

    private ContextValues() {}

    public static Object copy(Object value, int maxBytes) {
        return copy(value, maxBytes, 0);
    }

    private static Object copy(Object value, int maxBytes, int depth) {
        if (value == null || value instanceof Boolean || value instanceof Integer || value instanceof Long
                || value instanceof Double || value instanceof Float || value instanceof Short
                || value instanceof Byte || value instanceof BigDecimal || value instanceof BigInteger) {
            return value;
        }
        if (value instanceof String) {
            return cap((String) value, maxBytes);
        }
        if (depth < MAX_DEPTH) {
            if (value instanceof Map) {
                Map<String, Object> copy = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    if (copy.size() >= MAX_ELEMENTS) {
                        break;
                    }
                    copy.put(text(e.getKey(), maxBytes), copy(e.getValue(), maxBytes, depth + 1));
                }
                return copy;
            }
            if (value instanceof Collection) {
                List<Object> copy = new ArrayList<>();
                for (Object item : (Collection<?>) value) {
                    if (copy.size() >= MAX_ELEMENTS) {
                        break;
                    }
                    copy.add(copy(item, maxBytes, depth + 1));
                }
                return copy;
            }
            if (value.getClass().isArray()) {
                int length = Math.min(Array.getLength(value), MAX_ELEMENTS);
                List<Object> copy = new ArrayList<>(length);
                for (int i = 0; i < length; i++) {
                    copy.add(copy(Array.get(value, i), maxBytes, depth + 1));
                }
                return copy;
            }
        }
        return text(value, maxBytes);
    }

    /** {@code String.valueOf}, but a {@code toString} that throws or recurses cannot escape. */
    public static String text(Object value, int maxBytes) {
        try {
            return cap(String.valueOf(value), maxBytes);
        } catch (Throwable e) {
            return "(" + value.getClass().getName() + ".toString() threw " + e.getClass().getName() + ")";
        }
    }

    private static String cap(String s, int maxBytes) {
        return Utf8Cut.cut(s, maxBytes);
    }
}
