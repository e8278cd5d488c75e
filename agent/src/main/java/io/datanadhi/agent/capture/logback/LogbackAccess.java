package io.datanadhi.agent.capture.logback;

import static io.datanadhi.agent.capture.FrameworkApi.GETTER;
import static io.datanadhi.agent.capture.FrameworkApi.call;
import static io.datanadhi.agent.capture.FrameworkApi.findInterface;
import static io.datanadhi.agent.capture.FrameworkApi.getter;
import static io.datanadhi.agent.capture.FrameworkApi.onClass;

import io.datanadhi.agent.capture.HandleAccess;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;

/**
 * Calls Logback's API on the application's own Logback, which the agent's class loader cannot
 * link against: method handles looked up once per event class, through the public
 * {@code ILoggingEvent} interface. Works with every Logback from 1.0 on; key-value pairs only
 * exist from 1.3 (SLF4J 2).
 */
final class LogbackAccess extends HandleAccess {

    private static final String EVENT_INTERFACE = "ch.qos.logback.classic.spi.ILoggingEvent";

    private static final ClassValue<LogbackAccess> BY_EVENT_CLASS = new ClassValue<>() {
        @Override
        protected LogbackAccess computeValue(Class<?> type) {
            return new LogbackAccess(type);
        }
    };

    /** ThrowableProxy.getThrowable(), per proxy class (absent for deserialized events). */
    private static final ClassValue<MethodHandle> THROWABLE_OF_PROXY = new ClassValue<>() {
        @Override
        protected MethodHandle computeValue(Class<?> type) {
            try {
                return MethodHandles.publicLookup().unreflect(type.getMethod("getThrowable")).asType(GETTER);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }
    };

    /** {@code (Object) Object}: the getters {@link LogbackEvents} calls through {@link io.datanadhi.agent.capture.InlinedGetter}s. */
    final MethodHandle formattedMessage;
    final MethodHandle mdc;
    /** Logback 1.3 on; before, a handle that returns null. */
    final MethodHandle keyValuePairs;
    private final MethodHandle throwableProxy;

    private LogbackAccess(Class<?> eventClass) {
        Class<?> api = findInterface(eventClass, EVENT_INTERFACE);
        if (api == null) {
            throw new IllegalArgumentException(eventClass + " is not an " + EVENT_INTERFACE);
        }
        try {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            Method getLevel = api.getMethod("getLevel");
            Class<?> levelClass = getLevel.getReturnType();
            level = onClass(lookup, eventClass, getLevel).asType(GETTER);
            levelValue = lookup.unreflectGetter(levelClass.getField("levelInt"))
                    .asType(MethodType.methodType(int.class, Object.class));
            levelName = lookup.unreflectGetter(levelClass.getField("levelStr")).asType(GETTER);
            loggerName = getter(lookup, eventClass, api, "getLoggerName");
            formattedMessage = getter(lookup, eventClass, api, "getFormattedMessage");
            threadName = getter(lookup, api, "getThreadName");
            timestamp = lookup.unreflect(api.getMethod("getTimeStamp"))
                    .asType(MethodType.methodType(long.class, Object.class));
            mdc = getter(lookup, eventClass, api, "getMDCPropertyMap");
            throwableProxy = getter(lookup, api, "getThrowableProxy");
            MethodHandle pairs = optionalGetter(lookup, eventClass, api, "getKeyValuePairs");
            keyValuePairs = pairs != null ? pairs
                    : MethodHandles.dropArguments(MethodHandles.constant(Object.class, null), 0, Object.class);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("unsupported Logback version: " + e, e);
        }
    }

    static LogbackAccess of(Object event) {
        return BY_EVENT_CLASS.get(event.getClass());
    }

    static LogbackAccess forClass(Class<?> eventClass) {
        return BY_EVENT_CLASS.get(eventClass);
    }

    @Override
    public String message(Object event) {
        return (String) call(formattedMessage, event);
    }

    @SuppressWarnings("unchecked")
    @Override
    public Map<String, ?> context(Object event) {
        return (Map<String, ?>) call(mdc, event);
    }

    /** The exception, when the event carries the real one (not a deserialized copy). */
    @Override
    public Throwable thrown(Object event) {
        Object proxy = call(throwableProxy, event);
        if (proxy == null) {
            return null;
        }
        MethodHandle getThrowable = THROWABLE_OF_PROXY.get(proxy.getClass());
        return getThrowable == null ? null : (Throwable) call(getThrowable, proxy);
    }

    private static MethodHandle optionalGetter(MethodHandles.Lookup lookup, Class<?> eventClass, Class<?> api,
            String name) throws IllegalAccessException {
        try {
            return onClass(lookup, eventClass, api.getMethod(name)).asType(GETTER);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }
}
