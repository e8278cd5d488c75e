package io.datanadhi.echopost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.proto.LogAgentGrpc;
import io.datanadhi.proto.LogRequest;
import io.datanadhi.proto.LogResponse;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EchoPost's limits and safety at the edges: disk cap, a flood of large calls, connections that
 * idle or never begin, one per directory, modes, the key, bad paths and flags.
 */
class LimitsIT {

    static final int RECORD_BYTES = 5 * 1024;
    static final long MB = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void maxDiskMbRefusesRecordsOnceAboutThatMuchIsStoredAndSaysWhy() throws Exception {
        List<String> stored = new ArrayList<>();
        LogResponse refused;
        try (ReplayServer server = ReplayServer.down();
                EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url()).arg("-max-disk-mb", "1")
                        .startReady()) {
            ManagedChannel channel = Clients.channel(echo.socket());
            try {
                int n = 0;
                // Batches of 20 records (about 100 KB) until one is refused, then single records.
                while (true) {
                    assertTrue(n < 2000, "never refused");
                    List<LogRequest> batch = new ArrayList<>();
                    List<String> ids = new ArrayList<>();
                    for (int i = 0; i < 20; i++, n++) {
                        ids.add("big" + n);
                        batch.add(Clients.request(record("big" + n), List.of("p"), ""));
                    }
                    LogResponse response = Clients.sendBatch(channel, batch);
                    if (!response.getSuccess()) {
                        assertRefusedForTheCap(response);
                        break;
                    }
                    stored.addAll(ids);
                }
                while (true) {
                    assertTrue(n < 2000, "never refused");
                    String id = "big" + n++;
                    LogResponse response = Clients.sendLog(channel, Clients.request(record(id), List.of("p"), ""));
                    if (!response.getSuccess()) {
                        refused = response;
                        break;
                    }
                    stored.add(id);
                }
            } finally {
                channel.shutdownNow();
            }
            assertRefusedForTheCap(refused);
            long storedBytes = stored.size() * (long) RECORD_BYTES;
            assertTrue(storedBytes > MB - 2 * RECORD_BYTES && storedBytes <= MB,
                    "refused once about 1 MB was stored: " + stored.size() + " records of " + RECORD_BYTES + " bytes");
            List<Map<String, String>> events = echo.eventFields("disk_refused");
            assertFalse(events.isEmpty(), echo.output());
            assertEquals(refused.getMessage(), events.get(events.size() - 1).get("message"));
            assertTrue(echo.alive(), "refusing is not failing: EchoPost keeps serving");

            server.start();
            assertEquals(0, echo.awaitExit(30_000), echo.output());
            assertEquals(stored, StatusClassesIT.idsOf(server.accepted()), "what was stored is delivered, nothing else");
        }
    }

    @Test
    void aFloodOfParallel3MbCallsIsAnsweredStoredOrBusyAndEveryStoredOneIsReplayed() throws Exception {
        int calls = 50;
        String pad = "x".repeat(3 * (int) MB - 64);
        List<String> stored = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        int busy = 0;
        try (ReplayServer server = ReplayServer.down();
                EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url()).agentJvm().startReady()) {
            // Forty calls on one channel (one agent), ten on channels of their own (other JVMs).
            List<ManagedChannel> channels = new ArrayList<>();
            for (int i = 0; i < 11; i++) {
                channels.add(Clients.channel(echo.socket()));
            }
            ExecutorService clients = Executors.newFixedThreadPool(calls);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<LogResponse>> answers = new ArrayList<>();
                for (int i = 0; i < calls; i++) {
                    String id = "flood" + i;
                    ManagedChannel channel = channels.get(i < 40 ? 0 : i - 39);
                    LogRequest request = Clients.request("{\"id\":\"" + id + "\",\"pad\":\"" + pad + "\"}", List.of("p"), "");
                    answers.add(clients.submit(() -> {
                        go.await();
                        return LogAgentGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).sendLog(request);
                    }));
                }
                go.countDown();
                for (int i = 0; i < calls; i++) {
                    try {
                        LogResponse answer = answers.get(i).get(90, TimeUnit.SECONDS);
                        if (answer.getSuccess()) {
                            stored.add("flood" + i);
                        } else if (answer.getMessage().startsWith("EchoPost is busy")
                                && answer.getMessage().endsWith("try again or elsewhere")) {
                            busy++;
                        } else {
                            unexpected.add("flood" + i + ": " + answer.getMessage());
                        }
                    } catch (ExecutionException e) {
                        unexpected.add("flood" + i + ": " + e.getCause());
                    }
                }
            } finally {
                clients.shutdownNow();
                channels.forEach(ManagedChannel::shutdownNow);
            }
            assertEquals(List.of(), unexpected, "only stored or busy (" + stored.size() + " stored, " + busy + " busy)\n"
                    + echo.output());
            assertFalse(stored.isEmpty(), "some were taken");
            assertTrue(busy > 0, "50 x 3 MB at once is more than EchoPost holds at once");
            assertTrue(echo.alive(), "EchoPost is still up\n" + echo.output());
            ManagedChannel after = Clients.channel(echo.socket());
            try {
                assertTrue(Clients.sendLog(after, Clients.request("{\"id\":\"after\"}", List.of("p"), "")).getSuccess(),
                        "and takes records once the flood is over");
            } finally {
                after.shutdownNow();
            }
            stored.add("after");

            server.start();
            assertEquals(0, echo.awaitExit(60_000), echo.output());
            List<String> replayed = StatusClassesIT.idsOf(server.accepted());
            Collections.sort(replayed);
            Collections.sort(stored);
            assertEquals(stored, replayed, "every record answered stored was stored, and only those");
        }
    }

    @Test
    void aConnectionThatNeverBeginsHttp2IsClosedAfterTheHandshakeTimeoutWhileGrpcClientsKeepTheirs() throws Exception {
        try (ReplayServer server = ReplayServer.down();
                EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url()).arg("-handshake-timeout", "1")
                        .startReady()) {
            ManagedChannel channel = Clients.channel(echo.socket());
            EventLoopGroup loop = new EpollEventLoopGroup(1);
            try {
                assertTrue(Clients.sendLog(channel, Clients.request("{\"id\":\"before\"}", List.of("p"), "")).getSuccess());
                AtomicBoolean channelChanged = new AtomicBoolean();
                channel.notifyWhenStateChanged(ConnectivityState.READY, () -> channelChanged.set(true));

                long opened = System.nanoTime();
                Channel silent = new Bootstrap().group(loop).channel(EpollDomainSocketChannel.class)
                        .handler(new ChannelInboundHandlerAdapter())
                        .connect(new DomainSocketAddress(echo.socket().toString())).sync().channel();
                assertTrue(silent.closeFuture().await(15, TimeUnit.SECONDS), "a connection sending nothing is closed");
                long closedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - opened);
                assertTrue(closedAfterMillis >= 900 && closedAfterMillis < 10_000, closedAfterMillis + " ms");

                // The gRPC connection, older than the timeout, was never cut: same connection, still working.
                assertTrue(Clients.sendLog(channel, Clients.request("{\"id\":\"after\"}", List.of("p"), "")).getSuccess());
                assertEquals(ConnectivityState.READY, channel.getState(false));
                assertFalse(channelChanged.get(), "the gRPC client's connection stayed up");
            } finally {
                channel.shutdownNow();
                loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            assertTrue(echo.alive());
        }
    }

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeoutAndTheNextCallReconnects() throws Exception {
        try (ReplayServer server = ReplayServer.down();
                EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url()).arg("-idle-timeout", "2")
                        .startReady()) {
            ManagedChannel channel = Clients.channel(echo.socket());
            try {
                assertTrue(Clients.sendLog(channel, Clients.request("{\"id\":\"first\"}", List.of("p"), "")).getSuccess());
                long answered = System.nanoTime();
                CountDownLatch left = new CountDownLatch(1);
                channel.notifyWhenStateChanged(ConnectivityState.READY, left::countDown);
                assertTrue(left.await(15, TimeUnit.SECONDS), "the idle connection was closed");
                long idleMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - answered);
                assertTrue(idleMillis >= 1_800, "not before the idle timeout: " + idleMillis + " ms");

                assertTrue(Clients.sendLog(channel, Clients.request("{\"id\":\"second\"}", List.of("p"), "")).getSuccess(),
                        "the same channel connects again");
            } finally {
                channel.shutdownNow();
            }
            server.start();
            assertEquals(0, echo.awaitExit(30_000), echo.output());
            assertEquals(List.of("first", "second"), StatusClassesIT.idsOf(server.accepted()));
        }
    }

    @Test
    void aSecondEchoPostOnTheSameDirectoryExitsThreeWhileTheFirstKeepsServing() throws Exception {
        try (ReplayServer server = ReplayServer.down();
                EchoPostProcess first = EchoPostProcess.in(dir).healthUrl(server.url()).startReady()) {
            StatusClassesIT.store(first, List.of("before"));
            try (EchoPostProcess second = EchoPostProcess.in(dir).healthUrl(server.url()).start()) {
                assertEquals(3, second.awaitExit(20_000), second.output());
                assertTrue(second.stderr().contains("another EchoPost is already running for " + dir), second.output());
            }
            assertTrue(first.alive());
            assertTrue(Files.exists(first.socket()), "the second one left the first one's socket alone");
            StatusClassesIT.store(first, List.of("after"));

            server.start();
            assertEquals(0, first.awaitExit(30_000), first.output());
            assertEquals(List.of("before", "after"), StatusClassesIT.idsOf(server.accepted()));
        }
    }

    @Test
    void theSocketAndEveryFileHoldingRecordsAreOwnerOnly() throws Exception {
        try (ReplayServer server = ReplayServer.down()) {
            server.logStatus = body -> ReplayServer.id(body).startsWith("refused") ? 400 : 503;
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url()).startReady()) {
                assertEquals("rw-------", mode(echo.socket()), "the socket");
                StatusClassesIT.store(echo, List.of("refused-1", "kept-1", "kept-2"));
                server.start();
                long deadline = System.currentTimeMillis() + 20_000;
                while (echo.events("replay_interrupted").isEmpty()) {
                    assertTrue(System.currentTimeMillis() < deadline, echo.output());
                    Thread.sleep(20);
                }
                echo.sigterm();
                assertEquals(0, echo.awaitExit(20_000), echo.output());
                assertTrue(echo.sessionLog("agent-failure.log").get(0).contains("refused-1"));
            }
            assertEquals("rwx------", mode(dir));
            for (Path file : filesUnder(dir)) {
                String name = file.getFileName().toString();
                if (name.endsWith(".seg") || name.equals("checkpoint") || name.endsWith(".log")) {
                    assertEquals("rw-------", mode(file), dir.relativize(file) + " holds records or what became of them");
                }
                if (name.endsWith(".lock")) {
                    assertEquals("rw-------", mode(file), dir.relativize(file) + ": every file here is owner-only");
                }
            }
        }
    }

    @Test
    void aLockFileAnEarlierVersionLeftReadableByOthersIsMadeOwnerOnly() throws Exception {
        Files.createDirectories(dir);
        Path lock = dir.resolve(EchoPost.LOCK);
        Files.createFile(lock, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        Files.setPosixFilePermissions(lock, PosixFilePermissions.fromString("rw-r--r--")); // past the umask
        try (ReplayServer server = ReplayServer.down();
                EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url()).startReady()) {
            assertEquals("rw-------", mode(lock));
        }
    }

    @Test
    void theApiKeyIsInNoFileUnderTheDirectoryNorInTheOutput() throws Exception {
        String key = "dn-live-" + Long.toHexString(Double.doubleToLongBits(Math.random())) + "-SECRET";
        String clientKey = "dn-client-" + Long.toHexString(System.nanoTime()) + "-SECRET";
        String output;
        try (ReplayServer server = ReplayServer.down()) {
            AtomicInteger posts = new AtomicInteger();
            // Two delivered, one refused for good (agent-failure.log), the rest kept in the store.
            server.logStatus = body -> {
                int n = posts.incrementAndGet();
                return n <= 2 ? 200 : n == 3 ? 400 : 503;
            };
            try (EchoPostProcess echo = EchoPostProcess.in(dir.resolve("with-key")).healthUrl(server.url())
                    .env("DATANADHI_API_KEY", key).startReady()) {
                ManagedChannel channel = Clients.channel(echo.socket());
                try {
                    for (int i = 0; i < 6; i++) {
                        assertTrue(Clients.sendLog(channel, Clients.request("{\"id\":\"k" + i + "\"}", List.of("p"), key))
                                .getSuccess());
                    }
                    // Invalid json_data is stored as {}; its event says how long it was, not what it said.
                    assertTrue(Clients.sendLog(channel, Clients.request("not json " + key, List.of("p"), key)).getSuccess());
                } finally {
                    channel.shutdownNow();
                }
                server.start();
                long deadline = System.currentTimeMillis() + 20_000;
                while (echo.events("replay_interrupted").isEmpty()) {
                    assertTrue(System.currentTimeMillis() < deadline, echo.output());
                    Thread.sleep(20);
                }
                echo.sigterm();
                assertEquals(0, echo.awaitExit(20_000), echo.output());
                assertFalse(echo.events("invalid_json").isEmpty());
                output = echo.output();
            }
            // Without a key of its own, EchoPost replays with the key its clients send.
            server.logStatus = body -> 200;
            try (EchoPostProcess echo = EchoPostProcess.in(dir.resolve("client-key")).healthUrl(server.url())
                    .startReady()) {
                ManagedChannel channel = Clients.channel(echo.socket());
                try {
                    assertTrue(Clients.sendLog(channel, Clients.request("{\"id\":\"c\"}", List.of("p"), clientKey))
                            .getSuccess());
                } finally {
                    channel.shutdownNow();
                }
                assertEquals(0, echo.awaitExit(30_000), echo.output());
                output += echo.output();
            }
            List<String> keys = server.posts().stream().map(r -> r.apiKey).distinct().collect(Collectors.toList());
            assertEquals(List.of(key, clientKey), keys, "both keys were in use");
        }
        assertFalse(output.contains(key) || output.contains(clientKey), "a key in stdout or stderr:\n" + output);
        List<Path> files = filesUnder(dir);
        assertTrue(files.stream().anyMatch(f -> f.getFileName().toString().equals("agent-failure.log")));
        assertTrue(files.stream().anyMatch(f -> f.getFileName().toString().endsWith(".seg")));
        for (Path file : files) {
            byte[] bytes = Files.readAllBytes(file);
            for (String secret : List.of(key, clientKey)) {
                assertFalse(contains(bytes, secret.getBytes(StandardCharsets.UTF_8)), "the key in " + file);
            }
        }
    }

    @Test
    void aDirectoryThatCannotBeCreatedExitsTwoWithAClearMessage() throws Exception {
        Path file = Files.createFile(dir.resolve("a-file"));
        Path unusable = file.resolve("echopost");
        try (EchoPostProcess echo = EchoPostProcess.in(unusable).start()) {
            assertEquals(2, echo.awaitExit(20_000), echo.output());
            assertTrue(echo.stderr().contains("echopost: cannot use " + unusable + " as EchoPost's directory"),
                    echo.output());
        }
    }

    @Test
    void aSocketPathOver107BytesExitsTwoNamingTheLimitAnd107BytesWork() throws Exception {
        String socketName = "/data-nadhi-agent.sock";
        Path fits = dir.resolve("d".repeat(107 - socketName.length() - dir.toString().length() - 1));
        Path tooLong = dir.resolve("d".repeat(108 - socketName.length() - dir.toString().length() - 1));
        assertEquals(107, fits.resolve("data-nadhi-agent.sock").toString().getBytes(StandardCharsets.UTF_8).length);
        assertEquals(108, tooLong.resolve("data-nadhi-agent.sock").toString().getBytes(StandardCharsets.UTF_8).length);

        try (EchoPostProcess echo = EchoPostProcess.in(tooLong).start()) {
            assertEquals(2, echo.awaitExit(20_000), echo.output());
            Map<String, String> event = echo.eventFields("socket_unusable").get(0);
            assertTrue(event.get("message").contains("is 108 bytes; UNIX sockets allow at most 107"), event.toString());
            assertTrue(echo.sessionLog("events.log").stream().anyMatch(l -> l.contains("socket_unusable")));
        }
        try (EchoPostProcess echo = EchoPostProcess.in(fits).startReady()) {
            echo.sigterm();
            assertEquals(0, echo.awaitExit(20_000), echo.output());
        }
    }

    @Test
    void badFlagsExitTwoWithTheUsage() throws Exception {
        Path home = dir.resolve("home");
        String d = home.toString();
        Map<List<String>, String> cases = Map.ofEntries(
                Map.entry(List.of("-datanadhi", d, "-no-such-flag", "x"), "flag provided but not defined: -no-such-flag"),
                Map.entry(List.of("-datanadhi", d, "-max-disk-mb", "lots"), "invalid value \"lots\" for flag -max-disk-mb"),
                Map.entry(List.of("-datanadhi", d, "-max-disk-mb", "-5"), "invalid value \"-5\" for flag -max-disk-mb"),
                Map.entry(List.of("-datanadhi", d, "-health-url", "ftp://example.com"), "-health-url must be an http://"),
                Map.entry(List.of("-datanadhi", d, "stray"), "unexpected argument \"stray\""),
                Map.entry(List.of("-datanadhi", d, "-timeout", "0"), "invalid value \"0\" for flag -timeout"),
                Map.entry(List.of("-datanadhi", d, "--max-in-flight=5000"), "invalid value \"5000\" for flag -max-in-flight"),
                Map.entry(List.of("-datanadhi", d, "-idle-timeout", "0"), "invalid value \"0\" for flag -idle-timeout"),
                Map.entry(List.of("-datanadhi", d, "--handshake-timeout=301"),
                        "invalid value \"301\" for flag -handshake-timeout: a whole number of seconds from 1 to 300"),
                Map.entry(List.of("-datanadhi", d, "-tls-key-store-type", "PEM"),
                        "invalid value \"PEM\" for flag -tls-key-store-type"),
                Map.entry(List.of("-datanadhi"), "flag needs an argument: -datanadhi"));
        for (Map.Entry<List<String>, String> entry : cases.entrySet()) {
            try (EchoPostProcess echo = EchoPostProcess.in(home).bare().arg(entry.getKey().toArray(new String[0])).start()) {
                assertEquals(2, echo.awaitExit(20_000), entry.getKey() + "\n" + echo.output());
                String stderr = echo.stderr();
                assertTrue(stderr.startsWith("echopost: " + entry.getValue()), entry.getKey() + "\n" + stderr);
                assertTrue(stderr.contains("usage: echopost -datanadhi DIR -health-url URL"), stderr);
                assertEquals("", echo.stdout());
            }
            assertFalse(Files.exists(home), "nothing created on bad usage: " + entry.getKey());
        }
    }

    private static String record(String id) {
        String head = "{\"id\":\"" + id + "\",\"pad\":\"";
        // Stored as {"pipelines":["p"],"log_data":<json>} after 24 bytes of frame header and stored-at time.
        int overhead = 24 + "{\"pipelines\":[\"p\"],\"log_data\":}".length();
        return head + "x".repeat(RECORD_BYTES - overhead - head.length() - 2) + "\"}";
    }

    private static void assertRefusedForTheCap(LogResponse response) {
        assertFalse(response.getSuccess());
        assertTrue(response.getMessage().contains("disk cap is reached (1 MB, -max-disk-mb)"), response.getMessage());
    }

    private static String mode(Path path) throws java.io.IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    private static List<Path> filesUnder(Path root) throws java.io.IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).collect(Collectors.toList());
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
