package io.datanadhi.agent.rules;

import io.datanadhi.agent.record.RecordView;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * One routing rule: its conditions, how they combine, and what to do with a matching record
 * (ship it to {@code pipelines}, print it to stdout). Remembers where it was written, so that
 * {@code .rules.resolved.json} and the doctor can point at it.
 */
public final class Rule {

    private final String name;
    private final Condition[] conditions;
    private final boolean anyConditionMatch;
    private final List<String> pipelines;
    private final boolean stdout;
    private final String source;
    private final int index;

    /**
     * @param name the rule's name, or null
     * @param anyConditionMatch true: one condition suffices (OR); false: all must match (AND)
     * @param pipelines pipeline names; duplicates are dropped, order kept
     * @param source the file as written relative to the Data Nadhi directory
     *     ({@code rules/app.yml}), or null for a rule built in code
     * @param index the rule's position within its file, from 0
     * @throws IllegalArgumentException without conditions, or without an action
     */
    public Rule(String name, List<Condition> conditions, boolean anyConditionMatch,
            List<String> pipelines, boolean stdout, String source, int index) {
        if (conditions.isEmpty()) {
            throw new IllegalArgumentException("a rule needs at least one condition");
        }
        if (pipelines.isEmpty() && !stdout) {
            throw new IllegalArgumentException("a rule needs an action: pipelines or stdout");
        }
        this.name = name;
        this.conditions = conditions.toArray(new Condition[0]);
        for (Condition c : this.conditions) {
            Objects.requireNonNull(c, "condition");
        }
        this.anyConditionMatch = anyConditionMatch;
        this.pipelines = List.copyOf(new LinkedHashSet<>(pipelines));
        this.stdout = stdout;
        this.source = source;
        this.index = index;
    }

    /** Whether the record satisfies the rule. With one condition, AND and OR are the same. */
    public boolean matches(RecordView record) {
        if (anyConditionMatch) {
            for (Condition condition : conditions) {
                if (condition.matches(record)) {
                    return true;
                }
            }
            return false;
        }
        for (Condition condition : conditions) {
            if (!condition.matches(record)) {
                return false;
            }
        }
        return true;
    }

    /** The name, or null when the rule has none. */
    public String name() {
        return name;
    }

    public List<Condition> conditions() {
        return List.of(conditions);
    }

    int conditionCount() {
        return conditions.length;
    }

    public boolean anyConditionMatch() {
        return anyConditionMatch;
    }

    public List<String> pipelines() {
        return pipelines;
    }

    public boolean stdout() {
        return stdout;
    }

    /** The file the rule came from, relative to the Data Nadhi directory; null if built in code. */
    public String source() {
        return source;
    }

    /** The rule's position within its file, from 0. */
    public int index() {
        return index;
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Condition c : conditions) {
            parts.add(c.toString());
        }
        String joined = String.join(anyConditionMatch ? " or " : " and ", parts);
        return (name == null ? "rule" : name) + " [" + joined + "] -> " + pipelines
                + (stdout ? " +stdout" : "");
    }
}
