package io.datanadhi.bench.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.datanadhi.agent.json.JsonBytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** The same record written both ways; see {@link io.datanadhi.bench.RecordJsonBenchmark}. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
public class RecordJson {

    public static final int CONTEXT_ENTRIES = 3;
    public static final String SHAPE = "log_data + envelope, one non-ASCII character";
    private static final JsonFactory FACTORY = new JsonFactory();

    private final String message = "payment 4711 for order 42 declined by the card issuer (code 05) \u2014 retrying";
    private final String traceId = "0af7651916cd43dd8448eb211c80319c";
    private final String timestamp = "2026-12-06T08:15:42.458Z";
    private final List<String> pipelines = List.of("payments", "all");
    private final Map<String, Object> context = new LinkedHashMap<>();

    @Setup
    public void sameBytes() throws IOException {
        context.put("tenant", "acme");
        context.put("request_id", "7f9c2b1e-2d4a-4f7e-9c1a-3b5d6e7f8a9b");
        context.put("attempt", 3);
        if (!Arrays.equals(jsonBytes(), jackson())) {
            throw new IllegalStateException("the two ways wrote different bytes");
        }
    }

    @Benchmark
    public byte[] jsonBytes() {
        JsonBytes json = new JsonBytes(512);
        json.startObject()
                .name("message").string(message)
                .name("trace_id").string(traceId)
                .name("timestamp").string(timestamp)
                .name("module_name").string("checkout");
        json.name("log_record").startObject()
                .name("filename").string("PaymentService.java")
                .name("function_name").string("charge")
                .name("line_number").number(212)
                .name("level").string("WARNING")
                .name("module_name").string("com.acme.payments.PaymentService")
                .name("class_name").string("com.acme.payments.PaymentService")
                .name("thread_name").string("http-nio-8080-exec-7")
                .name("native_level").string("WARN")
                .name("framework").string("logback")
                .endObject();
        json.name("context").startObject();
        for (Map.Entry<String, Object> e : context.entrySet()) {
            json.name(e.getKey()).value(e.getValue());
        }
        byte[] logData = json.endObject().endObject().toByteArray();

        JsonBytes envelope = new JsonBytes(logData.length + 64);
        envelope.startObject().name("pipelines").startArray();
        for (String pipeline : pipelines) {
            envelope.string(pipeline);
        }
        return envelope.endArray().name("log_data").raw(logData).endObject().toByteArray();
    }

    @Benchmark
    public byte[] jackson() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        try (JsonGenerator g = FACTORY.createGenerator(bytes)) {
            g.writeStartObject();
            g.writeStringField("message", message);
            g.writeStringField("trace_id", traceId);
            g.writeStringField("timestamp", timestamp);
            g.writeStringField("module_name", "checkout");
            g.writeObjectFieldStart("log_record");
            g.writeStringField("filename", "PaymentService.java");
            g.writeStringField("function_name", "charge");
            g.writeNumberField("line_number", 212);
            g.writeStringField("level", "WARNING");
            g.writeStringField("module_name", "com.acme.payments.PaymentService");
            g.writeStringField("class_name", "com.acme.payments.PaymentService");
            g.writeStringField("thread_name", "http-nio-8080-exec-7");
            g.writeStringField("native_level", "WARN");
            g.writeStringField("framework", "logback");
            g.writeEndObject();
            g.writeObjectFieldStart("context");
            for (Map.Entry<String, Object> e : context.entrySet()) {
                g.writeFieldName(e.getKey());
                if (e.getValue() instanceof String) {
                    g.writeString((String) e.getValue());
                } else {
                    g.writeNumber(((Number) e.getValue()).longValue());
                }
            }
            g.writeEndObject();
            g.writeEndObject();
        }
        byte[] logData = bytes.toByteArray();

        ByteArrayOutputStream envelope = new ByteArrayOutputStream(logData.length + 64);
        try (JsonGenerator g = FACTORY.createGenerator(envelope)) {
            g.writeStartObject();
            g.writeArrayFieldStart("pipelines");
            for (String pipeline : pipelines) {
                g.writeString(pipeline);
            }
            g.writeEndArray();
            g.writeFieldName("log_data");
            g.writeRawValue(new String(logData, StandardCharsets.UTF_8));
            g.writeEndObject();
        }
        return envelope.toByteArray();
    }
}
