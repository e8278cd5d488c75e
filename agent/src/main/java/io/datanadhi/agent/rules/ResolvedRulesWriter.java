package io.datanadhi.agent.rules;

import io.datanadhi.agent.files.AtomicFiles;
import io.datanadhi.agent.files.ProcessId;
import io.datanadhi.agent.json.JsonText;
import io.datanadhi.agent.record.UtcTime;
import io.datanadhi.agent.diag.Diagnostics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
        try {
            AtomicFiles.write(target, JsonText.pretty(toJson(result)));
            return true;
        } catch (IOException | RuntimeException e) {
            Diagnostics.warn("rules_resolved_write_failed", "cannot write " + target.toAbsolutePath()
                    + " (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + "); the rules are in effect all the same", "file", target.toString());
            return false;
        }
    }

    static Map<String, Object> toJson(RuleLoadResult result) {
        List<Object> rules = new ArrayList<>();
        for (Rule rule : result.rules().rules()) {
            rules.add(ruleJson(rule));
        }
        List<Object> problems = new ArrayList<>();
        for (RuleProblem problem : result.problems()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("file", problem.file());
            p.put("index", problem.index());
            p.put("rule", problem.ruleName());
            p.put("message", problem.message());
            problems.add(p);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("rules", rules);
        root.put("problems", problems);
        root.put("files", result.files());
        // Who loaded them and when: the doctor tells a running agent's last reload from a stale file.
        root.put("loaded_at", UtcTime.of(result.loadedAt()));
        root.put("pid", ProcessId.current());
        return root;
    }

    /** One rule as this file shows it; {@link RuleChanges} compares rules by it. */
    static Map<String, Object> ruleJson(Rule rule) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("source", rule.source());
        r.put("index", rule.index());
        r.put("name", rule.name());
        r.put("any_condition_match", rule.anyConditionMatch());
        List<Object> conditions = new ArrayList<>();
        for (Condition condition : rule.conditions()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("key", condition.key());
            c.put("type", condition.type().yamlName());
            c.put("value", condition.value());
            c.put("negate", condition.negate());
            conditions.add(c);
        }
        r.put("conditions", conditions);
        r.put("pipelines", rule.pipelines());
        r.put("stdout", rule.stdout());
        return r;
    }
}
