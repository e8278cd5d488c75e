package io.datanadhi.agent.record;

/**
 * The stack of one logging call, taken on the logging thread and read into a {@link Caller} later,
 * on an agent thread. Taking it is the JVM's native backtrace of a Throwable: about 30 ns a frame
 * and nothing resolved, where a {@code StackWalker} walk to the application's frame costs a
 * microsecond or more before its first frame; the frames' names, files and lines are read only
 * when the record is serialized.
 */
final class CallerTrace extends Throwable {

    private static final long serialVersionUID = 1L;

    CallerTrace() {
        super(null, null, false, true);
    }

    /** The first frame outside the logging frameworks and the agent, or {@link Caller#UNKNOWN}. */
    Caller caller() {
        for (StackTraceElement frame : getStackTrace()) {
            if (!CallerLocator.isSkipped(frame.getClassName())) {
                return new Caller(frame.getClassName(), frame.getMethodName(), frame.getFileName(),
                        Math.max(frame.getLineNumber(), 0));
            }
        }
        return Caller.UNKNOWN;
    }
}
