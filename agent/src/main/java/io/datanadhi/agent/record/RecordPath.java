package io.datanadhi.agent.record;

/**
 * A rule's key, split at the dots and resolved once, when the rule is loaded, to the record field
 * it names: evaluating a condition on {@code log_record.module_name} is then one switch on a
 * small number, not two string comparisons per event.
 */
public final class RecordPath {

    /** The fields an {@link EventView} can read directly; {@link #OTHER} for anything else. */
    public enum Field {
        MESSAGE, TRACE_ID, LEVEL, NATIVE_LEVEL, LOGGER_NAME, FRAMEWORK, THREAD_NAME, CLASS_NAME, FUNCTION_NAME,
        FILENAME, LINE_NUMBER, CONTEXT_VALUE, OTHER
    }

    private final String[] parts;
    private final Field field;

    public RecordPath(String[] parts) {
        this.parts = parts.clone();
        this.field = fieldOf(this.parts);
    }

    /** The key's parts: {@code ["log_record", "level"]}. */
    public String[] parts() {
        return parts;
    }

    public Field field() {
        return field;
    }

    private static Field fieldOf(String[] parts) {
        if (parts.length == 1) {
            switch (parts[0]) {
                case "message": return Field.MESSAGE;
                case "trace_id": return Field.TRACE_ID;
                default: return Field.OTHER;
            }
        }
        if (parts.length == 2 && parts[0].equals("log_record")) {
            switch (parts[1]) {
                case "level": return Field.LEVEL;
                case "native_level": return Field.NATIVE_LEVEL;
                case "module_name": return Field.LOGGER_NAME;
                case "framework": return Field.FRAMEWORK;
                case "thread_name": return Field.THREAD_NAME;
                case "class_name": return Field.CLASS_NAME;
                case "function_name": return Field.FUNCTION_NAME;
                case "filename": return Field.FILENAME;
                case "line_number": return Field.LINE_NUMBER;
                default: return Field.OTHER;
            }
        }
        if (parts.length == 2 && parts[0].equals("context")) {
            return Field.CONTEXT_VALUE;
        }
        return Field.OTHER;
    }
}
