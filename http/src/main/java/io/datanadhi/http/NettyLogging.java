package io.datanadhi.http;

import io.grpc.netty.shaded.io.netty.util.internal.logging.AbstractInternalLogger;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLogger;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLoggerFactory;

/**
 * Where Netty's own log lines go. Left alone, Netty logs through java.util.logging: inside an
 * application that is the application's console (and an early LogManager, which an application
 * server that installs its own must not find). Installed before any other Netty class is used,
 * every line goes to one sink instead; a line at any level is handed over as a debug message.
 */
public final class NettyLogging {

    /** Takes Netty's lines. */
    public interface Sink {
        /** Checked before a line is formatted. */
        boolean enabled();

        void log(String logger, String message, Throwable error);
    }

    private static volatile boolean installed;

    private NettyLogging() {}

    /** Routes Netty's logging to {@code sink}; the first call wins. */
    public static synchronized void install(Sink sink) {
        if (!installed) {
            installed = true;
            InternalLoggerFactory.setDefaultFactory(new InternalLoggerFactory() {
                @Override
                protected InternalLogger newInstance(String name) {
                    return new Logger(name, sink);
                }
            });
        }
    }

    /** A logger writing to {@code sink}, without installing anything: for tests. */
    static InternalLogger logger(String name, Sink sink) {
        return new Logger(name, sink);
    }

    private static final class Logger extends AbstractInternalLogger {
        private static final long serialVersionUID = 1L;
        private final transient Sink sink;

        Logger(String name, Sink sink) {
            super(name);
            this.sink = sink;
        }

        private void log(String message, Throwable t) {
            if (sink.enabled()) {
                sink.log(name(), message, t);
            }
        }

        /** Netty's SLF4J-style "{}" placeholders, filled in order; a trailing Throwable is the cause. */
        private void logFormatted(String format, Object... arguments) {
            if (!sink.enabled()) {
                return;
            }
            StringBuilder text = new StringBuilder(format.length() + 32);
            int used = 0;
            int from = 0;
            for (int at = format.indexOf("{}"); at >= 0; at = format.indexOf("{}", from)) {
                text.append(format, from, at);
                text.append(used < arguments.length ? safeText(arguments[used++]) : "{}");
                from = at + 2;
            }
            text.append(format, from, format.length());
            Object last = arguments.length == 0 ? null : arguments[arguments.length - 1];
            log(text.toString(), used < arguments.length && last instanceof Throwable ? (Throwable) last : null);
        }

        private static String safeText(Object value) {
            try {
                return value instanceof byte[] ? ((byte[]) value).length + " bytes" : String.valueOf(value);
            } catch (RuntimeException e) {
                return "(" + e.getClass().getSimpleName() + ")";
            }
        }

        @Override public boolean isTraceEnabled() { return false; }
        @Override public void trace(String msg) { }
        @Override public void trace(String format, Object arg) { }
        @Override public void trace(String format, Object argA, Object argB) { }
        @Override public void trace(String format, Object... arguments) { }
        @Override public void trace(String msg, Throwable t) { }
        @Override public boolean isDebugEnabled() { return sink.enabled(); }
        @Override public void debug(String msg) { log(msg, null); }
        @Override public void debug(String format, Object arg) { logFormatted(format, new Object[] {arg}); }
        @Override public void debug(String format, Object argA, Object argB) { logFormatted(format, new Object[] {argA, argB}); }
        @Override public void debug(String format, Object... arguments) { logFormatted(format, arguments); }
        @Override public void debug(String msg, Throwable t) { log(msg, t); }
        @Override public boolean isInfoEnabled() { return isDebugEnabled(); }
        @Override public void info(String msg) { log(msg, null); }
        @Override public void info(String format, Object arg) { logFormatted(format, new Object[] {arg}); }
        @Override public void info(String format, Object argA, Object argB) { logFormatted(format, new Object[] {argA, argB}); }
        @Override public void info(String format, Object... arguments) { logFormatted(format, arguments); }
        @Override public void info(String msg, Throwable t) { log(msg, t); }
        @Override public boolean isWarnEnabled() { return isDebugEnabled(); }
        @Override public void warn(String msg) { log(msg, null); }
        @Override public void warn(String format, Object arg) { logFormatted(format, new Object[] {arg}); }
        @Override public void warn(String format, Object... arguments) { logFormatted(format, arguments); }
        @Override public void warn(String format, Object argA, Object argB) { logFormatted(format, new Object[] {argA, argB}); }
        @Override public void warn(String msg, Throwable t) { log(msg, t); }
        @Override public boolean isErrorEnabled() { return isDebugEnabled(); }
        @Override public void error(String msg) { log(msg, null); }
        @Override public void error(String format, Object arg) { logFormatted(format, new Object[] {arg}); }
        @Override public void error(String format, Object argA, Object argB) { logFormatted(format, new Object[] {argA, argB}); }
        @Override public void error(String format, Object... arguments) { logFormatted(format, arguments); }
        @Override public void error(String msg, Throwable t) { log(msg, t); }
    }
}
