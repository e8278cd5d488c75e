package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EchoPost from elsewhere than the agent jar: a configured executable that only has
 * {@code SendLog} (as the original Go build), and a download checked against its SHA-256.
 */
class EchoPostSourcesTest {

    private static final String ARCH = System.getProperty("os.arch").matches("aarch64|arm64") ? "arm64" : "amd64";

    @TempDir
    Path dir;
    IngestServer primary;
    IngestServer fallback;
    EchoPostProcesses echoPosts;
    HttpServer downloads;
    final List<String> downloaded = new CopyOnWriteArrayList<>();

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
        if (downloads != null) {
            downloads.stop(0);
        }
        echoPosts.killAll();
    }

    @Test
    void anEchoPostWithOnlySendLogReceivesEveryRecord() throws Exception {
        primary.stop();
        Path binary = dir.resolve("sendlog-only-echopost");
        Files.writeString(binary, "#!/bin/sh\nexec '" + Env.java() + "' -Xshare:auto -XX:TieredStopAtLevel=1 -cp '"
                + Env.appJar("sendlog-only-echopost") + "' io.datanadhi.it.apps.SendLogOnlyEchoPost \"$@\"\n");
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwx------"));
        // One record every 5 ms: the workers send many small batches.
        AppRun.Result run = AppRun.jul("sequence", "300", "5").shippingTo(primary, dir)
                .env("DATANADHI_FALLBACK_SERVER_HOST", fallback.url())
                .env("DATANADHI_ECHOPOST_BINARY", binary.toString())
                .env("DATANADHI_AGENT_LOG_LEVEL", "DEBUG")
                .env("DATANADHI_ECHOPOST_START_TIMEOUT", "30") // a whole JVM with gRPC, on a busy machine
                .env("DATANADHI_EXIT_TIMEOUT", "20").run();
        assertEquals(0, run.exitCode, run.toString());

        Ledger ledger = new Ledger().add("double", Ledger.jsonLines(dir.resolve("echopost").resolve("received.jsonl")));
        assertEquals(List.of(), ledger.missing(300), ledger + "\n" + run);
        assertTrue(run.agentLines("INFO").stream().anyMatch(l -> l.contains("\"event\":\"echopost_sendlog_only\"")),
                run.agentLines().toString());
        assertEquals(List.of(), fallback.records(), "nothing needed the fallback");
        assertEquals(List.of(), Ledger.droppedFiles(dir, ""));
        // The agent keeps its channel: it does not probe the socket (a new connection for EchoPost
        // to set up and tear down) per batch. Once before the start, once after it, once per failure.
        long checks = run.agentLines("DEBUG").stream().filter(l -> l.contains("\"event\":\"echopost_check\"")).count();
        assertTrue(checks >= 1 && checks <= 3, checks + " socket checks for 300 records sent one every 5 ms");
    }

    @Test
    void aDownloadWithTheWrongChecksumIsRefusedAndNeverRun() throws Exception {
        primary.stop();
        String url = serveEchoPost();
        AppRun.Result run = app(150).env("DATANADHI_ECHOPOST_URL", url)
                .env("DATANADHI_ECHOPOST_SHA256", "ab".repeat(32)).run();
        assertEquals(0, run.exitCode, run.toString());

        assertEquals(List.of("/echopost-linux-" + ARCH), downloaded, "{os} and {arch} expanded");
        assertFalse(Files.exists(dir.resolve("echopost").resolve("echopost")), "not installed");
        assertEquals(List.of(), echoPosts.running(), "not run");
        List<String> disabled = run.agentLines("WARN").stream().filter(l -> l.contains("\"event\":\"echopost_disabled\""))
                .collect(java.util.stream.Collectors.toList());
        assertEquals(1, disabled.size(), run.agentLines().toString());
        assertTrue(disabled.get(0).contains("SHA-256") && disabled.get(0).contains("refused"), disabled.get(0));
        Ledger ledger = new Ledger().addServer("fallback", fallback);
        assertEquals(List.of(), ledger.missing(150), "the fallback took over: " + ledger + "\n" + run.agentLines());
    }

    @Test
    void aDownloadWithTheRightChecksumIsInstalledAndStarts() throws Exception {
        primary.stop();
        String url = serveEchoPost();
        String sha256 = sha256(Env.echopostJar());
        // Exit waits for EchoPost: downloading, checking and starting it took 4 of the default 5 s on a busy CI machine.
        AppRun.Result run = app(150).env("DATANADHI_ECHOPOST_URL", url).env("DATANADHI_ECHOPOST_SHA256", sha256)
                .env("DATANADHI_ECHOPOST_START_TIMEOUT", "10").env("DATANADHI_EXIT_TIMEOUT", "30").run();
        assertEquals(0, run.exitCode, run.toString());

        Path installed = dir.resolve("echopost").resolve("echopost");
        assertEquals(sha256, sha256(installed));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(installed)));
        ProcessHandle echoPost = echoPosts.awaitOne(5_000);
        assertTrue(EchoPostProcesses.psArgs(echoPost.pid()).contains(installed.toString()));

        primary.restart();
        assertTrue(echoPosts.awaitNone(60_000), "it replays and exits");
        Ledger ledger = new Ledger().addServer("primary", primary).addServer("fallback", fallback);
        assertEquals(List.of(), ledger.missing(150), ledger + "\n" + run);
        assertTrue(primary.records().stream().allMatch(IngestServer.Received::fromEchoPost), "all by EchoPost's replay");
    }

    @Test
    void anEchoPostSlowerThanTheStartTimeoutIsWaitedForAndUsedOnceItListens() throws Exception {
        primary.stop();
        // Every start sleeps 4 s, past the 2 s start timeout, before it runs the real EchoPost.
        Path binary = dir.resolve("slow-echopost");
        Files.writeString(binary, "#!/bin/sh\nsleep 4\nexec '" + Env.java() + "' -jar '" + Env.echopostJar()
                + "' \"$@\"\n");
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwx------"));
        // 200 records over about 10 s: logged before, during and after the slow start.
        AppRun.Result run = AppRun.jul("sequence", "200", "50").shippingTo(primary, dir)
                .env("DATANADHI_FALLBACK_SERVER_HOST", fallback.url())
                .env("DATANADHI_ECHOPOST_BINARY", binary.toString())
                .env("DATANADHI_ECHOPOST_START_TIMEOUT", "2")
                .env("DATANADHI_EXIT_TIMEOUT", "30").run();
        assertEquals(0, run.exitCode, run.toString());

        List<String> slow = run.agentLines("WARN").stream()
                .filter(l -> l.contains("\"event\":\"echopost_start_slow\"")).collect(java.util.stream.Collectors.toList());
        assertEquals(1, slow.size(), "one line for the slow attempt: " + run.agentLines());
        assertTrue(slow.get(0).contains("attempt 1") && slow.get(0).contains("wait"), slow.get(0));
        assertTrue(run.agentLines("WARN").stream().noneMatch(l -> l.contains("\"event\":\"echopost_disabled\"")
                || l.contains("\"event\":\"echopost_start_failed\"")), run.agentLines().toString());
        assertEquals(List.of(), fallback.records(), "the records waited for EchoPost");
        assertEquals(List.of(), Ledger.droppedFiles(dir, ""));
        echoPosts.awaitOne(5_000);

        primary.restart();
        assertTrue(echoPosts.awaitNone(60_000), "EchoPost replays and exits");
        Ledger ledger = new Ledger().addServer("primary", primary);
        assertEquals(List.of(), ledger.missing(200), ledger + "\n" + run);
        assertTrue(primary.records().stream().allMatch(IngestServer.Received::fromEchoPost), "all by EchoPost: " + ledger);
    }

    @Test
    void anEchoPostThatExitsAtOnceIsTriedAgainWithBackoffNotDisabled() throws Exception {
        primary.stop();
        // The first two starts exit at once; the third runs the real EchoPost.
        Path binary = dir.resolve("failing-echopost");
        Path count = dir.resolve("starts");
        Files.writeString(binary, "#!/bin/sh\necho x >> '" + count + "'\nif [ $(wc -l < '" + count + "') -le 2 ]; then"
                + " exit 3; fi\nexec '" + Env.java() + "' -jar '" + Env.echopostJar() + "' \"$@\"\n");
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwx------"));
        AppRun.Result run = AppRun.jul("sequence", "200", "50").shippingTo(primary, dir)
                .env("DATANADHI_FALLBACK_SERVER_HOST", fallback.url())
                .env("DATANADHI_ECHOPOST_BINARY", binary.toString())
                .env("DATANADHI_ECHOPOST_START_TIMEOUT", "10")
                .env("DATANADHI_EXIT_TIMEOUT", "30").run();
        assertEquals(0, run.exitCode, run.toString());

        List<String> failed = run.agentLines("WARN").stream()
                .filter(l -> l.contains("\"event\":\"echopost_start_failed\"")).collect(java.util.stream.Collectors.toList());
        assertEquals(2, failed.size(), "one line per failed attempt: " + run.agentLines());
        assertTrue(failed.get(0).contains("attempt 1") && failed.get(0).contains("code 3")
                && failed.get(0).contains("next attempt in 1 s"), failed.get(0));
        assertTrue(failed.get(1).contains("attempt 2") && failed.get(1).contains("next attempt in 2 s"), failed.get(1));
        assertTrue(run.agentLines("WARN").stream().noneMatch(l -> l.contains("\"event\":\"echopost_disabled\"")),
                run.agentLines().toString());
        echoPosts.awaitOne(5_000);

        primary.restart();
        assertTrue(echoPosts.awaitNone(60_000), "the third EchoPost replays and exits");
        Ledger ledger = new Ledger().addServer("primary", primary).addServer("fallback", fallback);
        assertEquals(List.of(), ledger.missing(200), ledger + "\n" + run);
        assertTrue(primary.records().stream().anyMatch(IngestServer.Received::fromEchoPost), "some by EchoPost: " + ledger);
    }

    /** Serves echopost.jar at {@code /echopost-<os>-<arch>}; returns the URL template. */
    private String serveEchoPost() throws Exception {
        byte[] jar = Files.readAllBytes(Env.echopostJar());
        downloads = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        downloads.createContext("/", exchange -> {
            downloaded.add(exchange.getRequestURI().getPath());
            boolean known = exchange.getRequestURI().getPath().equals("/echopost-linux-" + ARCH);
            exchange.sendResponseHeaders(known ? 200 : 404, known ? jar.length : -1);
            try (OutputStream out = exchange.getResponseBody()) {
                if (known) {
                    out.write(jar);
                }
            }
        });
        downloads.start();
        return "http://127.0.0.1:" + downloads.getAddress().getPort() + "/echopost-{os}-{arch}";
    }

    private static String sha256(Path file) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        StringBuilder hex = new StringBuilder();
        for (byte b : digest) {
            hex.append(String.format("%02x", b));
        }
        return hex.toString();
    }

    private AppRun app(int count) {
        return AppRun.jul("sequence", Integer.toString(count), "0").shippingTo(primary, dir)
                .env("DATANADHI_FALLBACK_SERVER_HOST", fallback.url());
    }
}
