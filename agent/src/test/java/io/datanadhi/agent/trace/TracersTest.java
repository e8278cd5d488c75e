package io.datanadhi.agent.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import co.elastic.apm.api.ElasticApm;
import datadog.trace.api.CorrelationIdentifier;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The tracers' current traces, read from their real public APIs (and a Datadog stand-in). */
class TracersTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";

    @BeforeEach
    @AfterEach
    void forget() {
        Tracers.reset();
        CorrelationIdentifier.traceId = "0";
        CorrelationIdentifier.spanId = "0";
        CorrelationIdentifier.failing = false;
    }

    @Test
    void withoutATracerNothingIsReadAndNothingIsActive() {
        TraceIds ids = new TraceIds().set("stale", "stale");
        assertFalse(Tracers.active());
        assertFalse(Tracers.read(ids));
        assertNull(ids.traceId, "cleared");
        assertNull(ids.spanId);
    }

    @Test
    void theOpenTelemetryApiOfTheApplicationGivesItsCurrentSpan() {
        Tracers.resolve(Tracers.Kind.OPENTELEMETRY_API, getClass().getClassLoader());
        assertTrue(Tracers.active());
        TraceIds ids = new TraceIds();
        assertFalse(Tracers.read(ids), "no span is current: an invalid span is no trace");

        Span span = Span.wrap(SpanContext.create(TRACE, SPAN, TraceFlags.getSampled(), TraceState.getDefault()));
        try (Scope scope = span.makeCurrent()) {
            assertTrue(Tracers.read(ids));
            assertEquals(TRACE, ids.traceId);
            assertEquals(SPAN, ids.spanId);
        }
        assertFalse(Tracers.read(ids), "the span ended its scope");
    }

    @Test
    void theElasticApiWithoutItsAgentIsNoTrace() {
        Tracers.resolve(Tracers.Kind.ELASTIC_API, ElasticApm.class.getClassLoader());
        assertEquals("elastic-apm-api", Tracers.sources()[0].name());
        assertFalse(Tracers.read(new TraceIds()), "a no-op span answers empty ids");
    }

    @Test
    void datadogAnswersZeroOutsideATrace() {
        Tracers.resolve(Tracers.Kind.DATADOG, getClass().getClassLoader());
        TraceIds ids = new TraceIds();
        assertFalse(Tracers.read(ids));
        CorrelationIdentifier.traceId = "1234567890123456789";
        CorrelationIdentifier.spanId = "987654321";
        assertTrue(Tracers.read(ids));
        assertEquals("1234567890123456789", ids.traceId);
        assertEquals("987654321", ids.spanId);
    }

    @Test
    void theFirstTracerInATraceAnswers() {
        Tracers.resolve(Tracers.Kind.DATADOG, getClass().getClassLoader());
        Tracers.resolve(Tracers.Kind.OPENTELEMETRY_API, getClass().getClassLoader());
        CorrelationIdentifier.traceId = "42";
        CorrelationIdentifier.spanId = "7";
        TraceIds ids = new TraceIds();
        Span span = Span.wrap(SpanContext.create(TRACE, SPAN, TraceFlags.getSampled(), TraceState.getDefault()));
        try (Scope scope = span.makeCurrent()) {
            assertTrue(Tracers.read(ids));
            assertEquals(TRACE, ids.traceId, "the newest application source first: " + Arrays.toString(Tracers.sources()));
        }
        assertTrue(Tracers.read(ids));
        assertEquals("42", ids.traceId, "outside the OpenTelemetry span, Datadog's trace");
    }

    @Test
    void aTracerThatFailsIsDroppedAndTheOthersStay() {
        Tracers.resolve(Tracers.Kind.DATADOG, getClass().getClassLoader());
        Tracers.resolve(Tracers.Kind.OPENTELEMETRY_API, getClass().getClassLoader());
        CorrelationIdentifier.failing = true;
        TraceIds ids = new TraceIds();
        assertFalse(Tracers.read(ids), "no exception reaches the caller");
        assertEquals(1, Tracers.sources().length, Arrays.toString(Tracers.sources()));
        assertEquals("opentelemetry-api", Tracers.sources()[0].name());
        CorrelationIdentifier.failing = false;
        Tracers.resolve(Tracers.Kind.DATADOG, getClass().getClassLoader());
        assertEquals(1, Tracers.sources().length, "a dropped tracer is not looked up again");
    }

    @Test
    void theSameTracerFoundTwiceIsReadOnce() {
        Tracers.resolve(Tracers.Kind.OPENTELEMETRY_API, getClass().getClassLoader());
        Tracers.resolve(Tracers.Kind.OPENTELEMETRY_API, getClass().getClassLoader());
        assertEquals(1, Tracers.sources().length);
    }

    @Test
    void aClassThatIsNoTracersIsNotLookedUp() {
        Tracers.noticeLoading(getClass().getClassLoader(), "com/acme/Span");
        Tracers.noticeLoading(null, "io/opentelemetry/context/LazyStorage"); // an API in the boot loader is no application's
        Tracers.noticeLoading(getClass().getClassLoader(), "io/opentelemetry/javaagent/bootstrap/AgentInitializer");
        assertFalse(Tracers.active());
    }

    @Test
    void datadogsClassesAreSeenInAnyLoader() {
        Tracers.noticeLoading(getClass().getClassLoader(), "datadog/trace/api/CorrelationIdentifier");
        CorrelationIdentifier.traceId = "42";
        TraceIds ids = new TraceIds();
        assertTrue(Tracers.read(ids), "found at the first read");
        assertEquals("42", ids.traceId);
    }

    @Test
    void aTracerApiSeenLoadingIsLookedUpOnAThreadOfTheAgent() throws Exception {
        Tracers.noticeLoading(getClass().getClassLoader(), "io/opentelemetry/context/LazyStorage");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (Tracers.sources().length == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, Tracers.sources().length, "looked up within 10 s, with no event read");
        // Read from another thread: the span is per thread.
        Span span = Span.wrap(SpanContext.create(TRACE, SPAN, TraceFlags.getSampled(), TraceState.getDefault()));
        try (Scope scope = span.makeCurrent()) {
            TraceIds ids = new TraceIds();
            assertTrue(Tracers.read(ids));
            assertFalse(CompletableFuture.supplyAsync(() -> Tracers.read(new TraceIds())).get(10, TimeUnit.SECONDS),
                    "another thread is in no trace");
        }
    }

    @Test
    void theFirstEventAfterATracerApiLoadsIsInItsTrace() {
        // An application loads the API, starts a span and logs at once: before the agent's thread
        // is done, the event's own read looks the tracer up.
        Tracers.noticeLoading(getClass().getClassLoader(), "io/opentelemetry/context/LazyStorage");
        assertTrue(Tracers.active());
        Span span = Span.wrap(SpanContext.create(TRACE, SPAN, TraceFlags.getSampled(), TraceState.getDefault()));
        try (Scope scope = span.makeCurrent()) {
            TraceIds ids = new TraceIds();
            assertTrue(Tracers.read(ids));
            assertEquals(TRACE, ids.traceId);
        }
    }

    @Test
    void atMostFourApplicationLoadersAreKept() throws Exception {
        for (int i = 0; i < Tracers.MAX_APPLICATION_SOURCES + 2; i++) {
            ClassLoader isolated = new java.net.URLClassLoader(new java.net.URL[] {
                Span.class.getProtectionDomain().getCodeSource().getLocation(),
                io.opentelemetry.context.Context.class.getProtectionDomain().getCodeSource().getLocation()}, null);
            Tracers.resolve(Tracers.Kind.OPENTELEMETRY_API, isolated);
        }
        assertEquals(Tracers.MAX_APPLICATION_SOURCES, Tracers.sources().length);
    }
}
