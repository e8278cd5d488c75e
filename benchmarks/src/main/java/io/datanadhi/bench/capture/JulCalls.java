package io.datanadhi.bench.capture;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** java.util.logging, root at INFO, one handler that does nothing. See {@link CaptureCalls}. */
@State(Scope.Thread)
public class JulCalls {

    // Strong references: JUL holds its loggers weakly.
    private Logger root;
    private Logger unmatched;
    private Logger shipped;

    @Setup
    public void configure() {
        LogManager.getLogManager().reset();
        root = Logger.getLogger("");
        root.setLevel(Level.INFO);
        root.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                // nothing: the call path is measured, not the output
            }

            @Override
            public void flush() {
                // nothing buffered
            }

            @Override
            public void close() {
                // nothing held
            }
        });
        unmatched = Logger.getLogger(CaptureCalls.UNMATCHED);
        shipped = Logger.getLogger(CaptureCalls.SHIPPED);
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
        shipped.fine(CaptureCalls.MESSAGE);
    }
}
