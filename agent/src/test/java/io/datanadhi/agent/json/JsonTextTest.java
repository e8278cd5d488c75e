package io.datanadhi.agent.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** JSON text without Jackson: escaping, nesting, compact and pretty forms, Jackson tree values. */
class JsonTextTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void escapesQuotesBackslashesAndControlCharacters() {
        assertEquals("\"a\\\"b\\\\c\"", JsonText.compact("a\"b\\c"));
        assertEquals("\"\\n\\r\\t\"", JsonText.compact("\n\r\t"));
        assertEquals("\"\\u0000\\u0001\\u001f\\u0008\"", JsonText.compact("\u0000\u0001\u001f\b"));
        assertEquals("\"\u007f \u00e9 \u4e2d \ud83d\ude00 /\"", JsonText.compact("\u007f \u00e9 \u4e2d \ud83d\ude00 /"),
                "everything else is written as it is");
    }

    @Test
    void everyCharacterRoundTripsThroughAJsonParser() throws IOException {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < Character.MIN_SURROGATE; c++) {
            all.append(c);
        }
        for (int c = Character.MAX_SURROGATE + 1; c <= 0xFFFF; c++) {
            all.append((char) c);
        }
        all.append("\ud83d\ude00");
        String text = all.toString();
        assertEquals(text, JSON.readTree(JsonText.compact(text)).textValue());
        assertEquals(text, JSON.readTree(JsonText.pretty(List.of(text))).get(0).textValue());
    }

    @Test
    void compactWritesNestedValuesWithoutWhitespace() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("sku", "X-1");
        value.put("qty", 2);
        value.put("tags", Arrays.asList("a", true, null));
        value.put("inner", Map.of("x", 1.5));
        value.put("empty", Map.of());
        value.put("none", List.of());
        assertEquals("{\"sku\":\"X-1\",\"qty\":2,\"tags\":[\"a\",true,null],\"inner\":{\"x\":1.5},\"empty\":{},\"none\":[]}",
                JsonText.compact(value));
    }

    @Test
    void prettyIndentsByTwoAndEndsWithANewline() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("sku", "X-1");
        value.put("tags", List.of("a", 2));
        value.put("inner", Map.of("x", true));
        value.put("empty", Map.of());
        value.put("none", List.of());
        String expected = "{\n"
                + "  \"sku\": \"X-1\",\n"
                + "  \"tags\": [\n"
                + "    \"a\",\n"
                + "    2\n"
                + "  ],\n"
                + "  \"inner\": {\n"
                + "    \"x\": true\n"
                + "  },\n"
                + "  \"empty\": {},\n"
                + "  \"none\": []\n"
                + "}\n";
        assertEquals(expected, new String(JsonText.pretty(value), StandardCharsets.UTF_8));
        assertEquals("\"x\"\n", new String(JsonText.pretty("x"), StandardCharsets.UTF_8));
    }

    @Test
    void prettyIsUtf8() {
        assertEquals("\"\u00e9\"\n", new String(JsonText.pretty("\u00e9"), StandardCharsets.UTF_8));
        assertEquals(5, JsonText.pretty("\u00e9").length, "quote, two bytes, quote, newline");
    }

    @Test
    void numbersBooleansAndNull() throws IOException {
        assertEquals("null", JsonText.compact(null));
        assertEquals("true", JsonText.compact(true));
        assertEquals("42", JsonText.compact(42));
        assertEquals("9000000000", JsonText.compact(9_000_000_000L));
        assertEquals("7", JsonText.compact((short) 7));
        assertEquals("-3", JsonText.compact((byte) -3));
        assertEquals("123456789012345678901234567890", JsonText.compact(new BigInteger("123456789012345678901234567890")));
        assertEquals("12.50", JsonText.compact(new BigDecimal("12.50")));
        assertEquals("0.75", JsonText.compact(0.75));
        assertEquals("1.5", JsonText.compact(1.5f));
        assertEquals(1.0E20, JSON.readTree(JsonText.compact(1.0E20)).doubleValue(), "valid JSON even with an exponent");
    }

    @Test
    void nonFiniteNumbersBecomeStrings() {
        assertEquals("\"NaN\"", JsonText.compact(Double.NaN));
        assertEquals("\"Infinity\"", JsonText.compact(Double.POSITIVE_INFINITY));
        assertEquals("\"-Infinity\"", JsonText.compact(Float.NEGATIVE_INFINITY));
    }

    @Test
    void nonFiniteNumbersInJacksonTreesBecomeStringsToo() throws IOException {
        // YAML's .nan and .inf parse to such nodes.
        JsonNodeFactory f = JsonNodeFactory.instance;
        assertEquals("\"NaN\"", JsonText.compact(f.numberNode(Double.NaN)));
        assertEquals("\"Infinity\"", JsonText.compact(f.numberNode(Float.POSITIVE_INFINITY)));
        ObjectNode node = f.objectNode();
        node.put("v", Double.NEGATIVE_INFINITY);
        assertEquals("-Infinity", JSON.readTree(JsonText.pretty(node)).get("v").textValue());
        assertEquals("2.5", JsonText.compact(f.numberNode(2.5)), "finite ones stay numbers");
    }

    @Test
    void otherObjectsAndKeysAreTheirText() {
        Object custom = new Object() {
            @Override
            public String toString() {
                return "custom \"thing\"";
            }
        };
        assertEquals("\"custom \\\"thing\\\"\"", JsonText.compact(custom));
        Map<Object, Object> keys = new LinkedHashMap<>();
        keys.put(1, "one");
        keys.put(null, "none");
        assertEquals("{\"1\":\"one\",\"null\":\"none\"}", JsonText.compact(keys));
    }

    @Test
    void jacksonTreesAreWrittenAsTheirJson() throws IOException {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode node = f.objectNode();
        node.put("s", "text");
        node.put("i", 3);
        node.put("big", new BigInteger("123456789012345678901234567890"));
        node.put("d", 2.5);
        node.put("b", false);
        node.putNull("n");
        ArrayNode array = node.putArray("a");
        array.add(1).add("two").addObject().put("three", 3);
        node.putObject("empty");

        String compact = JsonText.compact(node);
        assertEquals("{\"s\":\"text\",\"i\":3,\"big\":123456789012345678901234567890,\"d\":2.5,\"b\":false,"
                + "\"n\":null,\"a\":[1,\"two\",{\"three\":3}],\"empty\":{}}", compact);
        assertEquals(node, JSON.readTree(compact));
        assertEquals(node, JSON.readTree(JsonText.pretty(node)));

        Map<String, Object> mixed = new LinkedHashMap<>();
        mixed.put("tree", node);
        mixed.put("list", List.of(f.textNode("t"), f.numberNode(1)));
        JsonNode parsed = JSON.readTree(JsonText.compact(mixed));
        assertEquals(node, parsed.get("tree"));
        assertEquals("t", parsed.get("list").get(0).textValue());
        assertEquals("\"quoted \\\" text\"", JsonText.compact(f.textNode("quoted \" text")));
    }

    @Test
    void prettyAndCompactDescribeTheSameValue() throws IOException {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("list", List.of(Map.of("a", List.of(1, 2, List.of())), "x\ny"));
        value.put("n", null);
        assertEquals(JSON.readTree(JsonText.compact(value)), JSON.readTree(JsonText.pretty(value)));
    }

    @Test
    void veryDeepNestingStaysValidJson() throws IOException {
        Object value = "leaf";
        for (int i = 0; i < 200; i++) {
            List<Object> wrapper = new ArrayList<>();
            wrapper.add(value);
            value = i % 2 == 0 ? wrapper : Map.of("k", wrapper);
        }
        String compact = JsonText.compact(value);
        JsonNode parsed = JSON.readTree(compact);
        int depth = 0;
        for (JsonNode n = parsed; n.isContainerNode(); n = n.isArray() ? n.get(0) : n.get("k")) {
            depth++;
        }
        assertTrue(depth <= 64, "nesting capped, was " + depth);
        JSON.readTree(JsonText.pretty(value));
    }
}
