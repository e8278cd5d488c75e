package io.datanadhi.agent.rules;

import java.time.Instant;
import java.util.List;

/** What {@link RuleLoader#load} found: the valid rules, the problems, and the files it read. */
public final class RuleLoadResult {

    private final RuleSet rules;
    private final List<RuleProblem> problems;
    private final List<String> files;
    private final Instant loadedAt = Instant.now();
    private final boolean cached;

    public RuleLoadResult(RuleSet rules, List<RuleProblem> problems, List<String> files) {
        this(rules, problems, files, false);
    }

    RuleLoadResult(RuleSet rules, List<RuleProblem> problems, List<String> files, boolean cached) {
        this.rules = rules;
        this.problems = List.copyOf(problems);
        this.files = List.copyOf(files);
        this.cached = cached;
    }

    /** Read from {@code <dir>/.rules.cache}, the files being unchanged since they were parsed. */
    public boolean cached() {
        return cached;
    }

    /** When the files were read. */
    public Instant loadedAt() {
        return loadedAt;
    }

    /** The valid rules; empty when there are none. */
    public RuleSet rules() {
        return rules;
    }

    /** Every problem found, in the order found; each was also reported once as a warning. */
    public List<RuleProblem> problems() {
        return problems;
    }

    /** The rule files read, relative to the Data Nadhi directory ({@code rules/app.yml}), sorted. */
    public List<String> files() {
        return files;
    }
}
