package io.datanadhi.agent.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;

/**
 * Compact JSON written straight into UTF-8 bytes, for records: byte for byte what Jackson's
 * generator writes with its defaults (the same escapes, upper-case hex, each UTF-16 surrogate
 * escaped on its own, a float as {@code Float.toString}). Jackson's factory and first generator
 * cost 20 to 35 ms of class loading on a cold JVM, which a short job shipping one record waits
 * for at exit.
 */
public final class JsonBytes {

    private static final int MAX_NESTING = 64;
    /** The largest array a JVM reliably makes. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** 0: written as it is; else the letter after the backslash, or 'u' for a six-character escape of the code. */
    private static final byte[] ESCAPES = new byte[128];

    static {
        for (int c = 0; c < 0x20; c++) {
            ESCAPES[c] = 'u';
        }
        ESCAPES['"'] = '"';
        ESCAPES['\\'] = '\\';
        ESCAPES['\b'] = 'b';
        ESCAPES['\t'] = 't';
        ESCAPES['\f'] = 'f';
        ESCAPES['\n'] = 'n';
        ESCAPES['\r'] = 'r';
    }

    private byte[] bytes;
    private int size;
    /** A value was just completed at this level: the next name or value needs a comma. */
    private boolean comma;

    public JsonBytes(int capacity) {
        bytes = new byte[Math.max(capacity, 16)];
    }

    public JsonBytes startObject() {
        separate();
        put((byte) '{');
        comma = false;
        return this;
    }

    public JsonBytes endObject() {
        put((byte) '}');
        comma = true;
        return this;
    }

    public JsonBytes startArray() {
        separate();
        put((byte) '[');
        comma = false;
        return this;
    }

    public JsonBytes endArray() {
        put((byte) ']');
        comma = true;
        return this;
    }

    /** A field's name (null as "null"); its value follows. */
    public JsonBytes name(String name) {
        separate();
        quote(String.valueOf(name));
        put((byte) ':');
        comma = false;
        return this;
    }

    /** A string value, or {@code null}. */
    public JsonBytes string(String value) {
        separate();
        if (value == null) {
            ascii("null");
        } else {
            quote(value);
        }
        comma = true;
        return this;
    }

    public JsonBytes number(long value) {
        separate();
        ascii(Long.toString(value));
        comma = true;
        return this;
    }

    public JsonBytes bool(boolean value) {
        separate();
        ascii(value ? "true" : "false");
        comma = true;
        return this;
    }

    /** A value that is already JSON text in UTF-8, e.g. a record's serialized {@code log_data}. */
    public JsonBytes raw(byte[] json) {
        separate();
        ensure(json.length);
        System.arraycopy(json, 0, bytes, size, json.length);
        size += json.length;
        comma = true;
        return this;
    }

    /**
     * A plain value: strings, numbers, booleans, maps, iterables, the agent's own Jackson trees; a
     * non-finite number as a string, anything else (or nested deeper than 64) as its
     * {@code toString()}.
     */
    public JsonBytes value(Object value) {
        value(value, 0);
        return this;
    }

    private void value(Object value, int depth) {
        if (value == null) {
            string(null);
        } else if (value instanceof String) {
            string((String) value);
        } else if (value instanceof Boolean) {
            bool((Boolean) value);
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            number(((Number) value).longValue());
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (!Double.isFinite(d)) {
                string(String.valueOf(d));
            } else if (value instanceof Float) {
                // As the application printed it: 0.1, not the widened 0.10000000149011612.
                digits(Float.toString((Float) value));
            } else {
                digits(Double.toString(d));
            }
        } else if (value instanceof BigDecimal || value instanceof BigInteger) {
            digits(value.toString());
        } else if (value instanceof Map && depth < MAX_NESTING) {
            startObject();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                name(String.valueOf(e.getKey()));
                value(e.getValue(), depth + 1);
            }
            endObject();
        } else if (value instanceof Iterable && JsonText.isTree(value)) {
            node((JsonNode) value, depth);
        } else if (value instanceof Iterable && depth < MAX_NESTING) {
            startArray();
            for (Object item : (Iterable<?>) value) {
                value(item, depth + 1);
            }
            endArray();
        } else {
            string(String.valueOf(value));
        }
    }

    private void node(JsonNode node, int depth) {
        if (node.isObject() && depth < MAX_NESTING) {
            startObject();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                name(e.getKey());
                node(e.getValue(), depth + 1);
            }
            endObject();
        } else if (node.isArray() && depth < MAX_NESTING) {
            startArray();
            for (JsonNode item : node) {
                node(item, depth + 1);
            }
            endArray();
        } else if (node.isTextual()) {
            string(node.textValue());
        } else if (node.isBoolean()) {
            bool(node.booleanValue());
        } else if (node.isNull() || node.isMissingNode()) {
            string(null);
        } else if (node.isIntegralNumber()) {
            digits(node.canConvertToLong() ? Long.toString(node.longValue()) : node.bigIntegerValue().toString());
        } else if (node.isNumber()) {
            double d = node.doubleValue();
            if (node.isBigDecimal()) {
                digits(node.decimalValue().toString());
            } else if (Double.isFinite(d)) {
                digits(Double.toString(d));
            } else {
                string(String.valueOf(d));
            }
        } else {
            string(node.asText());
        }
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }

    private void digits(String digits) {
        separate();
        ascii(digits);
        comma = true;
    }

    private void separate() {
        if (comma) {
            put((byte) ',');
        }
    }

    private void put(byte b) {
        ensure(1);
        bytes[size++] = b;
    }

    private void ascii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            bytes[size++] = (byte) s.charAt(i);
        }
    }

    private void quote(String s) {
        int n = s.length();
        // Room for every remaining char as one byte and the closing quote, kept true by the loop.
        ensure(n + 2);
        byte[] b = bytes;
        int p = size;
        b[p++] = '"';
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80 && ESCAPES[c] == 0) {
                b[p++] = (byte) c;
                continue;
            }
            if (6 + (n - i) > b.length - p) {
                size = p;
                ensure(6 + (n - i));
                b = bytes;
            }
            if (c < 0x80) {
                byte escape = ESCAPES[c];
                b[p++] = '\\';
                b[p++] = escape;
                if (escape == 'u') {
                    b[p++] = '0';
                    b[p++] = '0';
                    b[p++] = HEX[c >> 4];
                    b[p++] = HEX[c & 0xF];
                }
            } else if (c < 0x800) {
                b[p++] = (byte) (0xC0 | (c >> 6));
                b[p++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                b[p++] = '\\';
                b[p++] = 'u';
                b[p++] = HEX[c >> 12];
                b[p++] = HEX[(c >> 8) & 0xF];
                b[p++] = HEX[(c >> 4) & 0xF];
                b[p++] = HEX[c & 0xF];
            } else {
                b[p++] = (byte) (0xE0 | (c >> 12));
                b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                b[p++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        b[p++] = '"';
        size = p;
    }

    private void ensure(int more) {
        if (more > bytes.length - size) {
            long needed = (long) size + more;
            if (needed > MAX_ARRAY) {
                throw new OutOfMemoryError("a JSON record of " + needed + " bytes");
            }
            bytes = Arrays.copyOf(bytes, (int) Math.min(MAX_ARRAY, Math.max(needed, 2L * bytes.length)));
        }
    }
}
