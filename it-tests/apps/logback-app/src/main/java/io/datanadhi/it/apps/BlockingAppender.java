package io.datanadhi.it.apps;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.datanadhi.it.apps.support.AppenderTally;
import org.slf4j.MDC;

/**
 * The application's own appender for the virtual-thread scenarios: sleeps in every append and
 * tallies what it received (see {@link AppenderTally}), the task being {@code task} in the
 * event's MDC and the logging thread's.
 *
 * <p>Not an {@code AppenderBase}: its {@code doAppend} is synchronized, and would run the tasks one
 * at a time.
 */
final class BlockingAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

    private final AppenderTally received;

    BlockingAppender(AppenderTally received) {
        this.received = received;
        setName("BLOCKING");
    }

    @Override
    protected void append(ILoggingEvent event) {
        received.append(event.getMDCPropertyMap().get("task"), () -> MDC.get("task"));
    }
}
