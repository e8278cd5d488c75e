package io.datanadhi.agent.rules;

import io.datanadhi.agent.record.RecordView;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * A record held as a Jackson tree (a line of a JSON file, a record read back from disk) as the
 * rules see it. Resolving a path allocates nothing.
 */
public final class JsonNodeView implements RecordView {

    private final JsonNode root;

    public JsonNodeView(JsonNode root) {
        this.root = Objects.requireNonNull(root, "root");
    }

    @Override
    public Object resolve(String[] path) {
        JsonNode node = root;
        for (String part : path) {
            if (!node.isObject()) {
                return null; // keys descend through objects only, never into arrays or text
            }
            node = node.get(part);
            if (node == null) {
                return null;
            }
        }
        return node.isNull() || node.isMissingNode() ? null : node;
    }
}
