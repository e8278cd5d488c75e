package io.datanadhi.agent.rules;

import io.datanadhi.agent.record.RecordView;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datanadhi.agent.diag.Diagnostics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Small helpers shared by the rules tests. */
final class RuleTestSupport {

    static final ObjectMapper JSON = new ObjectMapper();

    private RuleTestSupport() {}

    /** Writes {@code <dir>/rules/<file>}. */
    static Path writeRuleFile(Path datanadhiDir, String file, String yaml) {
        try {
            Path rules = Files.createDirectories(datanadhiDir.resolve("rules"));
            return Files.writeString(rules.resolve(file), yaml, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loads one rule file written from text; fails the test if it has any problem. */
    static RuleSet rules(Path datanadhiDir, String yaml) {
        writeRuleFile(datanadhiDir, "rules.yml", yaml);
        RuleLoadResult result = RuleLoader.load(datanadhiDir);
        if (!result.problems().isEmpty()) {
            throw new AssertionError("unexpected rule problems: " + result.problems());
        }
        return result.rules();
    }

    static JsonNode json(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static RecordView event(String json) {
        return new JsonNodeView(json(json));
    }

    /** A record held as plain Java maps, lists and boxed values, as the agent builds them. */
    static RecordView mapRecord(Map<String, ?> root) {
        return path -> {
            Object node = root;
            for (String part : path) {
                if (!(node instanceof Map)) {
                    return null;
                }
                node = ((Map<?, ?>) node).get(part);
            }
            return node;
        };
    }

    /** Collects the diagnostics lines written while open. */
    static final class CapturedDiagnostics implements AutoCloseable {
        final List<String> lines = new CopyOnWriteArrayList<>();
        private final Consumer<String> listener = lines::add;

        CapturedDiagnostics() {
            Diagnostics.addListener(listener);
        }

        /** The captured lines parsed as JSON objects. */
        List<JsonNode> parsed() {
            return lines.stream().map(RuleTestSupport::json).collect(java.util.stream.Collectors.toList());
        }

        /** The parsed lines with the given event name. */
        List<JsonNode> events(String event) {
            return parsed().stream()
                    .filter(line -> event.equals(line.path("event").asText()))
                    .collect(java.util.stream.Collectors.toList());
        }

        @Override
        public void close() {
            Diagnostics.removeListener(listener);
        }
    }
}
