package io.datanadhi.bench.capture;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.ThreadContext;
import org.apache.logging.log4j.core.LoggerContext;
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

    private LoggerContext context;
    private Logger unmatched;
    private Logger shipped;

    @Setup
    public void configure() {
        ConfigurationBuilder<BuiltConfiguration> builder = ConfigurationBuilderFactory.newConfigurationBuilder();
        builder.setStatusLevel(Level.ERROR);
        builder.add(builder.newAppender("nothing", "Null"));
        builder.add(builder.newRootLogger(Level.INFO).add(builder.newAppenderRef("nothing")));
        context = Configurator.initialize(builder.build());
        ThreadContext.put(CaptureCalls.TENANT_KEY, CaptureCalls.TENANT);
        unmatched = LogManager.getLogger(CaptureCalls.UNMATCHED);
        shipped = LogManager.getLogger(CaptureCalls.SHIPPED);
    }

    @TearDown
    public void stop() {
        Configurator.shutdown(context);
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
