package io.datanadhi.agent.capture;

/**
 * One method the agent hooks: where, and which of the bridge's entry points it calls.
 * The hook itself is one static call to {@code io.datanadhi.bootstrap.CaptureBridge}.
 */
public final class HookPoint {

    public enum Kind {
        /** Called once per logged event, after the level decision: capture on entry. */
        CAPTURE_ON_ENTRY,
        /**
         * Called once per logged event, but captured just before the method's first call to
         * another method ({@link HookPoint#call}), not on entry: what other agents do on the
         * method's entry (a tracer putting its ids in the MDC) is done by then, in whichever order
         * the agents were attached. On entry where the call is missing, or where no code comes
         * before it (the framework's own method, or one another agent transforms after this
         * one: its code on entry then runs before this agent's anyway).
         */
        CAPTURE_BEFORE_CALL,
        /** Capture on the way out, when outermost and nobody else took the event (JUL). */
        CAPTURE_ON_EXIT,
        /** Entry used by bridges from other frameworks: only note that the event was forwarded. */
        FORWARDED
    }

    final String type;
    final String method;
    final String descriptor;
    final Kind kind;
    final String framework;
    final int eventParameter;
    /** Index of the parameter passed as the bridge's {@code logger}; -1 passes {@code this}. */
    final int loggerParameter;
    /** For {@link Kind#CAPTURE_BEFORE_CALL}: owner, name and descriptor of the call, as in bytecode. */
    final String[] call;

    private HookPoint(String type, String method, String descriptor, Kind kind, String framework, int eventParameter,
            int loggerParameter, String... call) {
        this.type = type;
        this.method = method;
        this.descriptor = descriptor;
        this.kind = kind;
        this.framework = framework;
        this.eventParameter = eventParameter;
        this.loggerParameter = loggerParameter;
        this.call = call;
    }

    /**
     * @param type binary name of the class, e.g. {@code java.util.logging.Logger}
     * @param descriptor the JVM method descriptor, e.g. {@code (Ljava/util/logging/LogRecord;)V}
     * @param eventParameter index of the parameter holding the framework's event
     */
    public static HookPoint capture(Kind kind, String framework, String type, String method, String descriptor,
            int eventParameter) {
        return new HookPoint(type, method, descriptor, kind, framework, eventParameter, -1);
    }

    /**
     * A hook that passes parameter {@code loggerParameter} instead of {@code this} as the bridge's
     * {@code logger}, for a mapper that needs it to tell whether the event is really logged.
     */
    public static HookPoint capture(Kind kind, String framework, String type, String method, String descriptor,
            int eventParameter, int loggerParameter) {
        return new HookPoint(type, method, descriptor, kind, framework, eventParameter, loggerParameter);
    }

    /**
     * Captures in {@code method} just before each call to {@code callOwner.callName callDescriptor}
     * (internal names), once per invocation of {@code method}; see {@link Kind#CAPTURE_BEFORE_CALL}.
     */
    public static HookPoint captureBeforeCall(String framework, String type, String method, String descriptor,
            int eventParameter, String callOwner, String callName, String callDescriptor) {
        return new HookPoint(type, method, descriptor, Kind.CAPTURE_BEFORE_CALL, framework, eventParameter, -1,
                callOwner, callName, callDescriptor);
    }

    public static HookPoint forwarded(String framework, String type, String method, String descriptor) {
        return new HookPoint(type, method, descriptor, Kind.FORWARDED, framework, -1, -1);
    }

    /** The class's internal name, as a ClassFileTransformer sees it. */
    String internalName() {
        return type.replace('.', '/');
    }

    @Override
    public String toString() {
        return type + "." + method + descriptor + " (" + kind + ")";
    }
}
