package io.datanadhi.agent.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The size caps count UTF-8 bytes, the size on the wire, and never split a character. */
class Utf8CutTest {

    private static final String EURO = "\u20ac";            // 3 bytes
    private static final String E_ACUTE = "\u00e9";         // 2 bytes
    private static final String FACE = "\ud83d\ude00";      // a surrogate pair, 4 bytes

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void asciiIsCutAtTheByteLimit() {
        assertEquals("abcde", Utf8Cut.cut("abcdefghij", 5));
    }

    @Test
    void textThatFitsIsReturnedItselfAlsoExactlyAtTheLimit() {
        String ascii = "abcdefghij";
        assertSame(ascii, Utf8Cut.cut(ascii, 10));
        String multibyte = EURO.repeat(4);
        assertSame(multibyte, Utf8Cut.cut(multibyte, 12), "12 bytes in 12");
        String pairs = FACE.repeat(3);
        assertSame(pairs, Utf8Cut.cut(pairs, 12), "three pairs are 12 bytes");
    }

    @Test
    void multibyteCharactersCountTheirBytesAndAreNeverSplit() {
        String text = E_ACUTE + EURO + "x" + EURO;           // 2 + 3 + 1 + 3 bytes
        assertEquals(E_ACUTE, Utf8Cut.cut(text, 4), "the euro sign would need bytes 3 to 5");
        assertEquals(E_ACUTE + EURO, Utf8Cut.cut(text, 5));
        assertEquals(E_ACUTE + EURO + "x", Utf8Cut.cut(text, 8));
        assertEquals(EURO.repeat(3), Utf8Cut.cut(EURO.repeat(1000), 10));
    }

    @Test
    void surrogatePairAtTheBoundaryIsDroppedWhole() {
        String text = "ab" + FACE + "cd";                   // 2 + 4 + 2 bytes
        for (int max = 2; max <= 5; max++) {
            assertEquals("ab", Utf8Cut.cut(text, max), "limit " + max);
        }
        assertEquals("ab" + FACE, Utf8Cut.cut(text, 6));
        assertEquals("ab" + FACE + "c", Utf8Cut.cut(text, 7));
    }

    @Test
    void loneSurrogatesCountAsThreeBytes() {
        String lone = "\ud83d" + "x";
        assertEquals("\ud83d", Utf8Cut.cut(lone + lone, 3));
        assertEquals(lone, Utf8Cut.cut(lone + lone, 4));
    }

    @Test
    void everyCutFitsAndIsTheLongestThatDoes() {
        String text = ("a" + E_ACUTE + EURO + FACE).repeat(50);
        for (int max = 0; max <= bytes(text); max++) {
            String cut = Utf8Cut.cut(text, max);
            assertTrue(bytes(cut) <= max, "limit " + max);
            assertTrue(text.startsWith(cut));
            if (cut.length() < text.length()) {
                int next = Character.charCount(text.codePointAt(cut.length()));
                assertTrue(bytes(text.substring(0, cut.length() + next)) > max, "limit " + max + " could keep more");
            }
        }
    }

    @Test
    void aStringBuilderCanBeMeasuredToo() {
        assertEquals(2, Utf8Cut.fittingLength(new StringBuilder("ab" + FACE), 5));
    }
}
