package io.datanadhi.agent.trace;

/** Tests of other packages find a tracer without waiting for its classes to load. */
public final class TracersAccess {
    private TracersAccess() {}

    public static void resolveOpenTelemetryApi(ClassLoader loader) {
        Tracers.resolve(Tracers.Kind.OPENTELEMETRY_API, loader);
    }

    public static void reset() {
        Tracers.reset();
    }
}
