package io.datanadhi.agent.capture.jboss;

import io.datanadhi.agent.capture.jul.JulEvents;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.LogRecord;

/**
 * Reads JBoss LogManager's {@code ExtLogRecord}s: a JUL LogRecord (level, logger, exception and
 * time are read as JUL's), plus the message in the record's own format style (printf or
 * MessageFormat), the thread name, the MDC and the NDC, through {@link JbossAccess}.
 * Levels: FATAL 1100 -> CRITICAL, ERROR 1000, WARN 900, INFO 800, DEBUG 500 and TRACE 400 ->
 * DEBUG, and JUL's own levels as for JUL.
 */
final class JbossEvents extends JulEvents {

    static final String NDC_KEY = "ndc";

    @Override
    protected String message(LogRecord record) {
        try {
            String text = JbossAccess.of(record).formattedMessage(record);
            return text == null ? "" : text;
        } catch (Throwable e) {
            // A parameter whose toString throws or recurses: what JUL's formatting makes of it.
            return super.message(record);
        }
    }

    @Override
    public String threadName(CapturedEvent event) {
        return JbossAccess.of(event.event).threadName(event.event);
    }

    /** The MDC, plus the NDC under {@value #NDC_KEY} when there is one; null when both are empty. */
    @Override
    public Map<String, ?> context(CapturedEvent event) {
        return context((LogRecord) event.event);
    }

    @Override
    protected Object contextValue(LogRecord record, String key) {
        Map<String, ?> context = context(record);
        return context == null ? null : context.get(key);
    }

    private static Map<String, ?> context(LogRecord record) {
        JbossAccess access = JbossAccess.of(record);
        Map<String, String> mdc = access.mdc(record);
        String ndc = access.ndc(record);
        if (ndc == null || ndc.isEmpty()) {
            return mdc == null || mdc.isEmpty() ? null : mdc;
        }
        Map<String, Object> context = mdc == null ? new HashMap<>() : new HashMap<>(mdc);
        context.putIfAbsent(NDC_KEY, ndc);
        return context;
    }
}
