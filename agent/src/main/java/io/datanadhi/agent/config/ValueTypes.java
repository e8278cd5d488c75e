package io.datanadhi.agent.config;

import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.record.Level;
import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The value types of the configuration keys. Each rejects bad input with a reason, never throws otherwise. */
final class ValueTypes {

    // RFC 7230 "token": what an HTTP header name may contain besides letters and digits.
    private static final String HEADER_NAME_SYMBOLS = "!#$%&'*+.^_`|~-";

    private ValueTypes() {}

    // The types, one per kind of value. Each is a kind and a range, not a lambda: the agent's
    // start spins no class for them (about half a millisecond each on JDK 25).

    /** One line of text. */
    static ValueType text() { return new ValueType(Kind.TEXT); }
    /** The API key: printable ASCII without spaces, as it must travel in an HTTP header. */
    static ValueType apiKey() { return new ValueType(Kind.API_KEY); }
    static ValueType headerName() { return new ValueType(Kind.HEADER_NAME); }
    /** A server base URL: http:// or https://, a host, no query; trailing slashes removed. */
    static ValueType httpUrl() { return new ValueType(Kind.HTTP_URL); }
    /** A download URL that may hold {os} and {arch} placeholders. */
    static ValueType urlTemplate() { return new ValueType(Kind.URL_TEMPLATE); }
    /** 64 hexadecimal digits, returned in lower case. */
    static ValueType sha256() { return new ValueType(Kind.SHA256); }
    /** A directory, made absolute (against the working directory) and normalized. */
    static ValueType directory() { return new ValueType(Kind.DIRECTORY); }
    /** A key or trust store's password: any single line, kept as given (spaces included). */
    static ValueType password() { return new ValueType(Kind.PASSWORD); }
    /** A key or trust store's format. */
    static ValueType storeType() { return new ValueType(Kind.STORE_TYPE); }
    /** A file path, checked for syntax and kept as written. */
    static ValueType filePath() { return new ValueType(Kind.FILE_PATH); }
    static ValueType recordLevel() { return new ValueType(Kind.RECORD_LEVEL); }
    static ValueType agentLevel() { return new ValueType(Kind.AGENT_LEVEL); }
    /** A YAML list, or a comma-separated string; blanks dropped, duplicates removed, order kept. */
    static ValueType stringList() { return new ValueType(Kind.STRING_LIST); }
    static ValueType integer(int min, int max) { return new ValueType(Kind.INTEGER, min, max); }
    static ValueType seconds(int min, int max) { return new ValueType(Kind.SECONDS, min, max); }
    static ValueType bool() { return new ValueType(Kind.BOOL); }

    enum Kind {
        TEXT, API_KEY, HEADER_NAME, HTTP_URL, URL_TEMPLATE, SHA256, DIRECTORY, PASSWORD, STORE_TYPE, FILE_PATH,
        RECORD_LEVEL, AGENT_LEVEL, STRING_LIST, INTEGER, SECONDS, BOOL
    }

    static Object parse(ValueType type, RawValue raw) throws InvalidValueException {
        switch (type.kind) {
            case TEXT: return text(raw);
            case API_KEY: return apiKey(raw);
            case HEADER_NAME: return headerName(raw);
            case HTTP_URL: return httpUrl(raw);
            case URL_TEMPLATE: return urlTemplate(raw);
            case SHA256: return sha256(raw);
            case DIRECTORY: return directory(raw);
            case PASSWORD: return password(raw);
            case STORE_TYPE: return storeType(raw);
            case FILE_PATH: return filePath(raw);
            case RECORD_LEVEL: return recordLevel(raw);
            case AGENT_LEVEL: return agentLevel(raw);
            case STRING_LIST: return stringList(raw);
            case INTEGER: return wholeNumber(raw, type.min, type.max);
            case SECONDS: return seconds(raw, type.min, type.max);
            case BOOL: return bool(raw);
            default: throw new AssertionError(type.kind);
        }
    }

    private static Object text(RawValue raw) throws InvalidValueException {
        return singleLine(scalar(raw));
    }

