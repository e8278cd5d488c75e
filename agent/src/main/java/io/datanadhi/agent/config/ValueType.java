package io.datanadhi.agent.config;

/** How one configuration key checks and converts its value: a kind of value (see {@link ValueTypes}) and its range. */
final class ValueType {
    final ValueTypes.Kind kind;
    /** For numbers: the smallest and largest value accepted. */
    final int min;
    final int max;

    ValueType(ValueTypes.Kind kind) {
        this(kind, 0, 0);
    }

    ValueType(ValueTypes.Kind kind, int min, int max) {
        this.kind = kind;
        this.min = min;
        this.max = max;
    }

    /** The typed value, or an exception whose message says why the value is not acceptable. */
    Object parse(RawValue raw) throws InvalidValueException {
        return ValueTypes.parse(this, raw);
    }
}
