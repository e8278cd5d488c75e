package io.datanadhi.agent.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes plain values (strings, numbers, booleans, maps, lists, Jackson trees) with Jackson's
 * streaming generator, for records. The agent never uses an ObjectMapper: creating one costs about
 * 200 ms, and it would serialize application objects through their getters, where we want their
 * {@code toString()}.
 */
public final class Json {

    public static final JsonFactory FACTORY = new JsonFactory();
    private static final int MAX_NESTING = 64;

    private Json() {}

    public static void write(JsonGenerator g, Object value) throws IOException {
        write(g, value, 0);
    }

    private static void write(JsonGenerator g, Object value, int depth) throws IOException {
        if (value == null) {
            g.writeNull();
        } else if (value instanceof String) {
            g.writeString((String) value);
        } else if (value instanceof Boolean) {
            g.writeBoolean((Boolean) value);
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            g.writeNumber(((Number) value).longValue());
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isFinite(d)) {
                g.writeNumber(d);
            } else {
                g.writeString(String.valueOf(d));
            }
        } else if (value instanceof BigDecimal) {
            g.writeNumber((BigDecimal) value);
        } else if (value instanceof BigInteger) {
            g.writeNumber((BigInteger) value);
        } else if (value instanceof JsonNode) {
            writeNode(g, (JsonNode) value, depth);
        } else if (value instanceof Map && depth < MAX_NESTING) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue(), depth + 1);
            }
            g.writeEndObject();
        } else if (value instanceof Iterable && depth < MAX_NESTING) {
            g.writeStartArray();
            for (Object item : (Iterable<?>) value) {
                write(g, item, depth + 1);
            }
            g.writeEndArray();
        } else {
            g.writeString(String.valueOf(value));
        }
    }

    private static void writeNode(JsonGenerator g, JsonNode node, int depth) throws IOException {
        if (node.isObject() && depth < MAX_NESTING) {
            g.writeStartObject();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                g.writeFieldName(e.getKey());
                writeNode(g, e.getValue(), depth + 1);
            }
            g.writeEndObject();
        } else if (node.isArray() && depth < MAX_NESTING) {
            g.writeStartArray();
            for (JsonNode item : node) {
                writeNode(g, item, depth + 1);
            }
            g.writeEndArray();
        } else if (node.isTextual()) {
            g.writeString(node.textValue());
        } else if (node.isBoolean()) {
            g.writeBoolean(node.booleanValue());
        } else if (node.isNull() || node.isMissingNode()) {
            g.writeNull();
        } else if (node.isIntegralNumber()) {
            if (node.canConvertToLong()) {
                g.writeNumber(node.longValue());
            } else {
                g.writeNumber(node.bigIntegerValue());
            }
        } else if (node.isNumber()) {
            if (node.isBigDecimal()) {
                g.writeNumber(node.decimalValue());
            } else {
                g.writeNumber(node.doubleValue());
            }
        } else {
            g.writeString(node.asText());
        }
    }
}
