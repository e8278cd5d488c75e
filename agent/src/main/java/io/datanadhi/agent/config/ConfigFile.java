package io.datanadhi.agent.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.agent.json.YamlTree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * {@code <dir>/config.yml} (or {@code config.yaml}): nested YAML flattened to dotted keys, so
 * {@code server: {host: x}} becomes {@code server.host = x}. A file that cannot be read or parsed
 * is reported once and contributes nothing.
 */
final class ConfigFile {
    static final String YML = "config.yml";
    static final String YAML = "config.yaml";
    // A configuration file is a few lines; anything this large is a mistake, not a config.
    private static final long MAX_BYTES = 1024 * 1024;

    private ConfigFile() {}

    /** The file to read in {@code dir}, or null when there is none. */
    static Path locate(Path dir, PendingWarnings warnings) {
        Path yml = dir.resolve(YML);
        Path yaml = dir.resolve(YAML);
        boolean hasYml = Files.exists(yml);
        boolean hasYaml = Files.exists(yaml);
        if (hasYml && hasYaml) {
            warnings.add(ConfigEvents.FILE_DUPLICATE,
                    "both " + YML + " and " + YAML + " exist; using " + YML + " and ignoring " + YAML,
                    "source", "file " + yml, "file", yml.toString(), "ignored", yaml.toString());
        }
        return hasYml ? yml : hasYaml ? yaml : null;
    }

    /** Dotted keys to values, in file order; empty when the file is missing, unreadable or malformed. */
    static Map<String, RawValue> read(Path file, PendingWarnings warnings) {
        Map<String, RawValue> values = new LinkedHashMap<>();
        if (file == null) {
            return values;
        }
        String source = "file " + file;
        String text;
        try {
            if (Files.size(file) > MAX_BYTES) {
                warnings.add(ConfigEvents.FILE_UNREADABLE,
                        file.getFileName() + " is larger than 1 MB; the file is ignored, other sources still apply",
                        "source", source, "file", file.toString());
                return values;
            }
            text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            warnings.add(ConfigEvents.FILE_UNREADABLE,
                    file.getFileName() + " cannot be read (" + e.getClass().getSimpleName()
                            + "); the file is ignored, other sources still apply",
                    "source", source, "file", file.toString());
            return values;
        }
        JsonNode root;
        try {
            root = YamlTree.parse(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            warnings.add(ConfigEvents.FILE_MALFORMED,
                    file.getFileName() + " is not valid YAML (" + describe(e)
                            + "); the file is ignored, other sources still apply",
                    "source", source, "file", file.toString());
            return values;
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return values; // empty file or only comments
        }
        if (!root.isObject()) {
            warnings.add(ConfigEvents.FILE_MALFORMED,
                    file.getFileName() + " must be a mapping of keys (e.g. server: {host: ...}), not a "
                            + root.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
                            + "; the file is ignored, other sources still apply",
                    "source", source, "file", file.toString());
            return values;
        }
        flatten("", root, source, values);
        return values;
    }

    private static void flatten(String prefix, JsonNode node, String source, Map<String, RawValue> out) {
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String key = prefix + field.getKey();
            JsonNode value = field.getValue();
            if (value.isObject()) {
                flatten(key + ".", value, source, out);
            } else if (value.isArray()) {
                out.put(key, listValue(value, source));
            } else if (!value.isNull() && !value.asText().isBlank()) {
                out.put(key, RawValue.text(value.asText(), SourceKind.FILE, source));
            }
        }
    }

    private static RawValue listValue(JsonNode array, String source) {
        List<String> items = new ArrayList<>();
        for (JsonNode item : array) {
            if (item.isContainerNode()) {
                return RawValue.structure(array.toString(), SourceKind.FILE, source);
            }
            if (!item.isNull()) {
                items.add(item.asText());
            }
        }
        return RawValue.list(items, SourceKind.FILE, source);
    }

    /**
     * Where and what, without the offending line's text: the parser's own message quotes the
     * line, which could hold the API key.
     */
    private static String describe(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException) {
                MarkedYAMLException yaml = (MarkedYAMLException) t;
                Mark mark = yaml.getProblemMark();
                String where = mark == null ? "" : "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ": ";
                return where + firstLine(yaml.getProblem());
            }
        }
        if (e instanceof JsonProcessingException) {
            JsonLocation location = ((JsonProcessingException) e).getLocation();
            if (location != null && location.getLineNr() > 0) {
                return "line " + location.getLineNr() + ", column " + location.getColumnNr();
            }
        }
        return e.getClass().getSimpleName();
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "syntax error";
        }
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl);
    }
}
