package io.datanadhi.echopost;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
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
     * becomes an empty object, as the original EchoPost stores it.
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
        byte[] data = valid ? jsonData.getBytes(StandardCharsets.UTF_8) : EMPTY_OBJECT;
        ByteArrayOutputStream out = new ByteArrayOutputStream(prefix.length + data.length + 1);
        out.write(prefix, 0, prefix.length);
        out.write(data, 0, data.length);
        out.write('}');
        return out.toByteArray();
    }
}
