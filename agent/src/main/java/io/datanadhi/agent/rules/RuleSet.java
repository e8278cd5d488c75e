package io.datanadhi.agent.rules;

import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.Level;
import io.datanadhi.agent.record.RecordView;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The loaded rules, evaluated synchronously on the application's logging thread. Immutable and
 * safe to share between threads.
 *
 * <p>{@link #evaluate} is on the hot path of every log call: for a record that matches no rule it
 * allocates nothing and returns {@link Match#NONE}; for a matching record it looks up the Match
 * already built for the same combination of matching rules.
 */
public final class RuleSet {

    /** No rules: nothing is ever shipped or printed. */
    public static final RuleSet EMPTY = new RuleSet(List.of());

    private final Rule[] rules;
    private final Set<String> keys;
    /** Null unless every condition can be read straight from the framework's event (see {@link QuickRules}). */
    private final QuickRules quick;
    // Up to 64 rules: the combination is a long bitmask, looked up without allocating.
    private final MatchCache smallCache = new MatchCache();
    // Beyond: a BitSet per matching event, which is then the key.
    private final ConcurrentHashMap<BitSet, Match> largeCache = new ConcurrentHashMap<>();

    public RuleSet(List<Rule> rules) {
        this.rules = rules.toArray(new Rule[0]);
        Set<String> read = new LinkedHashSet<>();
        for (Rule rule : this.rules) {
            for (Condition condition : rule.conditions()) {
                read.add(condition.key());
            }
        }
        this.keys = Set.copyOf(read);
        this.quick = QuickRules.of(this.rules);
    }

    /**
     * True when every condition reads the level, the logger's name, the framework, the message
     * or a context value (not {@code context.error}), and there are at most 64 rules (63 with
     * one on the message or the context): then
     * {@link #evaluate(Level, String, EventMapper, Object, Object, CapturedEvent)} decides from the framework's event.
     */
    public boolean quick() {
        return quick != null;
    }

    /**
     * What to do with an event, for {@linkplain #quick() quick} rules only: the same answer as
     * {@link #evaluate(RecordView)}, read from the framework's event without a record view; null
     * when only the view can tell (a rule compares a context value that is a map or an object).
     * {@code thread} is the logging thread's empty event (see {@link EventMapper#messageText}).
     */
    public Match evaluate(Level level, String framework, EventMapper mapper, Object event, Object logger,
            CapturedEvent thread) {
        long matched = quick.matching(level, framework, mapper, event, logger, thread);
        if (matched == QuickRules.UNDECIDED) {
            return null;
        }
        return matched == 0L ? Match.NONE : matchFor(matched);
    }

    /** As {@link #evaluate(Level, String, EventMapper, Object, Object, CapturedEvent)}, for an event held in {@code event}. */
    public Match evaluate(Level level, EventMapper mapper, CapturedEvent event) {
        return evaluate(level, event.framework, mapper, event.event, event.logger, event);
    }

    /** What to do with a record: the union of the actions of every rule it matches. */
    public Match evaluate(RecordView record) {
        Rule[] rules = this.rules;
        if (rules.length <= 64) {
            long matched = 0L;
            for (int i = 0; i < rules.length; i++) {
                if (rules[i].matches(record)) {
                    matched |= 1L << i;
                }
            }
            return matched == 0L ? Match.NONE : matchFor(matched);
        }
        BitSet matched = null;
        for (int i = 0; i < rules.length; i++) {
            if (rules[i].matches(record)) {
                if (matched == null) {
                    matched = new BitSet(rules.length);
                }
                matched.set(i);
            }
        }
        if (matched == null) {
            return Match.NONE;
        }
        Match cached = largeCache.get(matched);
        if (cached != null) {
            return cached;
        }
        Match built = combine(matched);
        if (largeCache.size() < MatchCache.MAX_ENTRIES) {
            Match raced = largeCache.putIfAbsent(matched, built);
            return raced != null ? raced : built;
        }
        return built;
    }

    private Match matchFor(long matched) {
        Match cached = smallCache.get(matched);
        if (cached != null) {
            return cached;
        }
        return smallCache.put(matched, combine(BitSet.valueOf(new long[] {matched})));
    }

    /** Pipelines of the matching rules in rule order, each once; stdout if any rule asks. */
    private Match combine(BitSet matched) {
        Set<String> pipelines = new LinkedHashSet<>();
        boolean stdout = false;
        for (int i = matched.nextSetBit(0); i >= 0; i = matched.nextSetBit(i + 1)) {
            pipelines.addAll(rules[i].pipelines());
            stdout |= rules[i].stdout();
        }
        return new Match(new ArrayList<>(pipelines), stdout);
    }

    /** The rules, in evaluation order (files by name, then position in the file). */
    public List<Rule> rules() {
        return List.of(rules);
    }

    public int size() {
        return rules.length;
    }

    public boolean isEmpty() {
        return rules.length == 0;
    }

    /**
     * The dot-notation keys that some rule reads, so that the record builder can skip costly
     * fields (the caller's file and line need a stack walk) that no rule looks at.
     */
    public Set<String> keys() {
        return keys;
    }

    /** Combinations of matching rules seen so far, for tests. */
    int cachedMatches() {
        return smallCache.size() + largeCache.size();
    }
}
