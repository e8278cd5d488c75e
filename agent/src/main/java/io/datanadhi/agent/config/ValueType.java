package io.datanadhi.agent.config;

/** How one configuration key checks and converts its value. */
interface ValueType {
    /** The typed value, or an exception whose message says why the value is not acceptable. */
    Object parse(RawValue raw) throws InvalidValueException;
}
