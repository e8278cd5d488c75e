package io.datanadhi.agent.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** context.error.stacktrace: printStackTrace's format, but safe on hostile exceptions. */
class ThrowableFormatterTest {

    private static final int PLENTY = 1_000_000;
    private static final String TRUNCATED = "\n... (truncated)";

    @Test
    void typeAndMessage() {
        IllegalStateException e = new IllegalStateException("boom");
        assertEquals("java.lang.IllegalStateException", ThrowableFormatter.type(e));
        assertEquals("boom", ThrowableFormatter.message(e));
        assertNull(ThrowableFormatter.message(new RuntimeException()));
    }

    @Test
    void formatsCausesAndSuppressedExactlyLikePrintStackTrace() {
        Exception root = failInNestedCalls();
        String formatted = ThrowableFormatter.stackTrace(root, PLENTY);

        assertEquals(printStackTrace(root), formatted);
        assertTrue(formatted.startsWith("java.lang.IllegalStateException: top\n\tat "), formatted);
        assertTrue(formatted.contains("\nCaused by: java.io.IOException: disk\n"), formatted);
        assertTrue(formatted.contains("\n\tSuppressed: java.lang.IllegalArgumentException: cleanup\n"), formatted);
        assertTrue(formatted.contains("\n\tCaused by: java.lang.ArithmeticException: inner\n\t\t... "), formatted);
    }

    @Test
    void framesSharedWithTheEnclosingTraceAreElidedAsMore() {
        Exception root = failInNestedCalls();
        Throwable cause = root.getCause();
        StackTraceElement[] outer = root.getStackTrace();
        StackTraceElement[] inner = cause.getStackTrace();
        int common = 0;
        while (common < Math.min(outer.length, inner.length)
                && inner[inner.length - 1 - common].equals(outer[outer.length - 1 - common])) {
            common++;
        }
        assertTrue(common > 0, "the fixture shares frames with its cause");

        String formatted = ThrowableFormatter.stackTrace(root, PLENTY);
        String causeSection = formatted.substring(formatted.indexOf("Caused by: java.io.IOException"));
        assertTrue(causeSection.contains("\t... " + common + " more\n"), causeSection);
        // The cause lists only its own frames before the elision.
        long causeFrames = causeSection.substring(0, causeSection.indexOf("\t... "))
                .lines().filter(l -> l.startsWith("\tat ")).count();
        assertEquals(inner.length - common, causeFrames);
    }

    @Test
    void cyclicCauseChainTerminatesWithCircularReference() {
        RuntimeException a = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b);

