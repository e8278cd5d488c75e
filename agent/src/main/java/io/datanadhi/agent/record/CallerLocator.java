package io.datanadhi.agent.record;

import java.util.Iterator;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Finds the application's call site with one stack walk. Only events that are shipped or
 * printed (or read by a rule) pay for it.
 */
public final class CallerLocator {

    /** Class references, so that each frame is judged by a per-class cached answer, not by prefixes. */
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    private static final ClassValue<Boolean> SKIPPED_CLASS = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            return isSkipped(type.getName());
        }
    };

    /** Packages of logging frameworks, bridges and facades, and of the agent itself. */
    private static final String[] SKIPPED = {
        "io.datanadhi.agent.",
        "io.datanadhi.bootstrap.",
        "io.datanadhi.launcher.",
        "java.util.logging.",
        "sun.util.logging.",
        "jdk.internal.logger.",
        "java.lang.System$Logger",
        "ch.qos.logback.",
        "org.slf4j.",
        "org.apache.logging.log4j.",
        "org.apache.logging.slf4j.", // log4j-to-slf4j and log4j-slf4j(2)-impl
        "org.apache.log4j.",
        "org.apache.commons.logging.",
        "org.jboss.logging.",
        "org.jboss.logmanager.",
        "java.lang.reflect.",
        "jdk.internal.reflect.",
        "java.lang.invoke.",
        "sun.reflect.",
    };

    private static final FirstApplicationFrame FIRST_APPLICATION_FRAME = new FirstApplicationFrame();

    private CallerLocator() {}

    public static Caller locate() {
        try {
            return WALKER.walk(FIRST_APPLICATION_FRAME);
        } catch (RuntimeException e) {
            return Caller.UNKNOWN;
        }
    }

    static boolean isSkipped(String className) {
        for (String prefix : SKIPPED) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** A class, not a lambda: the first early event walks the stack at the agent's start (see {@code AgentThreads}). */
    private static final class FirstApplicationFrame implements Function<Stream<StackWalker.StackFrame>, Caller> {
        @Override
        public Caller apply(Stream<StackWalker.StackFrame> frames) {
            Iterator<StackWalker.StackFrame> it = frames.iterator();
            while (it.hasNext()) {
                StackWalker.StackFrame frame = it.next();
                if (!SKIPPED_CLASS.get(frame.getDeclaringClass())) {
                    return Caller.of(frame);
                }
            }
            return Caller.UNKNOWN;
        }
    }
}
