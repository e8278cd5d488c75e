package io.datanadhi.agent.rules;

import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.Level;
import io.datanadhi.agent.record.RecordPath;
import io.datanadhi.agent.record.ThreadScratch;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.Map;

/**
 * A rule set evaluated straight from the framework's event, with no record view and nothing
 * stored: this is the cost every logged event pays when no rule wants it, so it is a few loads
 * and bit operations. Each condition is one bit. Those on the level come from a table made when
 * the rules load, those on the logger's name from a cache keyed by the name (a logger's name is
 * one String for all its events), those on the framework from its name. Conditions on the
 * message or on a context value are read from the event only when some rule still depends on
 * them once the others are known (a rule on ERROR events does not format an INFO message), the
 * message once per event and as the framework holds it ({@link EventMapper#messageText}). A rule
 * matches when its conditions' bits are all set (or, for {@code any_condition_match}, any).
 *
 * <p>A context value that is not a String, number or boolean (a map, a list, an object) is
 * compared as the record copies it: then the answer is {@link #UNDECIDED} and the record view
 * decides, which is always right, only slower.
 */
final class QuickRules {

    /** {@link #matching}'s answer when only the record view can decide. */
    static final long UNDECIDED = Long.MIN_VALUE;

    /** Logger names whose condition bits are remembered; a name that collides is just recomputed. */
    private static final int NAME_CACHE_SIZE = 1024;

    /** For each level ordinal, the bits of the level conditions that hold for it. */
    private final long[] levelHolds;
    private final long nameConditions;
    private final long frameworkConditions;
    private final long messageConditions;
    /** The message and context conditions, read from the event only when needed. */
    private final long eventConditions;
    private final long[] ruleConditions;
    private final boolean[] anyConditionMatch;
    private final Condition[] conditions;
    /** For a context condition, its key without the leading "context"; null for the others. */
    private final String[][] contextKeys;
    /** The message and context conditions of the rules that have no other: read for every event. */
    private final long alwaysNeeded;
    /** The rules with both kinds of condition: whether theirs are read depends on the others. */
    private final int[] mixedRules;
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

    private QuickRules(long[] levelHolds, long nameConditions, long frameworkConditions, long messageConditions,
            long contextConditions, long[] ruleConditions, boolean[] anyConditionMatch, Condition[] conditions,
            String[][] contextKeys) {
        this.levelHolds = levelHolds;
        this.nameConditions = nameConditions;
        this.frameworkConditions = frameworkConditions;
        this.messageConditions = messageConditions;
        this.eventConditions = messageConditions | contextConditions;
        this.ruleConditions = ruleConditions;
        this.anyConditionMatch = anyConditionMatch;
        this.conditions = conditions;
        this.contextKeys = contextKeys;
        long always = 0L;
        int[] mixed = new int[ruleConditions.length];
        int m = 0;
        for (int r = 0; r < ruleConditions.length; r++) {
            long read = ruleConditions[r] & eventConditions;
            if (read == 0L) {
                continue;
            }
            if ((ruleConditions[r] & ~eventConditions) == 0L) {
                always |= read;
            } else {
                mixed[m++] = r;
            }
        }
        this.alwaysNeeded = always;
        this.mixedRules = java.util.Arrays.copyOf(mixed, m);
    }

