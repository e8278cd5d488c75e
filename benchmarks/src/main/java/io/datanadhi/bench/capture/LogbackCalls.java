package io.datanadhi.bench.capture;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.helpers.NOPAppender;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.slf4j.LoggerFactory;

/** Logback through SLF4J, root at INFO, one {@link NOPAppender}. See {@link CaptureCalls}. */
@State(Scope.Thread)
public class LogbackCalls {

    private org.slf4j.Logger unmatched;
    private org.slf4j.Logger shipped;

    @Setup
    public void configure() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        NOPAppender<ILoggingEvent> nop = new NOPAppender<>();
        nop.setContext(context);
        nop.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(nop);
        unmatched = LoggerFactory.getLogger(CaptureCalls.UNMATCHED);
        shipped = LoggerFactory.getLogger(CaptureCalls.SHIPPED);
    }

    @Benchmark
    public void unmatched() {
        unmatched.info(CaptureCalls.MESSAGE);
    }

    @Benchmark
    @OperationsPerInvocation(CaptureCalls.BURST)
    public void shipped(CaptureCalls.DrainPause pause) {
        for (int i = 0; i < CaptureCalls.BURST; i++) {
            shipped.info(CaptureCalls.MESSAGE);
        }
    }

    @Benchmark
    public void belowThreshold() {
        shipped.debug(CaptureCalls.MESSAGE);
    }
}
