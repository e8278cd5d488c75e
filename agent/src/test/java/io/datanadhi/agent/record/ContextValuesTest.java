package io.datanadhi.agent.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Context values are copied on the application's thread: whatever they hold, quickly and safely. */
class ContextValuesTest {

    @Test
    void aListHoldingItselfManyTimesIsCopiedInBoundedTime() {
        List<Object> loop = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            loop.add(loop);
        }
        Object copy = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> ContextValues.copy(loop, 100));
        assertTrue(count(copy) <= 1000, "at most 1000 elements in all: " + count(copy));
    }

    @Test
    void mapsHoldingEachOtherEndAtTheDepthLimit() {
        Map<String, Object> a = new HashMap<>();
        Map<String, Object> b = new HashMap<>();
        a.put("b", b);
        b.put("a", a);
        Object copy = ContextValues.copy(a, 100);
        for (int depth = 0; depth < 8; depth++) {
            copy = ((Map<?, ?>) copy).values().iterator().next();
        }
        assertEquals(ContextValues.TOO_DEEP, copy);
    }

    @Test
    void anObjectWhoseToStringThrowsOrRecursesBecomesANote() {
        Object throwing = new Object() {
            @Override
            public String toString() {
                throw new IllegalStateException();
            }
        };
        Object recursing = new Object() {
            @Override
            public String toString() {
                return "again " + this;
            }
        };
        assertTrue(((String) ContextValues.copy(throwing, 100)).endsWith(".toString() threw java.lang.IllegalStateException)"));
        assertTrue(((String) ContextValues.copy(List.of(recursing), 100).toString()).contains("threw java.lang.StackOverflowError"));
    }

    @Test
    void stringsAreCutInUtf8Bytes() {
        assertEquals("\u20ac\u20ac", ContextValues.copy("\u20ac\u20ac\u20ac", 8));
        assertEquals(List.of("ab"), ContextValues.copy(new String[] {"abc"}, 2));
    }

    private static int count(Object value) {
        int n = 0;
        if (value instanceof List) {
            for (Object item : (List<?>) value) {
                n += 1 + count(item);
            }
        }
        return n;
    }
}
