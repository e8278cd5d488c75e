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
 *
 * <p>Bounded whatever the value: at most {@link #MAX_DEPTH} levels and {@link #MAX_ELEMENTS}
 * elements in all, so that a collection holding itself (many times over) is copied in a few
 * steps, not forever.
 */
public final class ContextValues {

    private static final int MAX_DEPTH = 8;
    private static final int MAX_ELEMENTS = 1000;
    static final String TOO_DEEP = "(nested too deep)";

    private ContextValues() {}

    public static Object copy(Object value, int maxBytes) {
        if (plain(value)) {
            return value;
        }
        if (value instanceof String) {
            return cap((String) value, maxBytes);
        }
        return new Copy(maxBytes).of(value, 0);
    }

    private static boolean plain(Object value) {
        return value == null || value instanceof Boolean || value instanceof Integer || value instanceof Long
                || value instanceof Double || value instanceof Float || value instanceof Short
                || value instanceof Byte || value instanceof BigDecimal || value instanceof BigInteger;
    }

    /** One value's copy: the elements it may still take, shared by every level. */
    private static final class Copy {
        private final int maxBytes;
        private int elementsLeft = MAX_ELEMENTS;

        Copy(int maxBytes) {
            this.maxBytes = maxBytes;
        }

        Object of(Object value, int depth) {
            if (plain(value)) {
                return value;
            }
            if (value instanceof String) {
                return cap((String) value, maxBytes);
            }
            boolean container = value instanceof Map || value instanceof Collection || value.getClass().isArray();
            if (!container) {
                return text(value, maxBytes);
            }
            if (depth >= MAX_DEPTH) {
                return TOO_DEEP;
            }
            if (value instanceof Map) {
                Map<String, Object> copy = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    if (elementsLeft-- <= 0) {
                        break;
                    }
                    copy.put(text(e.getKey(), maxBytes), of(e.getValue(), depth + 1));
                }
                return copy;
            }
            List<Object> copy = new ArrayList<>();
            if (value instanceof Collection) {
                for (Object item : (Collection<?>) value) {
                    if (elementsLeft-- <= 0) {
                        break;
                    }
                    copy.add(of(item, depth + 1));
                }
                return copy;
            }
            int length = Array.getLength(value);
            for (int i = 0; i < length && elementsLeft-- > 0; i++) {
                copy.add(of(Array.get(value, i), depth + 1));
            }
            return copy;
        }
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
