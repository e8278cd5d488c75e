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
import java.util.regex.Pattern;

/** The value types of the configuration keys. Each rejects bad input with a reason, never throws otherwise. */
final class ValueTypes {

    private static final Pattern WHOLE_NUMBER = Pattern.compile("\\+?[0-9]+");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    // RFC 7230 "token": what an HTTP header name may contain.
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private ValueTypes() {}

    /** One line of text. */
    static ValueType text() {
        return raw -> singleLine(scalar(raw));
    }

    /** The API key: printable ASCII without spaces, as it must travel in an HTTP header. */
    static ValueType apiKey() {
        return raw -> {
            String key = scalar(raw);
            for (int i = 0; i < key.length(); i++) {
                char c = key.charAt(i);
                if (c <= 0x20 || c >= 0x7f) {
                    throw new InvalidValueException("contains a space or a character not allowed in an HTTP header");
                }
            }
            return key;
        };
    }

    static ValueType headerName() {
        return raw -> {
            String name = scalar(raw);
            if (!HEADER_NAME.matcher(name).matches()) {
                throw new InvalidValueException("is not a valid HTTP header name");
            }
            return name;
        };
    }

    /** A server base URL: http:// or https://, a host, no query; trailing slashes removed. */
    static ValueType httpUrl() {
        return raw -> {
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
        };
    }

    /** A download URL that may hold {os} and {arch} placeholders. */
    static ValueType urlTemplate() {
        return raw -> {
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
        };
    }

    /** 64 hexadecimal digits, returned in lower case. */
    static ValueType sha256() {
        return raw -> {
            String hex = scalar(raw);
            if (!SHA256.matcher(hex).matches()) {
                throw new InvalidValueException("is not a SHA-256 digest (64 hexadecimal digits)");
            }
            return hex.toLowerCase(Locale.ROOT);
        };
    }

    /** A directory, made absolute (against the working directory) and normalized. */
    static ValueType directory() {
        return raw -> {
            try {
                return Path.of(singleLine(scalar(raw))).toAbsolutePath().normalize();
            } catch (InvalidPathException e) {
                throw new InvalidValueException("is not a valid path");
            }
        };
    }

    /** A key or trust store's password: any single line, kept as given (spaces included). */
    static ValueType password() {
        return raw -> {
            if (!raw.scalar) {
                throw new InvalidValueException("is a list or mapping, but one value is expected");
            }
            return singleLine(raw.text);
        };
    }

    /** A key or trust store's format. */
    static ValueType storeType() {
        return raw -> {
            String type = scalar(raw).toUpperCase(Locale.ROOT);
            if (!type.equals("PKCS12") && !type.equals("JKS") && !type.equals("PEM")) {
                throw new InvalidValueException("is not a store type (PKCS12, JKS, PEM)");
            }
            return type;
        };
    }

    /** A file path, checked for syntax and kept as written. */
    static ValueType filePath() {
        return raw -> {
            String path = singleLine(scalar(raw));
            try {
                Path.of(path);
            } catch (InvalidPathException e) {
                throw new InvalidValueException("is not a valid path");
            }
            return path;
        };
    }

    static ValueType recordLevel() {
        return raw -> {
            Level level = Level.parse(scalar(raw));
            if (level == null) {
                throw new InvalidValueException("is not a level (DEBUG, INFO, WARNING, ERROR, CRITICAL)");
            }
            return level;
        };
    }

    static ValueType agentLevel() {
        return raw -> {
            Diagnostics.Level level = Diagnostics.Level.parse(scalar(raw));
            if (level == null) {
                throw new InvalidValueException("is not a level (DEBUG, INFO, WARN, ERROR, OFF)");
            }
            return level;
        };
    }

    /** A YAML list, or a comma-separated string; blanks dropped, duplicates removed, order kept. */
    static ValueType stringList() {
        return raw -> {
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
        };
    }

    static ValueType integer(int min, int max) {
        return raw -> wholeNumber(raw, min, max);
    }

    static ValueType seconds(int min, int max) {
        ValueType number = integer(min, max);
        return raw -> {
            try {
                return Duration.ofSeconds((Integer) number.parse(raw));
            } catch (InvalidValueException e) {
                throw new InvalidValueException(e.getMessage() + " (seconds)");
            }
        };
    }

    static ValueType bool() {
        return raw -> {
            switch (scalar(raw).toLowerCase(Locale.ROOT)) {
                case "true": case "yes": case "1":
                    return Boolean.TRUE;
                case "false": case "no": case "0":
                    return Boolean.FALSE;
                default:
                    throw new InvalidValueException("is not a boolean (true/false, yes/no, 1/0)");
            }
        };
    }

    private static int wholeNumber(RawValue raw, int min, int max) throws InvalidValueException {
        String text = scalar(raw);
        String range = max == Integer.MAX_VALUE ? "of at least " + min : "between " + min + " and " + max;
        InvalidValueException invalid = new InvalidValueException("is not a whole number " + range);
        if (!WHOLE_NUMBER.matcher(text).matches() || text.length() > 18) {
            throw invalid;
        }
        long value = Long.parseLong(text);
        if (value < min || value > max) {
            throw invalid;
        }
        return (int) value;
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
