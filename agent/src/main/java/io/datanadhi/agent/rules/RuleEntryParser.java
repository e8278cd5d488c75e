package io.datanadhi.agent.rules;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/**
 * Turns one entry of a rule file into a {@link Rule}, or says everything that is wrong with it.
 * Knows the rule language; knows nothing about files or how problems are reported.
 */
final class RuleEntryParser {

    private static final Set<String> RULE_KEYS =
            Set.of("name", "conditions", "any_condition_match", "pipelines", "stdout");
    private static final Set<String> CONDITION_KEYS = Set.of("key", "type", "value", "negate");
    private static final String TYPES = "expected exact, partial or regex";

    /** The rule (null when the entry is skipped), why it was skipped, and keys that were ignored. */
    static final class Outcome {
        final Rule rule;
        final String name;
        final List<String> errors;
        final List<String> unknownKeys;

        Outcome(Rule rule, String name, List<String> errors, List<String> unknownKeys) {
            this.rule = rule;
            this.name = name;
            this.errors = errors;
            this.unknownKeys = unknownKeys;
        }
    }

    private final List<String> errors = new ArrayList<>();
    private final List<String> unknownKeys = new ArrayList<>();

    private RuleEntryParser() {}

    static Outcome parse(JsonNode entry, String source, int index) {
        return new RuleEntryParser().parseEntry(entry, source, index);
    }

    private Outcome parseEntry(JsonNode entry, String source, int index) {
        if (!entry.isObject()) {
            errors.add("not a rule (a mapping) but " + describe(entry));
            return new Outcome(null, null, errors, unknownKeys);
        }
        String name = name(entry.get("name"));
        unknownKeys(entry, RULE_KEYS, "");
        List<Condition> conditions = conditions(entry.get("conditions"));
        boolean any = flag(entry.get("any_condition_match"), "any_condition_match");
        List<String> pipelines = pipelines(entry.get("pipelines"));
        boolean stdout = flag(entry.get("stdout"), "stdout");
        if (pipelines.isEmpty() && !stdout && errors.isEmpty()) {
            errors.add("no actions (no pipelines, and stdout is not true)");
        }
        Rule rule = errors.isEmpty()
                ? new Rule(name, conditions, any, pipelines, stdout, source, index)
                : null;
        return new Outcome(rule, name, errors, unknownKeys);
    }

    private String name(JsonNode node) {
        if (isAbsent(node)) {
            return null;
        }
        if (!node.isValueNode()) {
            errors.add("name must be text, not " + describe(node));
            return null;
        }
        return node.asText();
    }

    private List<Condition> conditions(JsonNode node) {
        List<Condition> conditions = new ArrayList<>();
        if (isAbsent(node)) {
            errors.add("no conditions");
        } else if (!node.isArray()) {
            errors.add("conditions must be a list, not " + describe(node));
        } else if (node.size() == 0) {
            errors.add("no conditions (the list is empty)");
        } else {
            for (int i = 0; i < node.size(); i++) {
                Condition condition = condition(node.get(i), "condition " + i + ": ");
                if (condition != null) {
                    conditions.add(condition);
                }
            }
        }
        return conditions;
    }

    private Condition condition(JsonNode node, String where) {
        if (!node.isObject()) {
            errors.add(where + "not a mapping but " + describe(node));
            return null;
        }
        unknownKeys(node, CONDITION_KEYS, where);
        int before = errors.size();
        String key = scalar(node.get("key"), where, "key");
        String typeName = scalar(node.get("type"), where, "type");
        String value = scalar(node.get("value"), where, "value");
        boolean negate = flag(node.get("negate"), where + "negate");
        Condition.Type type = null;
        if (key == null && isAbsent(node.get("key"))) {
            errors.add(where + "no key");
        }
        if (typeName == null && isAbsent(node.get("type"))) {
            errors.add(where + "no type (" + TYPES + ")");
        } else if (typeName != null) {
            type = Condition.Type.parse(typeName);
            if (type == null) {
                errors.add(where + "unknown type " + quote(typeName) + " (" + TYPES + ")");
            }
        }
        if (value == null && isAbsent(node.get("value"))) {
            errors.add(where + "no value");
        }
        if (key != null) {
            try {
                Condition.splitKey(key);
            } catch (IllegalArgumentException e) {
                errors.add(where + e.getMessage());
            }
        }
        if (errors.size() > before) {
            return null;
        }
        try {
            return new Condition(key, type, value, negate);
        } catch (PatternSyntaxException e) {
            errors.add(where + "invalid regex " + quote(value) + ": " + e.getDescription()
                    + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""));
            return null;
        }
    }

    /** A scalar as text ({@code value: 3} is "3"); null, with an error, for a list or mapping. */
    private String scalar(JsonNode node, String where, String field) {
        if (isAbsent(node)) {
            return null;
        }
        if (!node.isValueNode()) {
            errors.add(where + field + " must be text, a number or a boolean, not " + describe(node));
            return null;
        }
        return Values.text(node);
    }

    /** A boolean setting: absent is false; anything but true or false is an error. */
    private boolean flag(JsonNode node, String field) {
        if (isAbsent(node)) {
            return false;
        }
        if (!node.isBoolean()) {
            errors.add(field + " must be true or false, not " + describe(node));
            return false;
        }
        return node.booleanValue();
    }

    private List<String> pipelines(JsonNode node) {
        List<String> pipelines = new ArrayList<>();
        if (isAbsent(node)) {
            return pipelines;
        }
        if (!node.isArray()) {
            errors.add("pipelines must be a list of names, not " + describe(node));
            return pipelines;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            if (!item.isTextual()) {
                errors.add("pipeline " + i + " must be a name (text), not " + describe(item));
            } else if (item.textValue().trim().isEmpty()) {
                errors.add("pipeline " + i + " is an empty name");
            } else {
                pipelines.add(item.textValue());
            }
        }
        return pipelines;
    }

    private void unknownKeys(JsonNode mapping, Set<String> known, String where) {
        for (Iterator<String> names = mapping.fieldNames(); names.hasNext(); ) {
            String field = names.next();
            if (!known.contains(field)) {
                unknownKeys.add(where + "unknown key " + quote(field));
            }
        }
    }

    private static boolean isAbsent(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode();
    }

    /** How a YAML node reads in a message: "a list", "the text \"x\"", "the number 3"... */
    static String describe(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "nothing (null)";
        }
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isTextual()) {
            return "the text " + quote(node.textValue());
        }
        if (node.isBoolean()) {
            return "the boolean " + node.asText();
        }
        if (node.isNumber()) {
            return "the number " + node.asText();
        }
        return "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Quotes a value for a message, shortened so that one bad entry cannot flood stderr. */
    static String quote(String text) {
        String shown = text.length() > 80 ? text.substring(0, 77) + "..." : text;
        return "\"" + shown + "\"";
    }
}
