package io.datanadhi.agent.rules;

import static io.datanadhi.agent.rules.RuleTestSupport.writeRuleFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.diag.Diagnostics;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code <dir>/.rules.cache}: used only for exactly the files it was made from; anything odd in it is a miss. */
class RuleCacheTest {

    private static final String RULES = "- name: errors\n  conditions:\n"
            + "    - {key: message, type: regex, value: 'pay(ment)? failed'}\n  pipelines: [errors]\n  stdout: true\n"
            + "- conditions: [{key: log_record.level, type: exact, value: WARN, negate: true}]\n  pipelines: [other]\n";

    @TempDir
    Path dir;

    @BeforeEach
    void quietDiagnostics() {
        Diagnostics.setOutput(new ByteArrayOutputStream());
    }

    @AfterEach
    void restoreDiagnostics() {
        Diagnostics.setOutput(new FileOutputStream(FileDescriptor.err));
    }

    @Test
    void anUnchangedSetComesFromTheCacheOwnerOnly() throws Exception {
        writeRuleFile(dir, "app.yml", RULES);
        RuleLoadResult parsed = RuleLoader.readCached(dir);
        assertFalse(parsed.cached());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(RuleCache.FILE_NAME))));
        RuleLoadResult cached = RuleLoader.readCached(dir);
        assertTrue(cached.cached());
        assertEquals(ResolvedRulesWriter.toJson(parsed).get("rules"), ResolvedRulesWriter.toJson(cached).get("rules"));
    }

    @Test
    void aFileChangedWithTheSameSizeAndTimeIsParsedAgain() throws Exception {
        writeRuleFile(dir, "app.yml", RULES);
        RuleLoader.readCached(dir);
        Path file = dir.resolve("rules/app.yml");
        FileTime time = Files.getLastModifiedTime(file);
        writeRuleFile(dir, "app.yml", RULES.replace("[errors]", "[errorz]"));
        Files.setLastModifiedTime(file, time);
        RuleLoadResult again = RuleLoader.readCached(dir);
        assertFalse(again.cached(), "the content's CRC differs");
        assertEquals(List.of("errorz"), again.rules().rules().get(0).pipelines());
        assertTrue(RuleLoader.readCached(dir).cached(), "and the cache is replaced");
    }

    @Test
    void aFileAddedOrRemovedIsParsedAgain() throws Exception {
        writeRuleFile(dir, "app.yml", RULES);
        RuleLoader.readCached(dir);
        writeRuleFile(dir, "more.yml", RULES);
        RuleLoadResult added = RuleLoader.readCached(dir);
        assertFalse(added.cached());
        assertEquals(4, added.rules().size());
        Files.delete(dir.resolve("rules/more.yml"));
        RuleLoadResult removed = RuleLoader.readCached(dir);
        assertFalse(removed.cached());
        assertEquals(2, removed.rules().size());
    }

    @Test
    void aCorruptOrForeignCacheIsAMissNeverAnError() throws Exception {
        writeRuleFile(dir, "app.yml", RULES);
        RuleLoader.readCached(dir);
        Path cache = dir.resolve(RuleCache.FILE_NAME);
        byte[] good = Files.readAllBytes(cache);
        for (int cut = 0; cut < good.length; cut += 7) {
            Files.write(cache, Arrays.copyOf(good, cut));
            assertFalse(RuleLoader.readCached(dir).cached(), "cut at " + cut);
            assertTrue(RuleLoader.readCached(dir).cached(), "rewritten after the cut at " + cut);
        }
        Object expected = ResolvedRulesWriter.toJson(RuleLoader.read(dir)).get("rules");
        for (int at = 0; at < good.length; at++) {
            byte[] flipped = good.clone();
            flipped[at] ^= 0x5a;
            Files.write(cache, flipped);
            RuleLoadResult result = RuleLoader.readCached(dir); // never throws
            assertFalse(result.cached(), "byte " + at + " changed, and the cache was used");
            assertEquals(expected, ResolvedRulesWriter.toJson(result).get("rules"), "byte " + at);
        }
        Files.writeString(cache, "{\"not\": \"ours\"}");
        assertFalse(RuleLoader.readCached(dir).cached());
    }

    @Test
    void withoutAnyRuleFileNothingIsCached() throws Exception {
        assertTrue(RuleLoader.readCached(dir).rules().isEmpty());
        assertFalse(Files.exists(dir.resolve(RuleCache.FILE_NAME)));
    }
}
