package io.datanadhi.agent.json;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Records are written without Jackson: the bytes must be the ones Jackson's generator wrote. */
class JsonBytesTest {

    private static final JsonFactory FACTORY = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void everyKindOfCharacterIsWrittenAsJacksonWritesIt() throws IOException {
        StringBuilder all = new StringBuilder();
        for (int c = 0; c <= 0xFFFF; c++) {
            all.append((char) c);
        }
        String text = all.toString();
        assertArrayEquals(jackson(text), new JsonBytes(8).value(text).toByteArray());
        assertEquals(text, MAPPER.readTree(new JsonBytes(8).value(text).toByteArray()).textValue());

        String samples = "a\uD83D\uDE00b\uD800c\uDC00\b\f\n\r\t\u0000\u001f\u007f\u0080\u07ff\u0800\uffff\"\\/";
        assertEquals("\"a\\uD83D\\uDE00b\\uD800c\\uDC00\\b\\f\\n\\r\\t\\u0000\\u001F\u007f\u0080\u07ff\u0800\uffff\\\"\\\\/\"",
                new String(new JsonBytes(8).value(samples).toByteArray(), StandardCharsets.UTF_8));
    }

    @Test
    void generatedValuesAreByteForByteJacksons() throws IOException {
        Random random = new Random(11);
        for (int i = 0; i < 20_000; i++) {
            Object value = randomValue(random, 0);
            assertArrayEquals(jackson(value), new JsonBytes(random.nextInt(40)).value(value).toByteArray(),
                    () -> "for " + value);
        }
    }

    @Test
    void numbersAndTheirEdges() throws IOException {
        List<Object> values = List.of(0, -1, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, (short) -7, (byte) 127,
                0.0, -0.0, 0.1f, 1e20, 1e-300, Double.MIN_VALUE, Double.MAX_VALUE, Double.NaN,
                Double.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, Float.MIN_VALUE, Float.MAX_VALUE, 1e-7f, -3.4e38f, new BigDecimal("1E+3"), new BigDecimal("-0.000"),
                new BigInteger("123456789012345678901234567890"), true, false);
        for (Object value : values) {
            assertArrayEquals(jackson(value), new JsonBytes(1).value(value).toByteArray(), () -> "for " + value);
        }
    }

    @Test
    void jacksonTreesAndDeepNesting() throws IOException {
        JsonNode tree = MAPPER.readTree("{\"a\":[1,2.5,\"x\\u0001\",null,true,{\"b\":123456789012345678901234567890}],"
                + "\"c\":{},\"d\":[],\"e\":1.0E400,\"f\":-0}");
        assertArrayEquals(jackson(tree), new JsonBytes(4).value(tree).toByteArray());
        assertArrayEquals(jackson(MAPPER.getNodeFactory().numberNode(Double.NaN)),
                new JsonBytes(4).value(MAPPER.getNodeFactory().numberNode(Double.NaN)).toByteArray());

        Object deep = "leaf";
        for (int i = 0; i < 80; i++) {
            deep = i % 2 == 0 ? List.of(deep) : Map.of("k", deep);
        }
        Object nested = deep;
        assertArrayEquals(jackson(nested), new JsonBytes(4).value(nested).toByteArray());
    }

    @Test
    void namesRawValuesAndCommas() throws IOException {
        byte[] inner = new JsonBytes(4).startObject().name("x").number(1).endObject().toByteArray();
        byte[] outer = new JsonBytes(4).startObject()
                .name("pipelines").startArray().string("a").string("b\u00e9").endArray()
                .name("empty").startArray().endArray()
                .name("log_data").raw(inner)
                .name("n").string(null)
                .name("t").bool(true)
                .name(null).value(java.util.Collections.singletonMap(null, ""))
                .endObject().toByteArray();
        assertEquals("{\"pipelines\":[\"a\",\"b\u00e9\"],\"empty\":[],\"log_data\":{\"x\":1},\"n\":null,\"t\":true,"
                + "\"null\":{\"null\":\"\"}}",
                new String(outer, StandardCharsets.UTF_8));
    }

    private static byte[] jackson(Object value) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, value, 0);
        }
        return out.toByteArray();
    }

    /** What the agent wrote records with before JsonBytes (Jackson's generator, depth 64), floats as floats. */
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
            if (!Double.isFinite(d)) {
                g.writeString(String.valueOf(d));
            } else if (value instanceof Float) {
                g.writeNumber((Float) value); // the old writer widened it to double first
            } else {
                g.writeNumber(d);
            }
        } else if (value instanceof BigDecimal) {
            g.writeNumber((BigDecimal) value);
        } else if (value instanceof BigInteger) {
            g.writeNumber((BigInteger) value);
        } else if (value instanceof JsonNode) {
            writeNode(g, (JsonNode) value, depth);
        } else if (value instanceof Map && depth < 64) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue(), depth + 1);
            }
            g.writeEndObject();
        } else if (value instanceof Iterable && depth < 64) {
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
        if (node.isObject() && depth < 64) {
            g.writeStartObject();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                g.writeFieldName(e.getKey());
                writeNode(g, e.getValue(), depth + 1);
            }
            g.writeEndObject();
        } else if (node.isArray() && depth < 64) {
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

    private static Object randomValue(Random random, int depth) {
        switch (depth > 3 ? random.nextInt(6) : random.nextInt(11)) {
            case 0: return null;
            case 1: return randomString(random);
            case 2: return random.nextBoolean();
            case 3: return random.nextInt(3) == 0 ? (Object) random.nextLong() : (Object) (random.nextInt() >> random.nextInt(32));
            case 4: return random.nextInt(3) == 0 ? (Object) (float) random.nextGaussian() : (Object) (random.nextGaussian() * 1e6);
            case 5: return new Object() {
                @Override
                public String toString() {
                    return "obj:" + depth;
                }
            };
            case 6: {
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    map.put(randomString(random), randomValue(random, depth + 1));
                }
                return map;
            }
            case 7: {
                List<Object> list = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    list.add(randomValue(random, depth + 1));
                }
                return list;
            }
            case 8: {
                // A Jackson tree, and keys that are not strings.
                Map<Object, Object> map = new LinkedHashMap<>();
                map.put(random.nextInt(100), randomString(random));
                map.put(randomString(random), List.of(randomString(random), random.nextDouble(), Map.of("n", random.nextLong())));
                if (random.nextBoolean()) {
                    return MAPPER.valueToTree(map);
                }
                map.put(random.nextInt(100), randomValue(random, depth + 1));
                return map;
            }
            case 9: {
                // An Iterable that is no Collection.
                Object item = randomValue(random, depth + 1);
                return (Iterable<Object>) () -> java.util.Arrays.asList(item, "x").iterator();
            }
            default: return random.nextBoolean() ? new BigDecimal(random.nextGaussian()).scaleByPowerOfTen(random.nextInt(20) - 10)
                    : new BigInteger(100, random);
        }
    }

    private static String randomString(Random random) {
        char[] pool = {'a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', '\u00e9', '\u07ff',
            '\u0800', '\u20ac', '\ufffd', '\uffff', '\ud83d', '\ude00', '\ud800', '\udfff'};
        int length = random.nextInt(3) == 0 ? random.nextInt(300) : random.nextInt(12);
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(random.nextInt(4) == 0 ? pool[random.nextInt(pool.length)] : (char) (' ' + random.nextInt(95)));
        }
        return s.toString();
    }
}
