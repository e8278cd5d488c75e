package io.datanadhi.agent.rules;

import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.Level;
import io.datanadhi.agent.record.RecordPath;

/**
 * A rule set whose every condition reads the level, the logger's name or the framework, which
 * the agent has at hand for every captured event: evaluated straight from those values, in flat
 * arrays, with no record view and nothing stored. This is the cost every logged event pays when
 * no rule wants it, so it is kept to a few loads and comparisons: a level condition is answered
 * by a bit computed when the rules load, and the logger's name is read once.
 */
final class QuickRules {

    private static final byte LEVEL = 0;
    private static final byte LOGGER_NAME = 1;
    private static final byte FRAMEWORK = 2;

    /** Rule i's conditions are {@code [firstCondition[i], firstCondition[i + 1])}. */
    private final int[] firstCondition;
    private final boolean[] anyConditionMatch;
    private final byte[] reads;
    /** For a level condition, bit {@code Level.ordinal()} is its answer for that level. */
    private final int[] levelAnswers;
    private final Condition[] conditions;

    private QuickRules(int[] firstCondition, boolean[] anyConditionMatch, byte[] reads, int[] levelAnswers,
            Condition[] conditions) {
        this.firstCondition = firstCondition;
        this.anyConditionMatch = anyConditionMatch;
        this.reads = reads;
        this.levelAnswers = levelAnswers;
        this.conditions = conditions;
    }

    /** Null when some condition reads another field, or there are more than 64 rules. */
    static QuickRules of(Rule[] rules) {
        if (rules.length > 64) {
            return null;
        }
        int count = 0;
        for (Rule rule : rules) {
            count += rule.conditionCount();
        }
        int[] first = new int[rules.length + 1];
        boolean[] any = new boolean[rules.length];
        byte[] reads = new byte[count];
        int[] levelAnswers = new int[count];
        Condition[] conditions = new Condition[count];
        int c = 0;
        for (int r = 0; r < rules.length; r++) {
            first[r] = c;
            any[r] = rules[r].anyConditionMatch();
            for (Condition condition : rules[r].conditions()) {
                RecordPath.Field field = condition.field();
                if (field == RecordPath.Field.LEVEL) {
                    reads[c] = LEVEL;
                    for (Level level : Level.values()) {
                        if (condition.matchesText(level.name())) {
                            levelAnswers[c] |= 1 << level.ordinal();
                        }
                    }
                } else if (field == RecordPath.Field.LOGGER_NAME) {
                    reads[c] = LOGGER_NAME;
                } else if (field == RecordPath.Field.FRAMEWORK) {
                    reads[c] = FRAMEWORK;
                } else {
                    return null;
                }
                conditions[c++] = condition;
            }
        }
        first[rules.length] = c;
        return new QuickRules(first, any, reads, levelAnswers, conditions);
    }

    /** Bit i set when rule i matches. */
    long matching(Level level, String framework, EventMapper mapper, Object event, Object logger) {
        int levelBit = 1 << level.ordinal();
        String loggerName = null;
        boolean loggerNameRead = false;
        long matched = 0L;
        int rules = anyConditionMatch.length;
        for (int r = 0; r < rules; r++) {
            boolean any = anyConditionMatch[r];
            boolean result = !any;
            for (int c = firstCondition[r], end = firstCondition[r + 1]; c < end; c++) {
                boolean holds;
                switch (reads[c]) {
                    case LEVEL:
                        holds = (levelAnswers[c] & levelBit) != 0;
                        break;
                    case LOGGER_NAME:
                        if (!loggerNameRead) {
                            loggerName = mapper.loggerName(event, logger);
                            loggerNameRead = true;
                        }
                        holds = conditions[c].matchesText(loggerName);
                        break;
                    default:
                        holds = conditions[c].matchesText(framework);
                }
                if (holds == any) {
                    result = any;
                    break;
                }
            }
            if (result) {
                matched |= 1L << r;
            }
        }
        return matched;
    }
}
