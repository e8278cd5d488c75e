package io.datanadhi.agent.rules;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.datanadhi.agent.json.Json;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datanadhi.agent.diag.Diagnostics;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes {@code <dir>/.rules.resolved.json}: the rules as the agent understood them, each with
 * the file and index it came from, and the problems found. It is for people (and the doctor),
 * never read back by the agent.
 */
public final class ResolvedRulesWriter {

    public static final String FILE_NAME = ".rules.resolved.json";


    private ResolvedRulesWriter() {}

    /**
     * Replaces the file atomically (temp file + rename), so that a reader never sees half of it.
     * A failure is one warning, never an exception: the rules work without this file.
     *
     * @return whether the file was written
     */
    public static boolean write(Path datanadhiDir, RuleLoadResult result) {
        Path target = datanadhiDir.resolve(FILE_NAME);
        Path temp = null;
        try {
            byte[] content = Json.pretty(toJson(result));
            Files.createDirectories(datanadhiDir);
            temp = Files.createTempFile(datanadhiDir, FILE_NAME + ".", ".tmp");
            Files.write(temp, content);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            Diagnostics.warn("rules_resolved_write_failed", "cannot write " + target.toAbsolutePath()
                    + " (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + "); the rules are in effect all the same", "file", target.toString());
            deleteQuietly(temp);
            return false;
        }
    }

    static ObjectNode toJson(RuleLoadResult result) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ArrayNode rules = root.putArray("rules");
        for (Rule rule : result.rules().rules()) {
            ObjectNode r = rules.addObject();
            r.put("source", rule.source());
            r.put("index", rule.index());
            r.put("name", rule.name());
            r.put("any_condition_match", rule.anyConditionMatch());
            ArrayNode conditions = r.putArray("conditions");
            for (Condition condition : rule.conditions()) {
                conditions.addObject()
                        .put("key", condition.key())
                        .put("type", condition.type().yamlName())
                        .put("value", condition.value())
                        .put("negate", condition.negate());
            }
            ArrayNode pipelines = r.putArray("pipelines");
            rule.pipelines().forEach(pipelines::add);
            r.put("stdout", rule.stdout());
        }
        ArrayNode problems = root.putArray("problems");
        for (RuleProblem problem : result.problems()) {
            problems.addObject()
                    .put("file", problem.file())
                    .put("index", problem.index())
                    .put("rule", problem.ruleName())
                    .put("message", problem.message());
        }
        ArrayNode files = root.putArray("files");
        result.files().forEach(files::add);
        return root;
    }

    private static void deleteQuietly(Path temp) {
        if (temp == null) {
            return;
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException | RuntimeException ignored) {
            // Best effort: a stray temp file is harmless.
        }
    }
}