        String formatted = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> ThrowableFormatter.stackTrace(a, PLENTY));
        assertTrue(formatted.contains("Caused by: java.lang.RuntimeException: b\n"), formatted);
        assertTrue(formatted.contains("[CIRCULAR REFERENCE: java.lang.RuntimeException: a]"), formatted);
        assertEquals(1, count(formatted, "CIRCULAR REFERENCE"));
        assertEquals(printStackTrace(a), formatted, "as the JDK prints it");
    }

    @Test
    void exceptionSuppressingItselfTerminates() {
        RuntimeException outer = new RuntimeException("outer");
        RuntimeException inner = new RuntimeException("inner");
        outer.addSuppressed(inner);
        inner.addSuppressed(outer);

        String formatted = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> ThrowableFormatter.stackTrace(outer, PLENTY));
        assertTrue(formatted.contains("Suppressed: [CIRCULAR REFERENCE: java.lang.RuntimeException: outer]"), formatted);
    }

    @Test
    void getMessageThatThrowsIsReportedNotPropagated() {
        RuntimeException hostile = new RuntimeException() {
            @Override
            public String getMessage() {
                throw new UnsupportedOperationException("no message for you");
            }
        };
        String message = ThrowableFormatter.message(hostile);
        assertTrue(message.contains("getMessage() threw java.lang.UnsupportedOperationException"), message);

        Exception wrapper = new Exception("wrapper", hostile);
        String formatted = ThrowableFormatter.stackTrace(wrapper, PLENTY);
        assertTrue(formatted.startsWith("java.lang.Exception: wrapper\n"), formatted);
        assertTrue(formatted.contains("Caused by: " + hostile.getClass().getName() + ": ("), formatted);
        assertTrue(formatted.contains("getMessage() threw java.lang.UnsupportedOperationException"), formatted);
        assertFalse(formatted.contains("stack trace incomplete"), formatted);
    }

    @Test
    void getStackTraceThatThrowsEndsTheTraceWithANote() {
        RuntimeException hostile = new RuntimeException("hostile") {
            @Override
            public StackTraceElement[] getStackTrace() {
                throw new IllegalStateException("no frames");
            }
        };
        String formatted = ThrowableFormatter.stackTrace(hostile, PLENTY);
        assertTrue(formatted.contains("(stack trace incomplete: java.lang.IllegalStateException)"), formatted);
    }

    @Test
    void hugeTraceIsCutToMaxBytesMarkerIncluded() {
        RuntimeException huge = new RuntimeException("huge");
        StackTraceElement[] frames = new StackTraceElement[100_000];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = new StackTraceElement("com.acme.Deep", "level" + i, "Deep.java", i + 1);
        }
        huge.setStackTrace(frames);

        String formatted = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> ThrowableFormatter.stackTrace(huge, 4096));
        assertTrue(formatted.endsWith(TRUNCATED), formatted.substring(formatted.length() - 100));
        assertTrue(ThrowableFormatter.truncated(formatted));
        assertEquals(4096, formatted.length());
        assertTrue(formatted.startsWith("java.lang.RuntimeException: huge\n\tat com.acme.Deep.level0(Deep.java:1)\n"));
    }

    @Test
    void manySuppressedAreCutAtMaxBytesToo() {
        RuntimeException root = new RuntimeException("root");
        for (int i = 0; i < 20_000; i++) {
            root.addSuppressed(new RuntimeException("suppressed " + i));
        }
        String formatted = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> ThrowableFormatter.stackTrace(root, 2000));
        assertTrue(formatted.endsWith(TRUNCATED));
        assertTrue(formatted.length() <= 2000);
    }

    @Test
    void multibyteTraceIsMeasuredInUtf8BytesAndNeverSplitsASurrogatePair() {
        RuntimeException e = new RuntimeException("\ud83d\ude00".repeat(1000));
        e.setStackTrace(new StackTraceElement[0]);
        for (int max = 100; max < 108; max++) {
            String formatted = ThrowableFormatter.stackTrace(e, max);
            assertTrue(formatted.getBytes(StandardCharsets.UTF_8).length <= max, "limit " + max);
            assertTrue(formatted.getBytes(StandardCharsets.UTF_8).length > max - 4, "limit " + max);
            String kept = formatted.substring(0, formatted.length() - TRUNCATED.length());
            assertFalse(Character.isHighSurrogate(kept.charAt(kept.length() - 1)), "limit " + max);
        }
    }

    @Test
    void traceWithinMaxBytesIsNotMarkedTruncated() {
        RuntimeException e = new RuntimeException("small \u20ac");
        e.setStackTrace(new StackTraceElement[] {new StackTraceElement("A", "b", "A.java", 1)});
        String formatted = ThrowableFormatter.stackTrace(e, 1000);
        assertEquals("java.lang.RuntimeException: small \u20ac\n\tat A.b(A.java:1)\n", formatted);
        assertFalse(ThrowableFormatter.truncated(formatted));
        int bytes = formatted.getBytes(StandardCharsets.UTF_8).length;
        assertEquals(formatted, ThrowableFormatter.stackTrace(e, bytes), "exactly at the limit");
        assertTrue(ThrowableFormatter.truncated(ThrowableFormatter.stackTrace(e, bytes - 1)), "one byte over");
    }

    @Test
    void deepNestingStopsAfterThirtyTwoCauses() {
        Throwable chain = new RuntimeException("level 0");
        for (int i = 1; i < 5000; i++) {
            chain = new RuntimeException("level " + i, chain);
        }
        Throwable deepest = chain;
        String formatted = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> ThrowableFormatter.stackTrace(deepest, Integer.MAX_VALUE - 100));

        assertTrue(formatted.startsWith("java.lang.RuntimeException: level 4999\n"));
        assertEquals(32, count(formatted, "Caused by: java.lang.RuntimeException"));
        assertTrue(formatted.contains("Caused by: java.lang.RuntimeException: level 4967\n"));
        assertFalse(formatted.contains("level 4966"));
        assertTrue(formatted.endsWith("Caused by: ... (more causes omitted)\n"), formatted);
    }

    // ---- Helpers.

    /** top <- IOException(disk) with a suppressed IllegalArgumentException caused by ArithmeticException. */
    private static Exception failInNestedCalls() {
        try {
            levelOne();
            throw new AssertionError("unreachable");
        } catch (java.io.IOException e) {
            return new IllegalStateException("top", e);
        }
    }

    private static void levelOne() throws java.io.IOException {
        levelTwo();
    }

    private static void levelTwo() throws java.io.IOException {
        java.io.IOException disk = new java.io.IOException("disk");
        IllegalArgumentException cleanup = new IllegalArgumentException("cleanup", new ArithmeticException("inner"));
        disk.addSuppressed(cleanup);
        throw disk;
    }

    private static String printStackTrace(Throwable t) {
        StringWriter out = new StringWriter();
        PrintWriter writer = new PrintWriter(out) {
            @Override
            public void println() {
                write('\n');
            }
        };
        t.printStackTrace(writer);
        writer.flush();
        return out.toString();
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
