package io.datanadhi.agent.config;

import io.datanadhi.agent.diag.Diagnostics;
import java.util.ArrayList;
import java.util.List;

/**
 * Warnings found while resolving, held back until the agent's own log level is known (it may be
 * set in the very file being read), then written in the order they were found.
 */
final class PendingWarnings {
    private static final class Pending {
        final String event;
        final String message;
        final Object[] fields;

        Pending(String event, String message, Object[] fields) {
            this.event = event;
            this.message = message;
            this.fields = fields;
        }
    }

    private final List<Pending> pending = new ArrayList<>();

    void add(String event, String message, Object... fields) {
        pending.add(new Pending(event, message, fields));
    }

    void emit() {
        for (Pending p : pending) {
            Diagnostics.warn(p.event, p.message, p.fields);
        }
        pending.clear();
    }
}
