package io.datanadhi.bench.capture;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.openjdk.jmh.annotations.Setup;

/** java.util.logging, root at INFO, one handler that keeps the last record. See {@link CaptureCalls}. */
public class JulCalls extends CaptureCalls {

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
            private LogRecord last;

            @Override
            public void publish(LogRecord record) {
                last = record; // the least a real handler does with it
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
        shipped.fine(CaptureCalls.MESSAGE);
    }
}
