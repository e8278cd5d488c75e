package io.datanadhi.agent.rules;

import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.Level;
import io.datanadhi.agent.record.RecordPath;

/**
 * A rule set whose every condition reads the level, the logger's name or the framework, which
 * the agent has at hand for every captured event: evaluated straight from those values, with no
 * record view and nothing stored. This is the cost every logged event pays when no rule wants
 * it, so it is a few loads and bit operations: each condition is one bit, those on the level
 * come from a table made when the rules load, those on the logger's name from a cache keyed by
 * the name (a logger's name is one String for all its events), and a rule matches when its
 * conditions' bits are all set (or, for {@code any_condition_match}, any).
 */
final class QuickRules {

    /** Logger names whose condition bits are remembered; a name that collides is just recomputed. */
    private static final int NAME_CACHE_SIZE = 1024;

    /** For each level ordinal, the bits of the level conditions that hold for it. */
    private final long[] levelHolds;
    private final long nameConditions;
    private final long frameworkConditions;
    private final long[] ruleConditions;
    private final boolean[] anyConditionMatch;
    private final Condition[] conditions;
    private final NameBits[] names = new NameBits[NAME_CACHE_SIZE];

    /** A logger's name and the bits of the name conditions that hold for it; immutable. */
    private static final class NameBits {
        final String name;
        final long holds;

        NameBits(String name, long holds) {
            this.name = name;
            this.holds = holds;
        }
    }

    private QuickRules(long[] levelHolds, long nameConditions, long frameworkConditions, long[] ruleConditions,
            boolean[] anyConditionMatch, Condition[] conditions) {
        this.levelHolds = levelHolds;
        this.nameConditions = nameConditions;
        this.frameworkConditions = frameworkConditions;
        this.ruleConditions = ruleConditions;
        this.anyConditionMatch = anyConditionMatch;
        this.conditions = conditions;
    }

    /**
     * Null when some condition reads another field, or there are more than 64 rules or 64
     * conditions (one bit each).
     */
    static QuickRules of(Rule[] rules) {
        int count = 0;
        for (Rule rule : rules) {
            count += rule.conditionCount();
        }
        if (rules.length > 64 || count > 64) {
            return null;
        }
        long[] levelHolds = new long[Level.values().length];
        long nameConditions = 0L;
        long frameworkConditions = 0L;
        long[] ruleConditions = new long[rules.length];
        boolean[] any = new boolean[rules.length];
        Condition[] conditions = new Condition[count];
        int c = 0;
        for (int r = 0; r < rules.length; r++) {
            any[r] = rules[r].anyConditionMatch();
            for (Condition condition : rules[r].conditions()) {
                long bit = 1L << c;
                RecordPath.Field field = condition.field();
                if (field == RecordPath.Field.LEVEL) {
                    for (Level level : Level.values()) {
                        if (condition.matchesText(level.name())) {
                            levelHolds[level.ordinal()] |= bit;
                        }
                    }
                } else if (field == RecordPath.Field.LOGGER_NAME) {
                    nameConditions |= bit;
                } else if (field == RecordPath.Field.FRAMEWORK) {
                    frameworkConditions |= bit;
                } else {
                    return null;
                }
                ruleConditions[r] |= bit;
                conditions[c++] = condition;
            }
        }
        return new QuickRules(levelHolds, nameConditions, frameworkConditions, ruleConditions, any, conditions);
    }

    /** Bit i set when rule i matches. */
    long matching(Level level, String framework, EventMapper mapper, Object event, Object logger) {
        long holds = levelHolds[level.ordinal()];
        if (nameConditions != 0L) {
            holds |= nameHolds(mapper.loggerName(event, logger));
        }
        if (frameworkConditions != 0L) {
            holds |= holds(frameworkConditions, framework);
        }
        long matched = 0L;
        long[] rules = ruleConditions;
        for (int r = 0; r < rules.length; r++) {
            long mine = rules[r];
            if (anyConditionMatch[r] ? (holds & mine) != 0L : (holds & mine) == mine) {
                matched |= 1L << r;
            }
        }
        return matched;
    }

    private long nameHolds(String name) {
        if (name == null) {
            return 0L; // a missing key matches nothing, negated or not
        }
        int slot = name.hashCode() & (NAME_CACHE_SIZE - 1);
        NameBits known = names[slot];
        if (known != null && (known.name == name || known.name.equals(name))) {
            return known.holds;
        }
        long computed = holds(nameConditions, name);
        // A racing thread may write the same slot: either entry is right for its own name.
        names[slot] = new NameBits(name, computed);
        return computed;
    }

    /** The bits among {@code which} of the conditions that hold for {@code text}. */
    private long holds(long which, String text) {
        long holds = 0L;
        for (long left = which; left != 0L; left &= left - 1) {
            int c = Long.numberOfTrailingZeros(left);
            if (conditions[c].matchesText(text)) {
                holds |= 1L << c;
            }
        }
        return holds;
    }
}
