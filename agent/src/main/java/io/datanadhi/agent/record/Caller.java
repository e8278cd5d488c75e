package io.datanadhi.agent.record;

/** Where the application logged from: the first frame outside every logging framework. */
public final class Caller {
    public static final Caller UNKNOWN = new Caller(null, null, null, 0);

    public final String className;
    public final String methodName;
    public final String fileName;
    public final int lineNumber;

    public Caller(String className, String methodName, String fileName, int lineNumber) {
        this.className = className;
        this.methodName = methodName;
        this.fileName = fileName;
        this.lineNumber = lineNumber;
    }

    static Caller of(StackWalker.StackFrame frame) {
        return new Caller(frame.getClassName(), frame.getMethodName(), frame.getFileName(),
                Math.max(frame.getLineNumber(), 0));
    }
}
