package io.datanadhi.agent.capture.log4j2;

import static io.datanadhi.agent.capture.FrameworkApi.call;
import static io.datanadhi.agent.capture.FrameworkApi.failure;
import static io.datanadhi.agent.capture.FrameworkApi.findClass;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.function.BiConsumer;

/**
 * The fields of a Log4j 2 {@code MapMessage} (and so of a {@code StructuredDataMessage}), read
 * in place through its {@code IndexedReadOnlyStringMap}: no copy of the map is made, so a rule
 * that looks for a field in an event's message allocates nothing. Looked up once per message
 * class; {@link #NONE} for any other message.
 */
final class MapMessageAccess {

    private static final String MAP_MESSAGE = "org.apache.logging.log4j.message.MapMessage";

    static final MapMessageAccess NONE = new MapMessageAccess();

    private static final ClassValue<MapMessageAccess> BY_MESSAGE_CLASS = new ClassValue<>() {
        @Override
        protected MapMessageAccess computeValue(Class<?> type) {
            Class<?> mapMessage = findClass(type, MAP_MESSAGE);
            if (mapMessage == null) {
                return NONE;
            }
            try {
                return new MapMessageAccess(mapMessage);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return NONE; // an unknown Log4j version: its messages read as text only
            }
        }
    };

    private final MethodHandle fields;
    private final MethodHandle size;
    private final MethodHandle keyAt;
    private final MethodHandle valueAt;
    private final MethodHandle value;

    private MapMessageAccess() {
        fields = size = keyAt = valueAt = value = null;
    }

    private MapMessageAccess(Class<?> mapMessage) throws ReflectiveOperationException {
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        Method getMap = mapMessage.getMethod("getIndexedReadOnlyStringMap");
        Class<?> map = getMap.getReturnType();
        fields = lookup.unreflect(getMap).asType(MethodType.methodType(Object.class, Object.class));
        size = lookup.unreflect(map.getMethod("size")).asType(MethodType.methodType(int.class, Object.class));
        keyAt = lookup.unreflect(map.getMethod("getKeyAt", int.class))
                .asType(MethodType.methodType(String.class, Object.class, int.class));
        valueAt = lookup.unreflect(map.getMethod("getValueAt", int.class))
                .asType(MethodType.methodType(Object.class, Object.class, int.class));
        value = lookup.unreflect(map.getMethod("getValue", String.class))
                .asType(MethodType.methodType(Object.class, Object.class, String.class));
    }

    static MapMessageAccess of(Object message) {
        return message == null ? NONE : BY_MESSAGE_CLASS.get(message.getClass());
    }

    /** The field named {@code key}, or null (also for a message that is no MapMessage). */
    Object value(Object message, String key) {
        if (this == NONE) {
            return null;
        }
        try {
            Object map = call(fields, message);
            return map == null ? null : (Object) value.invokeExact(map, key);
        } catch (Throwable t) {
            throw failure(t);
        }
    }

    /** Every field, in the map's order. */
    void forEach(Object message, BiConsumer<String, Object> action) {
        if (this == NONE) {
            return;
        }
        try {
            Object map = call(fields, message);
            if (map == null) {
                return;
            }
            int n = (int) size.invokeExact(map);
            for (int i = 0; i < n; i++) {
                String key = (String) keyAt.invokeExact(map, i);
                if (key != null) {
                    action.accept(key, (Object) valueAt.invokeExact(map, i));
                }
            }
        } catch (Throwable t) {
            throw failure(t);
        }
    }
}
