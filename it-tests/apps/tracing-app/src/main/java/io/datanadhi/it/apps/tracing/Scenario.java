package io.datanadhi.it.apps.tracing;

import co.elastic.apm.api.ElasticApm;
import co.elastic.apm.api.Transaction;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.util.function.Consumer;

/**
 * What every tracing app does, whatever its logging framework: logs "outside before", then
 * numbered events inside a span ("inside span seq=N"), then "outside after". The mode (the first
 * argument) says whose span:
 * <ul>
 *   <li>{@code otel}: a span of {@code GlobalOpenTelemetry}'s tracer, real under the OpenTelemetry agent;
 *   <li>{@code otel-api}: no tracer at all, the OpenTelemetry API's own context holding a span of
 *       fixed ids ({@link #FIXED_TRACE_ID}, {@link #FIXED_SPAN_ID});
 *   <li>{@code elastic}: an Elastic APM transaction ("inside transaction seq=0" before its span,
 *       "seq=1" after) and a span inside it, real under the Elastic agent.
 * </ul>
 * Before logging inside a transaction or span it prints the ids it is in:
 * {@code app: <span|transaction> trace=<trace id> span=<its id>}. The second argument is the number
 * of events inside the span (default 3).
 */
@SuppressWarnings("try") // a scope of try-with-resources is only there to be closed
final class Scenario {

    static final String FIXED_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String FIXED_SPAN_ID = "00f067aa0ba902b7";

    private Scenario() {}

    static void run(String[] args, Consumer<String> log) {
        String mode = args[0];
        int inside = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        System.out.println("app: start " + mode);
        log.accept("outside before");
        switch (mode) {
            case "otel":
                openTelemetry(inside, log);
                break;
            case "otel-api":
                openTelemetryApiOnly(inside, log);
                break;
            case "elastic":
                elastic(inside, log);
                break;
            default:
                throw new IllegalArgumentException(mode);
        }
        log.accept("outside after");
        System.out.println("app: done");
    }

    private static void openTelemetry(int inside, Consumer<String> log) {
        Span span = GlobalOpenTelemetry.getTracer("io.datanadhi.it.apps.tracing").spanBuilder("work").startSpan();
        try (Scope scope = span.makeCurrent()) {
            inSpan(inside, log);
        } finally {
            span.end();
        }
    }

    private static void openTelemetryApiOnly(int inside, Consumer<String> log) {
        SpanContext fixed = SpanContext.create(FIXED_TRACE_ID, FIXED_SPAN_ID, TraceFlags.getSampled(),
                TraceState.getDefault());
        try (Scope scope = Span.wrap(fixed).makeCurrent()) {
            inSpan(inside, log);
        }
    }

    private static void inSpan(int inside, Consumer<String> log) {
        SpanContext current = Span.current().getSpanContext();
        ids("span", current.getTraceId(), current.getSpanId());
        numbered("span", 0, inside, log);
    }

    private static void elastic(int inside, Consumer<String> log) {
        Transaction transaction = ElasticApm.startTransaction();
        transaction.setName("work");
        try (co.elastic.apm.api.Scope activeTransaction = transaction.activate()) {
            ids("transaction", transaction.getTraceId(), transaction.getId());
            numbered("transaction", 0, 1, log);
            co.elastic.apm.api.Span span = transaction.startSpan();
            span.setName("step");
            try (co.elastic.apm.api.Scope activeSpan = span.activate()) {
                ids("span", span.getTraceId(), span.getId());
                numbered("span", 0, inside, log);
            } finally {
                span.end();
            }
            numbered("transaction", 1, 1, log);
        } finally {
            transaction.end();
        }
    }

    private static void ids(String scope, String traceId, String spanId) {
        System.out.println("app: " + scope + " trace=" + traceId + " span=" + spanId);
    }

    private static void numbered(String scope, int first, int count, Consumer<String> log) {
        for (int seq = first; seq < first + count; seq++) {
            log.accept("inside " + scope + " seq=" + seq);
        }
    }
}
