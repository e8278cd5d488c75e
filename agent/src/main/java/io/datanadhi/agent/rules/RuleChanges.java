package io.datanadhi.agent.rules;

import io.datanadhi.agent.json.JsonText;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a reload changed, rule by rule. A named rule is the same rule when it comes from the same
 * file under the same name; it changed when anything else about it did (conditions, pipelines,
 * stdout). An unnamed rule is known by what it says: edited, it is one removed and one added (by
 * its index, an entry inserted above would "change" every unnamed rule after it). Skipped: the
 * problems of the new set, each a rule or a file that was left out.
 */
public final class RuleChanges {

    private final int added;
    private final int removed;
    private final int changed;
    private final int unchanged;
    private final int skipped;

    private RuleChanges(int added, int removed, int changed, int unchanged, int skipped) {
        this.added = added;
        this.removed = removed;
        this.changed = changed;
        this.unchanged = unchanged;
        this.skipped = skipped;
    }

    public static RuleChanges between(RuleLoadResult before, RuleLoadResult after) {
        Map<String, String> old = byIdentity(before);
        Map<String, String> now = byIdentity(after);
        int added = 0;
        int changed = 0;
        int unchanged = 0;
        for (Map.Entry<String, String> rule : now.entrySet()) {
            String was = old.get(rule.getKey());
            if (was == null) {
                added++;
            } else if (was.equals(rule.getValue())) {
                unchanged++;
            } else {
                changed++;
            }
        }
        int removed = 0;
        for (String identity : old.keySet()) {
            if (!now.containsKey(identity)) {
                removed++;
            }
        }
        return new RuleChanges(added, removed, changed, unchanged, after.problems().size());
    }

    /** Rule identity to what it says; a name used twice in a file counts its occurrences. */
    private static Map<String, String> byIdentity(RuleLoadResult result) {
        Map<String, String> rules = new LinkedHashMap<>();
        Map<String, Integer> seen = new HashMap<>();
        for (Rule rule : result.rules().rules()) {
            Map<String, Object> meaning = ResolvedRulesWriter.ruleJson(rule);
            meaning.remove("source");
            meaning.remove("index");
            String says = JsonText.compact(meaning);
            String identity = rule.source() + '\u0000' + (rule.name() == null ? "says:" + says : "name:" + rule.name());
            int occurrence = seen.merge(identity, 1, Integer::sum);
            rules.put(identity + '\u0000' + occurrence, says);
        }
        return rules;
    }

    /** Anything added, removed or changed. */
    public boolean any() {
        return added + removed + changed > 0;
    }

    public int added() {
        return added;
    }

    public int removed() {
        return removed;
    }

    public int changed() {
        return changed;
    }

    public int unchanged() {
        return unchanged;
    }

    public int skipped() {
        return skipped;
    }

    /** "1 added, 2 changed, 1 removed, 3 unchanged, 1 skipped", leaving out what is 0 but the unchanged. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (added > 0) {
            parts.add(added + " added");
        }
        if (changed > 0) {
            parts.add(changed + " changed");
        }
        if (removed > 0) {
            parts.add(removed + " removed");
        }
        parts.add(unchanged + " unchanged");
        if (skipped > 0) {
            parts.add(skipped + " skipped");
        }
        return String.join(", ", parts);
    }
}
