package io.datanadhi.echopost;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** JSON helpers: quoting, checking a record's json_data, and building the replay body. */
final class Json {

    private static final JsonFactory FACTORY = new JsonFactory();
    private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);

    private Json() {}

    static void quote(StringBuilder out, String s) {
        if (s == null) {
            out.append("null");
            return;
        }
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    /** True when {@code text} is exactly one JSON object. */
    static boolean isObject(String text) {
        try (JsonParser parser = FACTORY.createParser(text)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            parser.skipChildren();
            return parser.nextToken() == null;
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * {@code {"pipelines": [...], "log_data": <json_data>}}: what replay posts. Invalid json_data
     * becomes an empty object, as the original EchoPost stores it. Written straight into the one
     * array it returns: a record of 3 MB costs 3 MB here, not the 9 MB of encoding it, copying
     * it into a stream and copying that out, which EchoPost's 24 MB heap could not spare while
     * other records were arriving.
     */
    static byte[] body(List<String> pipelines, String jsonData, boolean valid) {
        StringBuilder head = new StringBuilder(64);
        head.append("{\"pipelines\":[");
        for (int i = 0; i < pipelines.size(); i++) {
            if (i > 0) {
                head.append(',');
            }
            quote(head, pipelines.get(i));
        }
        head.append("],\"log_data\":");
        byte[] prefix = head.toString().getBytes(StandardCharsets.UTF_8);
        int dataLength = valid ? utf8Length(jsonData) : EMPTY_OBJECT.length;
        byte[] body = new byte[prefix.length + dataLength + 1];
        System.arraycopy(prefix, 0, body, 0, prefix.length);
        if (valid) {
            encodeUtf8(jsonData, body, prefix.length);
        } else {
            System.arraycopy(EMPTY_OBJECT, 0, body, prefix.length, EMPTY_OBJECT.length);
        }
        body[body.length - 1] = '}';
        return body;
    }

    /** The length of {@code s} in UTF-8, as {@code s.getBytes(UTF_8)} encodes it ('?' for a lone surrogate). */
    static int utf8Length(String s) {
        int length = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                length++;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                length += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                length++;
            } else {
                length += 3;
            }
        }
        return length;
    }

    /** Writes {@code s} as UTF-8 at {@code offset}; {@link #utf8Length} bytes. */
    static void encodeUtf8(String s, byte[] out, int offset) {
        int at = offset;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                out[at++] = (byte) c;
            } else if (c < 0x800) {
                out[at++] = (byte) (0xC0 | (c >> 6));
                out[at++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                int codePoint = Character.toCodePoint(c, s.charAt(++i));
                out[at++] = (byte) (0xF0 | (codePoint >> 18));
                out[at++] = (byte) (0x80 | ((codePoint >> 12) & 0x3F));
                out[at++] = (byte) (0x80 | ((codePoint >> 6) & 0x3F));
                out[at++] = (byte) (0x80 | (codePoint & 0x3F));
            } else if (Character.isSurrogate(c)) {
                out[at++] = '?';
            } else {
                out[at++] = (byte) (0xE0 | (c >> 12));
                out[at++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                out[at++] = (byte) (0x80 | (c & 0x3F));
            }
        }
    }
}
