package io.datanadhi.agent.capture.jboss;

import static io.datanadhi.agent.capture.FrameworkApi.call;
import static io.datanadhi.agent.capture.FrameworkApi.findClass;
import static io.datanadhi.agent.capture.FrameworkApi.getter;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.Map;

/**
 * Calls JBoss LogManager's {@code ExtLogRecord} API on the application's copy: method handles
 * looked up once per record class.
 */
final class JbossAccess {

    private static final String RECORD_CLASS = "org.jboss.logmanager.ExtLogRecord";

    private static final ClassValue<JbossAccess> BY_RECORD_CLASS = new ClassValue<>() {
        @Override
        protected JbossAccess computeValue(Class<?> type) {
            return new JbossAccess(type);
        }
    };

    private final MethodHandle formattedMessage;
    private final MethodHandle threadName;
    private final MethodHandle mdcCopy;
    private final MethodHandle ndc;

    private JbossAccess(Class<?> recordClass) {
        Class<?> api = findClass(recordClass, RECORD_CLASS);
        if (api == null) {
            throw new IllegalArgumentException(recordClass + " is not a " + RECORD_CLASS);
        }
        try {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            formattedMessage = getter(lookup, api, "getFormattedMessage");
            threadName = getter(lookup, api, "getThreadName");
            mdcCopy = getter(lookup, api, "getMdcCopy");
            ndc = getter(lookup, api, "getNdc");
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("unsupported JBoss LogManager version: " + e, e);
        }
    }

    static JbossAccess of(Object record) {
        return BY_RECORD_CLASS.get(record.getClass());
    }

    String formattedMessage(Object record) {
        return (String) call(formattedMessage, record);
    }

    String threadName(Object record) {
        return (String) call(threadName, record);
    }

    /** A copy of the MDC the record carries (taken from the logging thread on first use). */
    @SuppressWarnings("unchecked")
    Map<String, String> mdc(Object record) {
        return (Map<String, String>) call(mdcCopy, record);
    }

    String ndc(Object record) {
        return (String) call(ndc, record);
    }
}
