package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without EchoPost (disabled, or it cannot start) records go to the fallback server while the
 * primary is down; without the fallback too, to {@code dropped/}. And a flood: the drain worker
 * empties a nearly full queue to the fallback, and what does not fit goes to {@code queue_full}.
 */
class FallbackTest {

    @TempDir
    Path dir;
    IngestServer primary;
    IngestServer fallback;
    EchoPostProcesses echoPosts;

    @BeforeEach
    void setUp() throws Exception {
        primary = new IngestServer();
        fallback = new IngestServer();
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        echoPosts = new EchoPostProcesses(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        primary.close();
        fallback.close();
        echoPosts.killAll();
    }

    @Test
    void withEchoPostDisabledTheFallbackGetsGzipBatchesOfAtMostAHundred() throws Exception {
        primary.stop();
        AppRun.Result run = app(250).env("DATANADHI_ECHOPOST_DISABLE", "true").run();
        assertEquals(0, run.exitCode, run.toString());

        Ledger ledger = new Ledger().addServer("fallback", fallback);
        assertEquals(List.of(), ledger.missing(250), ledger + "\n" + run);
        List<String> uploads = fallback.uploads();
        assertTrue(uploads.size() >= 3, "250 records in batches of at most 100: " + uploads);
        for (String upload : uploads) {
            String[] countAndEncoding = upload.split(" ");
            assertTrue(Integer.parseInt(countAndEncoding[0]) <= 100, uploads.toString());
            assertEquals("gzip", countAndEncoding[1], uploads.toString());
        }
        assertTrue(fallback.records().stream().allMatch(r -> TestRules.API_KEY.equals(r.apiKey)), "the API key is sent");
        assertEquals(List.of(), echoPosts.running());
        assertFalse(Files.exists(dir.resolve("echopost").resolve("echopost")), "nothing installed when disabled");
    }

    @Test
    void anEchoPostThatCannotStartIsTriedAgainLaterAndTheFallbackGetsTheRecordsMeanwhile() throws Exception {
        primary.stop();
        Path broken = dir.resolve("broken-echopost");
        Files.writeString(broken, "#!/bin/sh\necho 'cannot start' >&2\nexit 3\n");
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwx------"));
        AppRun.Result run = app(250).env("DATANADHI_ECHOPOST_BINARY", broken.toString()).run();
        assertEquals(0, run.exitCode, run.toString());

        Ledger ledger = new Ledger().addServer("fallback", fallback);
        assertEquals(List.of(), ledger.missing(250), ledger + "\n" + run);
        List<String> failed = run.agentLines("WARN").stream().filter(l -> l.contains("\"event\":\"echopost_start_failed\""))
                .collect(java.util.stream.Collectors.toList());
        assertFalse(failed.isEmpty(), "one line per failed attempt: " + run.agentLines());
        assertTrue(failed.get(0).contains("code 3") && failed.get(0).contains("next attempt in 1 s"), failed.get(0));
        assertTrue(run.agentLines("WARN").stream().noneMatch(l -> l.contains("\"event\":\"echopost_disabled\"")),
                "exiting at once may be a passing cause: not disabled for the run " + run.agentLines());
    }

    @Test
    void withTheFallbackDownTooEveryRecordIsInDropped() throws Exception {
        primary.stop();
        fallback.stop();
        AppRun.Result run = app(250).env("DATANADHI_ECHOPOST_DISABLE", "true").run();
        assertEquals(0, run.exitCode, run.toString());

        Ledger ledger = new Ledger().addDropped(dir, "fallback_failed_").addDropped(dir, "shutdown_unsent_");
        assertEquals(List.of(), ledger.missing(250), ledger + "\n" + run);
        assertEquals(0, ledger.duplicates(), ledger.toString());
        assertFalse(Ledger.droppedFiles(dir, "fallback_failed_").isEmpty(), ledger.toString());
        for (Path file : Ledger.droppedFiles(dir, "")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
        assertTrue(run.agentLines("WARN").stream().anyMatch(l -> l.contains("\"event\":\"fallback_down\"")));
    }

    @Test
    void aFloodIsDrainedToTheFallbackAndWhatDoesNotFitGoesToQueueFull() throws Exception {
        primary.delayMillis.set(200); // a slow primary: the queue fills
        int count = 5000;
        AppRun.Result run = app(count).env("DATANADHI_QUEUE_SIZE", "500").env("DATANADHI_WORKERS", "1").run();
        assertEquals(0, run.exitCode, run.toString());

        Ledger ledger = new Ledger().addServer("primary", primary).addServer("fallback", fallback)
                .addDropped(dir, "queue_full_").addDropped(dir, "shutdown_unsent_");
        assertEquals(List.of(), ledger.missing(count), ledger + "\n" + run);
        assertFalse(fallback.records().isEmpty(), "the drain worker sent to the fallback: " + ledger);
        assertFalse(Ledger.droppedFiles(dir, "queue_full_").isEmpty(), "the excess is on disk: " + ledger);
        assertTrue(run.agentLines("WARN").stream().anyMatch(l -> l.contains("\"event\":\"drain_started\"")),
                run.agentLines().toString());
        System.out.println("flood: " + count + " logged, " + ledger);
    }

    /** The JUL app logging {@code count} records at once, primary and fallback as set up. */
    private AppRun app(int count) {
        return AppRun.jul("sequence", Integer.toString(count), "0").shippingTo(primary, dir)
                .env("DATANADHI_FALLBACK_SERVER_HOST", fallback.url());
    }
}
