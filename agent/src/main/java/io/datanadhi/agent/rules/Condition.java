package io.datanadhi.agent.rules;

import io.datanadhi.agent.record.RecordPath;
import io.datanadhi.agent.record.RecordView;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One test of a rule: the value at {@code key} compared with {@code value} by {@code type},
 * possibly negated. The key is split at its dots and a regex compiled once, when the rule is
 * loaded, so that evaluating an event does neither.
 */
public final class Condition {

    public enum Type {
        /** The text equals the value. */
        EXACT,
        /** The text contains the value. */
        PARTIAL,
        /** The regex matches at the start of the text, as Python's {@code re.match}. */
        REGEX;

        /** The name as written in a rule file: exact, partial or regex. */
        public String yamlName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Parses the name as written in a rule file (lower case, as the Python SDK); null if unknown. */
        public static Type parse(String name) {
            for (Type type : values()) {
                if (type.yamlName().equals(name)) {
                    return type;
                }
            }
            return null;
        }
    }

    // Numbers are rendered here instead of into a new String; one per thread.
    private static final ThreadLocal<StringBuilder> SCRATCH =
            ThreadLocal.withInitial(() -> new StringBuilder(32));

    private final String key;
    private final RecordPath path;
    private final Type type;
    private final String value;
    private final boolean negate;
    private final Pattern pattern;
    // A Matcher is not thread-safe and costs several allocations; one per thread per regex keeps
    // evaluation allocation-free.
    private final ThreadLocal<Matcher> matchers;

    /**
     * @throws java.util.regex.PatternSyntaxException when type is REGEX and value is not a valid
     *     regex
     * @throws IllegalArgumentException when the key is empty or has an empty part ("a..b")
     */
    public Condition(String key, Type type, String value, boolean negate) {
        this.key = Objects.requireNonNull(key, "key");
        this.type = Objects.requireNonNull(type, "type");
        this.value = Objects.requireNonNull(value, "value");
        this.negate = negate;
        this.path = new RecordPath(splitKey(key));
        if (type == Type.REGEX) {
            // UNIX_LINES: only '\n' ends a line for '.', '^' and '$', as in Python's re.
            Pattern compiled = Pattern.compile(value, Pattern.UNIX_LINES);
            this.pattern = compiled;
            this.matchers = ThreadLocal.withInitial(() -> compiled.matcher(""));
        } else {
            this.pattern = null;
            this.matchers = null;
        }
    }

    /** Splits a dot-notation key; throws IllegalArgumentException if it is empty or has an empty part. */
    static String[] splitKey(String key) {
        String[] parts = key.split("\\.", -1);
        for (String part : parts) {
            if (part.isEmpty()) {
                throw new IllegalArgumentException(key.isEmpty()
                        ? "key is empty"
                        : "key \"" + key + "\" has an empty part");
            }
        }
        return parts;
    }

    /**
     * Whether the record satisfies this condition. A missing key, or a JSON null, never matches,
     * negated or not (as the Python SDK): "not a guest" says nothing about a record without a user.
     */
    public boolean matches(RecordView record) {
        Object found = record.resolve(path);
        if (found == null) {
            return false;
        }
        CharSequence text = Values.text(found, found instanceof String ? null : SCRATCH.get());
        if (text == null) {
            return false;
        }
        return test(text) != negate;
    }

    /** As {@link #matches}, for the text the key names (null: the key is missing). */
    boolean matchesText(String text) {
        return text != null && test(text) != negate;
    }

    /** The record field the key names. */
    RecordPath.Field field() {
        return path.field();
    }

    private boolean test(CharSequence text) {
        switch (type) {
            case EXACT:
                // String.equals is an intrinsic; contentEquals first asks what kind of text it has
                return text instanceof String ? value.equals(text) : value.contentEquals(text);
            case PARTIAL:
                return contains(text, value);
            case REGEX:
                Matcher matcher = matchers.get();
                try {
                    return matcher.reset(text).lookingAt();
                } finally {
                    matcher.reset(""); // don't keep the log text reachable from a thread local
                }
            default:
                throw new AssertionError(type);
        }
    }

    private static boolean contains(CharSequence text, String part) {
        if (text instanceof String) {
            return ((String) text).contains(part);
        }
        if (text instanceof StringBuilder) {
            return ((StringBuilder) text).indexOf(part) >= 0; // a rendered number, no copy
        }
        return text.toString().contains(part);
    }

    /** The key as written, in dot notation. */
    public String key() {
        return key;
    }

    /** The key split at its dots (a copy). */
    public String[] path() {
        return path.parts().clone();
    }

    public Type type() {
        return type;
    }

    /** The value as text, as the rule file gave it ({@code value: 3} is "3"). */
    public String value() {
        return value;
    }

    public boolean negate() {
        return negate;
    }

    @Override
    public String toString() {
        return key + (negate ? " not " : " ") + type.yamlName() + " \"" + value + "\"";
    }
}