    /**
     * Null when some condition reads another field (the call site, the thread, the trace id,
     * {@code context.error}, which the record makes from the exception), or there are more than
     * 64 rules or 64 conditions (one bit each), or 64 rules of which one reads the message or
     * the context (the 64th rule's bit is then {@link #UNDECIDED}).
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
        long messageConditions = 0L;
        long contextConditions = 0L;
        long[] ruleConditions = new long[rules.length];
        boolean[] any = new boolean[rules.length];
        Condition[] conditions = new Condition[count];
        String[][] contextKeys = new String[count][];
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
                } else if (field == RecordPath.Field.MESSAGE) {
                    messageConditions |= bit;
                } else if (contextKey(condition) != null) {
                    contextConditions |= bit;
                    contextKeys[c] = contextKey(condition);
                } else {
                    return null;
                }
                ruleConditions[r] |= bit;
                conditions[c++] = condition;
            }
        }
        if (rules.length == 64 && (messageConditions | contextConditions) != 0L) {
            return null;
        }
        return new QuickRules(levelHolds, nameConditions, frameworkConditions, messageConditions, contextConditions,
                ruleConditions, any, conditions, contextKeys);
    }

    /**
     * {@code context.a.b} gives {"a", "b"}; null for another key and for {@code context.error}.
     * Interned: an MDC key is usually a literal in the application's code, so the map finds ours
     * by identity before it compares characters.
     */
    private static String[] contextKey(Condition condition) {
        String[] parts = condition.parts();
        if (parts.length < 2 || !parts[0].equals("context") || parts[1].equals("error")) {
            return null;
        }
        String[] key = java.util.Arrays.copyOfRange(parts, 1, parts.length);
        for (int i = 0; i < key.length; i++) {
            key[i] = key[i].intern();
        }
        return key;
    }

    /** Bit i set when rule i matches; {@link #UNDECIDED} when only the record view can tell. */
    long matching(Level level, String framework, EventMapper mapper, Object event, Object logger,
            CapturedEvent thread) {
        long holds = levelHolds[level.ordinal()];
        if (nameConditions != 0L) {
            holds |= nameHolds(mapper.loggerName(event, logger));
        }
        if (frameworkConditions != 0L) {
            holds |= holds(frameworkConditions, framework);
        }
        if (eventConditions != 0L) {
            long needed = needed(holds);
            if (needed != 0L) {
                long read = eventHolds(needed, mapper, event, thread);
                if (read == UNDECIDED) {
                    return UNDECIDED;
                }
                holds |= read;
            }
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

    /**
     * The message and context conditions of the rules that the other conditions leave open: an
     * all-conditions rule none of whose other conditions failed, an any-condition rule none of
     * whose other conditions held.
     */
    private long needed(long holds) {
        long needed = alwaysNeeded;
        long[] rules = ruleConditions;
        for (int r : mixedRules) {
            long known = rules[r] & ~eventConditions;
            if (anyConditionMatch[r] ? (holds & known) == 0L : (holds & known) == known) {
                needed |= rules[r] & eventConditions;
            }
        }
        return needed;
    }

    /**
     * The bits among {@code needed} that hold, read from the event; {@link #UNDECIDED} when a value
     * is one only the record view compares, or reading one failed (the view reads fewer, lazily,
     * rule by rule: a value that cannot be read must not lose an event another rule keeps).
     */
    private long eventHolds(long needed, EventMapper mapper, Object event, CapturedEvent thread) {
        long holds = 0L;
        CharSequence message = null;
        try {
            for (long left = needed; left != 0L; left &= left - 1) {
                int c = Long.numberOfTrailingZeros(left);
                long bit = 1L << c;
                if ((messageConditions & bit) != 0L) {
                    if (message == null) {
                        message = mapper.messageText(event, thread);
                    }
                    if (conditions[c].matchesText(message)) {
                        holds |= bit;
                    }
                } else {
                    int answer = conditions[c].matchesValue(contextValue(mapper, event, contextKeys[c], thread));
                    if (answer < 0) {
                        return UNDECIDED;
                    }
                    if (answer > 0) {
                        holds |= bit;
                    }
                }
            }
        } catch (RuntimeException e) {
            return UNDECIDED;
        } finally {
            if (message instanceof StringBuilder) {
                ThreadScratch.textRead(thread);
            }
        }
        return holds;
    }

    /** As the record view reads {@code context.<key...>}: into maps only. */
    private static Object contextValue(EventMapper mapper, Object event, String[] key, CapturedEvent thread) {
        Object value = mapper.contextValue(event, key[0], thread);
        for (int i = 1; i < key.length && value != null; i++) {
            value = value instanceof Map ? ((Map<?, ?>) value).get(key[i]) : null;
        }
        return value;
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