    private static Object apiKey(RawValue raw) throws InvalidValueException {
        String key = scalar(raw);
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw new InvalidValueException("contains a space or a character not allowed in an HTTP header");
            }
        }
        return key;
    }

    private static Object headerName(RawValue raw) throws InvalidValueException {
        String name = scalar(raw);
        if (name.isEmpty() || !allMatch(name, 0, HEADER_NAME_SYMBOLS, true)) {
            throw new InvalidValueException("is not a valid HTTP header name");
        }
        return name;
    }

    private static Object httpUrl(RawValue raw) throws InvalidValueException {
        String url = singleLine(scalar(raw));
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (Exception e) {
            throw new InvalidValueException("is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new InvalidValueException("is not an http:// or https:// URL");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new InvalidValueException("has no host name");
        }
        if (uri.getRawAuthority().endsWith(":")) {
            throw new InvalidValueException("has an empty port");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new InvalidValueException("must be a base URL without ?query or #fragment");
        }
        return url;
    }

    private static Object urlTemplate(RawValue raw) throws InvalidValueException {
        String url = singleLine(scalar(raw));
        String concrete = url.replace("{os}", "os").replace("{arch}", "arch");
        try {
            URI uri = new URI(concrete);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return url;
            }
        } catch (Exception e) {
            // reported below
        }
        throw new InvalidValueException("is not an http:// or https:// URL (placeholders {os} and {arch} allowed)");
    }

    private static Object sha256(RawValue raw) throws InvalidValueException {
        String hex = scalar(raw);
        if (hex.length() != 64 || !allMatch(hex, 0, "abcdefABCDEF", false)) {
            throw new InvalidValueException("is not a SHA-256 digest (64 hexadecimal digits)");
        }
        return hex.toLowerCase(Locale.ROOT);
    }

    private static Object directory(RawValue raw) throws InvalidValueException {
        try {
            return Path.of(singleLine(scalar(raw))).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new InvalidValueException("is not a valid path");
        }
    }

    private static Object password(RawValue raw) throws InvalidValueException {
        if (!raw.scalar) {
            throw new InvalidValueException("is a list or mapping, but one value is expected");
        }
        return singleLine(raw.text);
    }

    private static Object storeType(RawValue raw) throws InvalidValueException {
        String type = scalar(raw).toUpperCase(Locale.ROOT);
        if (!type.equals("PKCS12") && !type.equals("JKS") && !type.equals("PEM")) {
            throw new InvalidValueException("is not a store type (PKCS12, JKS, PEM)");
        }
        return type;
    }

    private static Object filePath(RawValue raw) throws InvalidValueException {
        String path = singleLine(scalar(raw));
        try {
            Path.of(path);
        } catch (InvalidPathException e) {
            throw new InvalidValueException("is not a valid path");
        }
        return path;
    }

    private static Object recordLevel(RawValue raw) throws InvalidValueException {
        Level level = Level.parse(scalar(raw));
        if (level == null) {
            throw new InvalidValueException("is not a level (DEBUG, INFO, WARNING, ERROR, CRITICAL)");
        }
        return level;
    }

    private static Object agentLevel(RawValue raw) throws InvalidValueException {
        Diagnostics.Level level = Diagnostics.Level.parse(scalar(raw));
        if (level == null) {
            throw new InvalidValueException("is not a level (DEBUG, INFO, WARN, ERROR, OFF)");
        }
        return level;
    }

    private static Object stringList(RawValue raw) throws InvalidValueException {
        List<String> parts;
        if (raw.items != null) {
            parts = raw.items;
        } else if (raw.scalar) {
            parts = List.of(raw.text.split(","));
        } else {
            throw new InvalidValueException("must be a list of plain values");
        }
        Set<String> entries = new LinkedHashSet<>();
        for (String part : parts) {
            String entry = part.trim();
            if (!entry.isEmpty()) {
                entries.add(singleLine(entry));
            }
        }
        if (entries.isEmpty()) {
            throw new InvalidValueException("is an empty list");
        }
        return List.copyOf(new ArrayList<>(entries));
    }

    private static Object seconds(RawValue raw, int min, int max) throws InvalidValueException {
        try {
            return Duration.ofSeconds(wholeNumber(raw, min, max));
        } catch (InvalidValueException e) {
            throw new InvalidValueException(e.getMessage() + " (seconds)");
        }
    }

    private static Object bool(RawValue raw) throws InvalidValueException {
        switch (scalar(raw).toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "1":
                return Boolean.TRUE;
            case "false": case "no": case "0":
                return Boolean.FALSE;
            default:
                throw new InvalidValueException("is not a boolean (true/false, yes/no, 1/0)");
        }
    }

    private static int wholeNumber(RawValue raw, int min, int max) throws InvalidValueException {
        String text = scalar(raw);
        String range = max == Integer.MAX_VALUE ? "of at least " + min : "between " + min + " and " + max;
        InvalidValueException invalid = new InvalidValueException("is not a whole number " + range);
        int digits = text.startsWith("+") ? 1 : 0;
        if (text.length() == digits || text.length() > 18 || !allMatch(text, digits, "", false)) {
            throw invalid;
        }
        long value = Long.parseLong(text);
        if (value < min || value > max) {
            throw invalid;
        }
        return (int) value;
    }

    /**
     * Every character from {@code from} on is an ASCII digit, one of {@code others}, or with
     * {@code letters} an ASCII letter. (A loop, not a regex: a character class makes the JDK
     * spin a class at the agent's start.)
     */
    private static boolean allMatch(String text, int from, String others, boolean letters) {
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || others.indexOf(c) >= 0
                    || (letters && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')));
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static String scalar(RawValue raw) throws InvalidValueException {
        if (!raw.scalar) {
            throw new InvalidValueException("is a list or mapping, but one value is expected");
        }
        return raw.text.trim();
    }

    private static String singleLine(String text) throws InvalidValueException {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                throw new InvalidValueException("contains a line break or control character");
            }
        }
        return text;
    }
}
