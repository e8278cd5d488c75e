package io.datanadhi.agent.record;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Formats an exception like {@code printStackTrace}, with causes and suppressed exceptions,
 * but safely: a {@code getMessage} that throws, a cyclic cause chain or a huge trace never
 * escapes as an exception or a hang.
 */
public final class ThrowableFormatter {

    private static final int MAX_NESTING = 32;

    private ThrowableFormatter() {}

    public static String type(Throwable t) {
        return t instanceof RecordedThrowable ? ((RecordedThrowable) t).type : t.getClass().getName();
    }

    /** The exception's message, or a note when asking for it failed. */
    public static String message(Throwable t) {
        try {
            return t.getLocalizedMessage();
        } catch (Throwable e) {
            return "(" + t.getClass().getName() + ".getMessage() threw " + e.getClass().getName() + ")";
        }
    }

    /** Ends a trace that was cut; an uncut trace ends with a line break or the "incomplete" note. */
    static final String TRUNCATED = "\n... (truncated)";

    /**
     * The full trace, cut to at most {@code maxBytes} UTF-8 bytes, {@link #TRUNCATED} included
     * (a limit below the marker's own size keeps the marker only).
     */
    public static String stackTrace(Throwable t, int maxBytes) {
        StringBuilder out = new StringBuilder(1024);
        if (t instanceof RecordedThrowable) {
            out.append(((RecordedThrowable) t).stackTrace);
        } else {
            Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            try {
                print(out, t, null, "", "", seen, 0, maxBytes);
            } catch (Throwable e) {
                out.append("\n(stack trace incomplete: ").append(e.getClass().getName()).append(')');
            }
        }
        if (Utf8Cut.fittingLength(out, maxBytes) < out.length()) {
            out.setLength(Utf8Cut.fittingLength(out, Math.max(0, maxBytes - TRUNCATED.length())));
            out.append(TRUNCATED);
        }
        return out.toString();
    }

    /** True when {@link #stackTrace} had to cut the trace. */
    public static boolean truncated(String stackTrace) {
        return stackTrace.endsWith(TRUNCATED);
    }

    private static void print(StringBuilder out, Throwable t, StackTraceElement[] enclosing, String caption,
            String prefix, Set<Throwable> seen, int depth, int maxBytes) {
        // A char is at least one byte: past maxBytes chars the trace will be cut anyway.
        if (out.length() > maxBytes) {
            return;
        }
        if (!seen.add(t)) {
            out.append(prefix).append(caption).append("[CIRCULAR REFERENCE: ").append(header(t)).append("]\n");
            return;
        }
        if (depth > MAX_NESTING) {
            out.append(prefix).append(caption).append("... (more causes omitted)\n");
            return;
        }
        StackTraceElement[] trace = t.getStackTrace();
        int m = trace.length - 1;
        if (enclosing != null) {
            int n = enclosing.length - 1;
            while (m >= 0 && n >= 0 && trace[m].equals(enclosing[n])) {
                m--;
                n--;
            }
        }
        int inCommon = trace.length - 1 - m;
        out.append(prefix).append(caption).append(header(t)).append('\n');
        for (int i = 0; i <= m && out.length() <= maxBytes; i++) {
            out.append(prefix).append("\tat ").append(trace[i]).append('\n');
        }
        if (inCommon != 0) {
            out.append(prefix).append("\t... ").append(inCommon).append(" more\n");
        }
        for (Throwable suppressed : t.getSuppressed()) {
            print(out, suppressed, trace, "Suppressed: ", prefix + "\t", seen, depth + 1, maxBytes);
        }
        Throwable cause = t.getCause();
        if (cause != null) {
            print(out, cause, trace, "Caused by: ", prefix, seen, depth + 1, maxBytes);
        }
    }

    private static String header(Throwable t) {
        String message = message(t);
        return message == null ? t.getClass().getName() : t.getClass().getName() + ": " + message;
    }
}
