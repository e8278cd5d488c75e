package io.datanadhi.agent.rules;

import java.util.List;

/**
 * What the rules decided for one record: the pipelines to ship it to (the union of those of every
 * matching rule, each once, in rule order) and whether to print it. Immutable and shared: the
 * same combination of matching rules always yields the same instance.
 */
public final class Match {

    /** No rule matched: ship nothing, print nothing. */
    public static final Match NONE = new Match(List.of(), false);

    private final List<String> pipelines;
    private final boolean stdout;

    Match(List<String> pipelines, boolean stdout) {
        this.pipelines = List.copyOf(pipelines);
        this.stdout = stdout;
    }

    /** The pipelines to ship the record to; empty when it is not shipped. Immutable. */
    public List<String> pipelines() {
        return pipelines;
    }

    /** Whether the record is printed to stdout as one JSON line. */
    public boolean stdout() {
        return stdout;
    }

    /** Whether the record is to be shipped to at least one pipeline. */
    public boolean ships() {
        return !pipelines.isEmpty();
    }

    /** True when nothing is to be done with the record. */
    public boolean isNone() {
        return pipelines.isEmpty() && !stdout;
    }

    @Override
    public String toString() {
        return "Match" + pipelines + (stdout ? " +stdout" : "");
    }
}
