package io.datanadhi.it.apps.tracing;

import java.util.logging.Logger;

/** The tracing {@link Scenario} logged through java.util.logging (no MDC; its console handler, on stderr). */
public final class JulTracingApp {

    private static final Logger LOG = Logger.getLogger("com.acme.Traced");

    public static void main(String[] args) {
        Scenario.run(args, LOG::info);
    }
}
