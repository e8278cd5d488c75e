package io.datanadhi.agent.record;

/**
 * Cuts text to a size in UTF-8 bytes, the size it has on the wire, without encoding it: a
 * surrogate pair (4 bytes) is kept whole or dropped whole, never split.
 */
public final class Utf8Cut {

    private Utf8Cut() {}

    /** {@code text} itself when it fits in {@code maxBytes}, else its longest prefix that does. */
    public static String cut(String text, int maxBytes) {
        int keep = fittingLength(text, maxBytes);
        return keep == text.length() ? text : text.substring(0, keep);
    }

    /** How many chars of {@code text}, from the start, fit in {@code maxBytes}. */
    public static int fittingLength(CharSequence text, int maxBytes) {
        int length = text.length();
        // A char is at most 3 bytes (a pair is 4 for 2 chars): short text is not even counted.
        if (length <= maxBytes / 3) {
            return length;
        }
        int bytes = 0;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            int size;
            if (c < 0x80) {
                size = 1;
            } else if (c < 0x800) {
                size = 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(text.charAt(i + 1))) {
                size = 4;
            } else {
                size = 3;
            }
            if (bytes + size > maxBytes) {
                return i;
            }
            bytes += size;
            if (size == 4) {
                i++;
            }
        }
        return length;
    }
}
