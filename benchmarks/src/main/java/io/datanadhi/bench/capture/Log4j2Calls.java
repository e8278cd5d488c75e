package io.datanadhi.bench.capture;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.ThreadContext;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Log4j 2 (synchronous loggers, its defaults otherwise), root at INFO, one {@code Null}
 * appender, the thread context entry {@code tenant=acme} on the benchmark thread. See {@link
 * CaptureCalls}.
 */
public class Log4j2Calls extends CaptureCalls {

    /** Beside the {@code Null} appender with {@link CaptureCalls#APPENDER_READS_CONTEXT}: reads the context entry. */
    static final class ReadContextAppender extends AbstractAppender {
        Object tenant;
        long calls;

        ReadContextAppender() {
            super("reads-context", null, null, true, Property.EMPTY_ARRAY);
        }

        @Override
        public void append(LogEvent event) {
            tenant = event.getContextData().getValue(CaptureCalls.TENANT_KEY);
            calls++;
        }
    }

    private LoggerContext context;
    private ReadContextAppender reader;
    private Logger unmatched;
    private Logger shipped;

    @Setup
    public void configure() {
        ConfigurationBuilder<BuiltConfiguration> builder = ConfigurationBuilderFactory.newConfigurationBuilder();
        builder.setStatusLevel(Level.ERROR);
        builder.add(builder.newAppender("nothing", "Null"));
        builder.add(builder.newRootLogger(Level.INFO).add(builder.newAppenderRef("nothing")));
        context = Configurator.initialize(builder.build());
        if (CaptureCalls.APPENDER_READS_CONTEXT) {
            reader = new ReadContextAppender();
            reader.start();
            context.getConfiguration().addAppender(reader);
            context.getConfiguration().getRootLogger().addAppender(reader, null, null);
            context.updateLoggers();
        }
        ThreadContext.put(CaptureCalls.TENANT_KEY, CaptureCalls.TENANT);
        unmatched = LogManager.getLogger(CaptureCalls.UNMATCHED);
        shipped = LogManager.getLogger(CaptureCalls.SHIPPED);
    }

    @TearDown
    public void stop() {
        try {
            // Only where events reach the appender: belowThreshold's never do.
            if (reader != null && reader.calls > 0 && !CaptureCalls.TENANT.equals(reader.tenant)) {
                throw new IllegalStateException("the appender did not read the context entry: " + reader.tenant);
            }
        } finally {
            Configurator.shutdown(context);
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
