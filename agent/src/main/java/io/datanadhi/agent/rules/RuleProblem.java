package io.datanadhi.agent.rules;

/**
 * Something wrong in the rule files, as reported to the user: which file, which entry, and a
 * message that says what happened and what the agent did about it.
 */
public final class RuleProblem {

    private final String event;
    private final String file;
    private final Integer index;
    private final String ruleName;
    private final String message;

    /**
     * @param event the diagnostic it was reported as ({@code rules_entry_skipped}, ...)
     * @param file as written relative to the Data Nadhi directory, e.g. {@code rules/invalid.yml}
     *     ({@code rules} for a problem with the folder itself)
     * @param index the entry's position within the file, from 0; null for a whole-file problem
     * @param ruleName the entry's name, or null
     * @param message the full sentence, e.g. {@code rules/invalid.yml entry 2 ("unknown-type"):
     *     condition 0: unknown type "fuzzy"; rule skipped}
     */
    public RuleProblem(String event, String file, Integer index, String ruleName, String message) {
        this.event = event;
        this.file = file;
        this.index = index;
        this.ruleName = ruleName;
        this.message = message;
    }

    /** The diagnostic it is reported as. */
    public String event() {
        return event;
    }

    public String file() {
        return file;
    }

    /** The entry's position within the file, from 0; null when the problem is the whole file. */
    public Integer index() {
        return index;
    }

    /** The entry's name, or null. */
    public String ruleName() {
        return ruleName;
    }

    public String message() {
        return message;
    }

    @Override
    public String toString() {
        return message;
    }
}
