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
    private static final ThreadLocal<StringBuilder> SCRATCH = new ThreadLocal<>() {
        @Override
        protected StringBuilder initialValue() {
            return new StringBuilder(32);
        }
    };

    private final String key;
    private final RecordPath path;
    private final Type type;
    private final String value;
    private final boolean negate;
    private final Pattern pattern;
    /** What every text the regex matches starts with ("" if nothing is sure): rejects most texts without a Matcher. */
    private final String regexPrefix;
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
            this.regexPrefix = literalPrefix(value);
            this.matchers = new ThreadLocal<>() {
                @Override
                protected Matcher initialValue() {
                    return compiled.matcher("");
                }
            };
        } else {
            this.pattern = null;
            this.regexPrefix = "";
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
    boolean matchesText(CharSequence text) {
        return text != null && test(text) != negate;
    }

    /**
     * As {@link #matches}, for a value read straight from the framework's event (an MDC entry, a
     * key-value pair): 1 if it matches, 0 if not, -1 when only the record view can say (a map,
     * a list or another object, which the record copies before it compares). Allocates nothing.
     */
    int matchesValue(Object value) {
        if (value == null) {
            return 0;
        }
        CharSequence text;
        if (value instanceof String) {
            text = (String) value;
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long
                || value instanceof Double || value instanceof Float || value instanceof Short
                || value instanceof Byte) {
            text = Values.text(value, SCRATCH.get());
        } else {
            return -1;
        }
        return test(text) != negate ? 1 : 0;
    }

    /** The record field the key names. */
    RecordPath.Field field() {
        return path.field();
    }

    /** The key's parts (not a copy: never modified). */
    String[] parts() {
        return path.parts();
    }

    private boolean test(CharSequence text) {
        // Tested by identity: a switch on the enum reads its ordinal through a lookup table.
        if (type == Type.EXACT) {
            // String.equals is an intrinsic; contentEquals first asks what kind of text it has
            return text instanceof String ? value.equals(text) : value.contentEquals(text);
        }
        if (type == Type.PARTIAL) {
            return contains(text, value);
        }
        if (!startsWith(text, regexPrefix)) {
            return false;
        }
        Matcher matcher = matchers.get();
        try {
            return matcher.reset(text).lookingAt();
        } finally {
            matcher.reset(""); // don't keep the log text reachable from a thread local
        }
    }

    private static boolean startsWith(CharSequence text, String prefix) {
        if (text instanceof String) {
            return ((String) text).startsWith(prefix);
        }
        int n = prefix.length();
        if (text.length() < n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (text.charAt(i) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The plain characters a regex starts with (after a leading {@code ^}), which every text it
     * matches from its start must begin with: letters, digits and punctuation that is never a
     * metacharacter, up to the first other character; the last is dropped when a quantifier or
     * an escape follows it ({@code ab*} gives "a"). Empty for a regex with {@code |} anywhere, since an
     * alternative may start otherwise.
     */
    static String literalPrefix(String regex) {
        if (regex.indexOf('|') >= 0) {
            return "";
        }
        int start = regex.startsWith("^") ? 1 : 0;
        int end = start;
        while (end < regex.length() && plain(regex.charAt(end))) {
            end++;
        }
        // A quantifier makes the last character optional; so may one after an escape ("b\\Q\\E*" is "b*").
        if (end < regex.length() && end > start && "*?{+\\".indexOf(regex.charAt(end)) >= 0) {
            end--;
        }
        return regex.substring(start, end);
    }

    private static boolean plain(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || " _-:,;'\"/=@%&!<>~`".indexOf(c) >= 0;
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
