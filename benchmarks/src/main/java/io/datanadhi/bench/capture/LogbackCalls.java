package io.datanadhi.bench.capture;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Logback through SLF4J, root at INFO, one appender that keeps the last event, the MDC entry
 * {@code tenant=acme} on the benchmark thread. See {@link
 * CaptureCalls}.
 */
public class LogbackCalls extends CaptureCalls {

    /** Does with the event the least a real appender does: keeps it (and may read its MDC entry). */
    static final class KeepLastAppender extends AppenderBase<ILoggingEvent> {
        ILoggingEvent last;
        String tenant;

        @Override
        protected void append(ILoggingEvent event) {
            last = event;
            if (CaptureCalls.APPENDER_READS_CONTEXT) {
                tenant = event.getMDCPropertyMap().get(CaptureCalls.TENANT_KEY);
            }
        }
    }

    private KeepLastAppender appender;
    private org.slf4j.Logger unmatched;
    private org.slf4j.Logger shipped;

    @Setup
    public void configure() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        appender = new KeepLastAppender();
        appender.setContext(context);
        appender.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(appender);
        MDC.put(CaptureCalls.TENANT_KEY, CaptureCalls.TENANT);
        unmatched = LoggerFactory.getLogger(CaptureCalls.UNMATCHED);
        shipped = LoggerFactory.getLogger(CaptureCalls.SHIPPED);
    }

    @TearDown
    public void check() {
        // Only where events reach the appender: belowThreshold's never do.
        if (CaptureCalls.APPENDER_READS_CONTEXT && appender.last != null && !CaptureCalls.TENANT.equals(appender.tenant)) {
            throw new IllegalStateException("the appender did not read the MDC entry: " + appender.tenant);
        }
    }

    @Override
    protected void infoUnmatched() {
        unmatched.info(CaptureCalls.MESSAGE);
    }

    @Override
    protected void infoShipped() {
        shipped.info(CaptureCalls.MESSAGE);
    }

    @Override
    protected void debugShipped() {
        shipped.debug(CaptureCalls.MESSAGE);
    }
}
