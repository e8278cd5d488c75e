package io.datanadhi.agent.rules;

import static io.datanadhi.agent.rules.RuleTestSupport.writeRuleFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.diag.Diagnostics;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rule folder watched on real files: what a look notices, when it reads, what it says changed. */
class RuleWatcherTest {

    private static final String ERRORS = "- name: errors\n  conditions:\n"
            + "    - {key: log_record.level, type: exact, value: ERROR}\n  pipelines: [errors]\n";
    private static final String WARNINGS = "- name: warnings\n  conditions:\n"
            + "    - {key: log_record.level, type: exact, value: WARN}\n  pipelines: [warnings]\n";

    @TempDir
    Path dir;

    private final List<RuleLoadResult> reloads = new ArrayList<>();
    private final List<RuleChanges> changes = new ArrayList<>();
    private RuleWatcher watcher;

    @BeforeEach
    void quietDiagnostics() {
        Diagnostics.setOutput(new ByteArrayOutputStream());
    }

    @AfterEach
    void restoreDiagnostics() {
        Diagnostics.setOutput(new FileOutputStream(FileDescriptor.err));
    }

    @Test
    void aChangeIsReadOnceTwoLooksAgreeAndSaysWhatChanged() throws Exception {
        writeRuleFile(dir, "app.yml", ERRORS);
        start();

        watcher.look();
        assertEquals(0, reloads.size(), "nothing changed");

        writeRuleFile(dir, "more.yml", WARNINGS);
        watcher.look();
        assertEquals(0, reloads.size(), "the first look that sees a change waits for the next");
        watcher.look();
        assertEquals(1, reloads.size());
        assertEquals(2, reloads.get(0).rules().size());
        assertCounts(1, 0, 0, 1, 0, changes.get(0));

        writeRuleFile(dir, "app.yml", ERRORS.replace("[errors]", "[errors, audit]"));
        lookTwice();
        assertCounts(0, 0, 1, 1, 0, changes.get(1));
        assertEquals(List.of("errors", "audit"), reloads.get(1).rules().rules().get(0).pipelines());

        writeRuleFile(dir, "app.yml", "- name: [broken\n");
        lookTwice();
        assertCounts(0, 1, 0, 1, 1, changes.get(2));
        assertEquals(1, reloads.get(2).rules().size(), "the other file's rule stays");

        Files.delete(dir.resolve("rules/more.yml"));
        Files.delete(dir.resolve("rules/app.yml"));
        lookTwice();
        assertCounts(0, 1, 0, 0, 0, changes.get(3));
        assertTrue(reloads.get(3).rules().isEmpty());
        lookTwice();
        assertEquals(4, reloads.size(), "read once per change");
    }

    @Test
    void aFileRewrittenWithTheSameSizeAtOnceIsSeen() throws Exception {
        writeRuleFile(dir, "app.yml", ERRORS);
        start();
        Path file = dir.resolve("rules/app.yml");
        java.nio.file.attribute.FileTime time = Files.getLastModifiedTime(file);
        writeRuleFile(dir, "app.yml", ERRORS.replace("[errors]", "[errorz]"));
        Files.setLastModifiedTime(file, time); // as a file system with coarse times would leave it
        lookTwice();
        assertEquals(1, reloads.size());
        assertEquals(List.of("errorz"), reloads.get(0).rules().rules().get(0).pipelines());
    }

    @Test
    void theFolderAppearingAndGoingAwayIsAChange() throws Exception {
        start();
        writeRuleFile(dir, "app.yml", ERRORS);
        lookTwice();
        assertEquals(1, reloads.size());
        assertCounts(1, 0, 0, 0, 0, changes.get(0));
        Files.delete(dir.resolve("rules/app.yml"));
        Files.delete(dir.resolve("rules"));
        lookTwice();
        assertEquals(2, reloads.size());
        assertTrue(reloads.get(1).rules().isEmpty());
    }

    @Test
    void aChangeMadeWhileTheFirstReadWasUnderWayIsSeen() throws Exception {
        writeRuleFile(dir, "app.yml", ERRORS);
        watcher = new RuleWatcher(dir, (rules, changed) -> {
            reloads.add(rules);
            changes.add(changed);
        });
        writeRuleFile(dir, "app.yml", WARNINGS); // after the first look, before the first read
        watcher.start(RuleLoader.read(dir));
        lookTwice();
        assertEquals(1, reloads.size(), "read again, although the first read already had it");
        assertCounts(0, 0, 0, 1, 0, changes.get(0));
    }

    @Test
    void aChangeTheAgentFailedToApplyIsAppliedAtTheNextLook() throws Exception {
        writeRuleFile(dir, "app.yml", ERRORS);
        int[] calls = {0};
        watcher = new RuleWatcher(dir, (rules, changed) -> {
            if (calls[0]++ == 0) {
                throw new IllegalStateException("delivery could not start");
            }
            reloads.add(rules);
            changes.add(changed);
        });
        watcher.start(RuleLoader.read(dir));
        writeRuleFile(dir, "more.yml", WARNINGS);
        watcher.lookQuietly();
        watcher.lookQuietly(); // fails
        assertEquals(0, reloads.size());
        watcher.lookQuietly();
        assertEquals(1, reloads.size(), "tried again");
        assertCounts(1, 0, 0, 1, 0, changes.get(0));
        watcher.lookQuietly();
        assertEquals(1, reloads.size(), "and then done");
    }

    private void start() {
        watcher = new RuleWatcher(dir, (rules, changed) -> {
            reloads.add(rules);
            changes.add(changed);
        });
        watcher.start(RuleLoader.read(dir));
    }

    private void lookTwice() {
        watcher.look();
        watcher.look();
    }

    private static void assertCounts(int added, int removed, int changed, int unchanged, int skipped, RuleChanges c) {
        assertEquals(List.of(added, removed, changed, unchanged, skipped),
                List.of(c.added(), c.removed(), c.changed(), c.unchanged(), c.skipped()), c.describe());
    }
}
