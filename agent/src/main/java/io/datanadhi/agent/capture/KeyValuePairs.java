package io.datanadhi.agent.capture;

import java.lang.reflect.Field;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Reads SLF4J 2 {@code org.slf4j.event.KeyValuePair}s. The agent cannot link against the
 * application's SLF4J, so it reads the pair's public {@code key} and {@code value} fields
 * reflectively, once per class.
 */
public final class KeyValuePairs {

    private static final ClassValue<Field[]> FIELDS = new ClassValue<>() {
        @Override
        protected Field[] computeValue(Class<?> type) {
            try {
                return new Field[] {type.getField("key"), type.getField("value")};
            } catch (NoSuchFieldException | SecurityException e) {
                return null;
            }
        }
    };

    private KeyValuePairs() {}

    /** The value of the last pair named {@code key}, or null. */
    public static Object get(List<?> pairs, String key) {
        if (pairs == null || pairs.isEmpty()) {
            return null;
        }
        if (!(pairs instanceof java.util.RandomAccess)) {
            return get(new java.util.ArrayList<>(pairs), key);
        }
        Object found = null;
        for (int i = 0, n = pairs.size(); i < n; i++) { // indexed: no iterator on the logging path
            Object pair = pairs.get(i);
            if (pair != null) {
                Field[] fields = FIELDS.get(pair.getClass());
                if (fields != null && key.equals(read(fields[0], pair))) {
                    found = read(fields[1], pair);
                }
            }
        }
        return found;
    }

    public static void forEach(List<?> pairs, BiConsumer<String, Object> action) {
        if (pairs == null) {
            return;
        }
        for (Object pair : pairs) {
            if (pair != null) {
                Field[] fields = FIELDS.get(pair.getClass());
                Object key = fields == null ? null : read(fields[0], pair);
                if (key != null) {
                    action.accept(String.valueOf(key), read(fields[1], pair));
                }
            }
        }
    }

    private static Object read(Field field, Object target) {
        try {
            return field.get(target);
        } catch (IllegalAccessException e) {
            return null;
        }
    }
}
