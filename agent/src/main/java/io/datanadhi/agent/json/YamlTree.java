package io.datanadhi.agent.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;

/**
 * Reads a YAML document into a Jackson tree with the streaming parser, without an ObjectMapper
 * (see {@link Json}): config.yml and rule files are read while the application starts.
 */
public final class YamlTree {

    private static final YAMLFactory YAML = new YAMLFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int MAX_NESTING = 64;

    /** The text held more than one YAML document. */
    public static final class SeveralDocumentsException extends IOException {
        private static final long serialVersionUID = 1L;

        SeveralDocumentsException() {
            super("several YAML documents");
        }
    }

    private YamlTree() {}

    /** The document's tree, or null for an empty document (nothing, or only comments). */
    public static JsonNode parse(byte[] content) throws IOException {
        try (JsonParser parser = YAML.createParser(content)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return null;
            }
            JsonNode root = read(parser, first, 0);
            if (parser.nextToken() != null) {
                throw new SeveralDocumentsException();
            }
            return root;
        }
    }

    private static JsonNode read(JsonParser parser, JsonToken token, int depth) throws IOException {
        if (depth > MAX_NESTING) {
            throw new IOException("nested more than " + MAX_NESTING + " levels deep");
        }
        switch (token) {
            case START_OBJECT: {
                ObjectNode object = NODES.objectNode();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    object.set(name, read(parser, parser.nextToken(), depth + 1));
                }
                return object;
            }
            case START_ARRAY: {
                ArrayNode array = NODES.arrayNode();
                for (JsonToken next = parser.nextToken(); next != JsonToken.END_ARRAY; next = parser.nextToken()) {
                    array.add(read(parser, next, depth + 1));
                }
                return array;
            }
            case VALUE_STRING:
                return NODES.textNode(parser.getText());
            case VALUE_NUMBER_INT:
                switch (parser.getNumberType()) {
                    case INT:
                        return NODES.numberNode(parser.getIntValue());
                    case LONG:
                        return NODES.numberNode(parser.getLongValue());
                    default:
                        return NODES.numberNode(parser.getBigIntegerValue());
                }
            case VALUE_NUMBER_FLOAT:
                return NODES.numberNode(parser.getDoubleValue());
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            case VALUE_NULL:
                return NODES.nullNode();
            default:
                return NODES.textNode(parser.getText());
        }
    }
}
