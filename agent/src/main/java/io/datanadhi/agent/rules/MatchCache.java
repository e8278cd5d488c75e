package io.datanadhi.agent.rules;

/**
 * The {@link Match} for each combination of matching rules seen so far, keyed by a bitmask of
 * rule positions (for rule sets of up to 64 rules). The same few combinations repeat for every
 * event, so building a Match once per combination keeps evaluation allocation-free.
 *
 * <p>Lookups are lock-free and allocate nothing (a ConcurrentHashMap would box the long key).
 * The table is an open-addressing array that is copied on insert, which happens once per
 * distinct combination; beyond {@link #MAX_ENTRIES} combinations new ones are not cached.
 */
final class MatchCache {

    static final int MAX_ENTRIES = 1024;

    /** Keys and values published together through one volatile write. */
    private static final class Table {
        final long[] keys;
        final Match[] values;
        final int size;

        Table(int capacity, int size) {
            this.keys = new long[capacity];
            this.values = new Match[capacity];
            this.size = size;
        }
    }

    private volatile Table table = new Table(16, 0);

    /** The cached Match for a non-zero bitmask, or null. */
    Match get(long bits) {
        return find(table, bits);
    }

    /** Caches {@code match} for {@code bits} unless already there; returns the cached one. */
    synchronized Match put(long bits, Match match) {
        Table current = table;
        Match existing = find(current, bits);
        if (existing != null) {
            return existing;
        }
        if (current.size >= MAX_ENTRIES) {
            return match;
        }
        int capacity = current.keys.length;
        // Keep the table at most half full, so that a probe always reaches an empty slot.
        while ((current.size + 1) * 2 > capacity) {
            capacity *= 2;
        }
        Table next = new Table(capacity, current.size + 1);
        for (int i = 0; i < current.keys.length; i++) {
            if (current.values[i] != null) {
                insert(next, current.keys[i], current.values[i]);
            }
        }
        insert(next, bits, match);
        table = next;
        return match;
    }

    int size() {
        return table.size;
    }

    private static Match find(Table t, long bits) {
        int mask = t.keys.length - 1;
        for (int i = slot(bits, mask); ; i = (i + 1) & mask) {
            Match m = t.values[i];
            if (m == null || t.keys[i] == bits) {
                return m;
            }
        }
    }

    private static void insert(Table t, long bits, Match match) {
        int mask = t.keys.length - 1;
        int i = slot(bits, mask);
        while (t.values[i] != null) {
            i = (i + 1) & mask;
        }
        t.keys[i] = bits;
        t.values[i] = match;
    }

    private static int slot(long bits, int mask) {
        long h = bits * 0x9E3779B97F4A7C15L; // Fibonacci hashing spreads nearby bitmasks
        return (int) (h >>> 40) & mask;
    }
}
