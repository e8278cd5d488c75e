package io.datanadhi.echopost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.proto.LogRequest;
import io.datanadhi.proto.LogResponse;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kill -9 oracle: clients ingest concurrently, EchoPost is killed with SIGKILL at a random
 * moment (50..1500 ms after the first acknowledgment), restarted on the same directory with the server up, and must deliver every record it
 * acknowledged. Records in flight at the kill may or may not arrive; nothing may arrive that was
 * never sent, and what was replayed before the kill may arrive twice (reported as duplicates).
 *
 * <p>Reproduce a run with {@code -Dkillnine.seed=<seed>} (printed first); {@code -Dkillnine.runs=N}.
 */
class KillNineIT {

    static final int RUNS = Integer.getInteger("killnine.runs", 12);
    static final int CLIENT_THREADS = 3;
    static final String PIPELINE = "kill9";

    @TempDir
    Path dir;

    @Test
    void acknowledgedRecordsSurviveKillDashNine() throws Exception {
        long seed = Long.getLong("killnine.seed", System.nanoTime());
        System.out.println("kill-9 oracle: seed " + seed + " (repeat with -Dkillnine.seed=" + seed + ")");
        Random random = new Random(seed);
        Totals totals = new Totals();
        long started = System.nanoTime();
        for (int run = 0; run < RUNS; run++) {
            long runSeed = random.nextLong();
            // Odd runs bring the server up during the ingest, so that the kill lands while replay
            // is sending: what was delivered but not yet checkpointed is sent again after the restart.
            boolean replayingWhenKilled = run % 2 == 1;
            Run result = run(run, new Random(runSeed), replayingWhenKilled);
            System.out.println("kill-9 run " + run + " (seed " + runSeed + "): " + result);
            totals.add(result);
        }
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        String summary = "kill-9 oracle: " + RUNS + " runs, " + totals.acknowledged + " acknowledged, "
                + totals.delivered + " delivered, " + totals.duplicates + " duplicates (" + totals.inFlightDelivered
                + " delivered that were in flight at the kill, " + totals.tornTails + " torn tails cut; seed " + seed
                + ", " + seconds + " s, " + EchoPostProcess.java() + ")";
        System.out.println(summary);
        Path report = EchoPostProcess.jar().getParent().resolve("kill9-oracle.txt");
        Files.writeString(report, Instant.now() + " " + summary + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        assertTrue(totals.acknowledged > 0);
    }

    private Run run(int run, Random random, boolean replayingWhenKilled) throws Exception {
        Path runDir = dir.resolve("run" + run);
        long killAfterMillis = 50 + random.nextInt(1451);
        long serverUpAfterMillis = replayingWhenKilled ? random.nextInt((int) killAfterMillis + 1) : -1;
        Ingest ingest;
        try (ReplayServer server = ReplayServer.down()) {
            try (EchoPostProcess echo = EchoPostProcess.in(runDir).healthUrl(server.url()).startReady()) {
                ingest = new Ingest(echo.socket(), run, random.nextLong());
                ingest.start();
                // The delays count from the first acknowledgment: the first calls of a run are slow
                // (connections, class loading), and a kill before any acknowledgment proves little.
                ingest.awaitFirstAcknowledgment(20_000);
                if (serverUpAfterMillis >= 0) {
                    Thread.sleep(serverUpAfterMillis);
                    server.start();
                    Thread.sleep(killAfterMillis - serverUpAfterMillis);
                } else {
                    Thread.sleep(killAfterMillis);
                }
                ingest.killing = true;
                assertTrue(echo.alive(), "EchoPost still running at the kill\n" + echo.output());
                echo.kill9();
                assertFalse(echo.alive());
                ingest.stopAndJoin();
            }
            assertEquals(List.of(), ingest.unexpected, "run " + run + ": calls that failed before the kill");
            int deliveredBeforeKill = settledCount(server);

            server.start();
            int tornTails;
            try (EchoPostProcess echo = EchoPostProcess.in(runDir).healthUrl(server.url()).start()) {
                assertEquals(0, echo.awaitExit(60_000), "run " + run + ": restart drains and exits 0\n" + echo.output());
                assertEquals(List.of(), echo.events("corrupt_segment"), "run " + run + ": kill -9 damages no older segment");
                tornTails = echo.events("torn_tail_truncated").size();
            }
            assertFalse(Files.exists(runDir.resolve("store")), "run " + run + ": store removed once drained");
            assertFalse(Files.exists(runDir.resolve("data-nadhi-agent.sock")));

            List<ReplayServer.Received> accepted = server.accepted();
            List<String> received = new ArrayList<>();
            for (ReplayServer.Received r : accepted) {
                String id = ReplayServer.id(r.body);
                String json = ingest.sent.get(id);
                assertTrue(json != null, "run " + run + ": delivered a record never sent: " + r.body);
                assertEquals("{\"pipelines\":[\"" + PIPELINE + "\"],\"log_data\":" + json + "}", r.body);
                received.add(id);
            }
            Set<String> distinct = new HashSet<>(received);
            Set<String> lost = new TreeSet<>(ingest.acknowledged);
            lost.removeAll(distinct);
            assertTrue(lost.isEmpty(), "run " + run + ": " + lost.size() + " acknowledged record(s) never delivered,"
                    + " e.g. " + lost.stream().limit(10).collect(Collectors.toList()));
            assertInArrivalOrder(run, received.subList(0, deliveredBeforeKill));
            assertInArrivalOrder(run, received.subList(deliveredBeforeKill, received.size()));

            Set<String> inFlight = new HashSet<>(distinct);
            inFlight.removeAll(ingest.acknowledged);
            return new Run(killAfterMillis, serverUpAfterMillis, ingest.acknowledged.size(), distinct.size(),
                    received.size() - distinct.size(), inFlight.size(), deliveredBeforeKill, tornTails);
        }
    }

    /**
     * What the server took from the killed EchoPost: requests of its pipelined window that the
     * server had read are still being handled after the kill, so the count is read once it stops
     * moving (300 ms without a change, at most 5 s). Counted too early, they would look like the
     * restarted EchoPost's and out of order.
     */
    private static int settledCount(ReplayServer server) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        int count = server.accepted().size();
        while (System.nanoTime() < deadline) {
            Thread.sleep(300);
            int now = server.accepted().size();
            if (now == count) {
                break;
            }
            count = now;
        }
        return count;
    }

    /** Each client thread waits for an answer before its next call: its records are stored in its order. */
    private static void assertInArrivalOrder(int run, List<String> ids) {
        Map<String, Integer> lastByThread = new HashMap<>();
        for (String id : ids) {
            int dash = id.lastIndexOf('-');
            String thread = id.substring(0, dash);
            int n = Integer.parseInt(id.substring(dash + 1));
            Integer last = lastByThread.put(thread, n);
            assertTrue(last == null || n > last, "run " + run + ": " + id + " replayed after " + thread + "-" + last);
        }
    }

    /** Client threads sending a mix of SendBatch (1..150 records) and SendLog, SDK-style or on a shared channel. */
    private static final class Ingest {
        final Map<String, String> sent = new ConcurrentHashMap<>();
        final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        final List<String> unexpected = new CopyOnWriteArrayList<>();
        volatile boolean killing;
        private final List<Thread> threads = new ArrayList<>();

        Ingest(Path socket, int run, long seed) {
            Random seeds = new Random(seed);
            for (int t = 0; t < CLIENT_THREADS; t++) {
                String prefix = "run" + run + "-t" + t + "-";
                Random random = new Random(seeds.nextLong());
                threads.add(new Thread(() -> send(socket, prefix, random), "ingest-" + prefix));
            }
        }

        void start() {
            threads.forEach(Thread::start);
        }

        void awaitFirstAcknowledgment(long timeoutMillis) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeoutMillis;
            while (acknowledged.isEmpty()) {
                assertTrue(unexpected.isEmpty(), unexpected.toString());
                assertTrue(System.currentTimeMillis() < deadline, "no call acknowledged within " + timeoutMillis + " ms");
                Thread.sleep(5);
            }
        }

        void stopAndJoin() throws InterruptedException {
            killing = true;
            for (Thread thread : threads) {
                thread.join(20_000);
                assertFalse(thread.isAlive(), thread.getName() + " did not stop");
            }
        }

        private void send(Path socket, String prefix, Random random) {
            ManagedChannel channel = Clients.channel(socket);
            try {
                int n = 0;
                while (!killing) {
                    int choice = random.nextInt(100);
                    int count = choice < 50 ? 1 + random.nextInt(150) : 1;
                    List<LogRequest> requests = new ArrayList<>(count);
                    List<String> ids = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        String id = prefix + n++;
                        String json = "{\"id\":\"" + id + "\",\"pad\":\"" + "x".repeat(random.nextInt(400)) + "\"}";
                        sent.put(id, json);
                        ids.add(id);
                        requests.add(Clients.request(json, List.of(PIPELINE), "kill9-key"));
                    }
                    LogResponse response;
                    try {
                        if (choice < 50) {
                            response = Clients.sendBatch(channel, requests);
                        } else if (choice < 85) {
                            response = Clients.sendLog(channel, requests.get(0));
                        } else {
                            response = Clients.sendLogLikeTheSdk(socket, requests.get(0).getJsonData(),
                                    List.of(PIPELINE), "kill9-key");
                        }
                    } catch (RuntimeException e) {
                        if (!killing) {
                            unexpected.add(prefix + ": " + e);
                        }
                        return;
                    }
                    if (response.getSuccess()) {
                        acknowledged.addAll(ids);
                    } else if (!killing) {
                        unexpected.add(prefix + ": refused: " + response.getMessage());
                        return;
                    }
                }
            } finally {
                channel.shutdownNow();
            }
        }
    }

    private static final class Run {
        final long killAfterMillis;
        final long serverUpAfterMillis;
        final int acknowledged;
        final int delivered;
        final int duplicates;
        final int inFlightDelivered;
        final int deliveredBeforeKill;
        final int tornTails;

        Run(long killAfterMillis, long serverUpAfterMillis, int acknowledged, int delivered, int duplicates,
                int inFlightDelivered, int deliveredBeforeKill, int tornTails) {
            this.killAfterMillis = killAfterMillis;
            this.serverUpAfterMillis = serverUpAfterMillis;
            this.acknowledged = acknowledged;
            this.delivered = delivered;
            this.duplicates = duplicates;
            this.inFlightDelivered = inFlightDelivered;
            this.deliveredBeforeKill = deliveredBeforeKill;
            this.tornTails = tornTails;
        }

        @Override
        public String toString() {
            return "killed " + killAfterMillis + " ms after the first acknowledgment"
                    + (serverUpAfterMillis >= 0 ? " (server up after " + serverUpAfterMillis + " ms, "
                            + deliveredBeforeKill + " delivered before the kill)" : " (server down)")
                    + ", " + acknowledged + " acknowledged, " + delivered + " delivered, " + duplicates
                    + " duplicates, " + inFlightDelivered + " in flight and delivered, " + tornTails + " torn tails";
        }
    }

    private static final class Totals {
        long acknowledged;
        long delivered;
        long duplicates;
        long inFlightDelivered;
        long tornTails;

        void add(Run run) {
            acknowledged += run.acknowledged;
            delivered += run.delivered;
            duplicates += run.duplicates;
            inFlightDelivered += run.inFlightDelivered;
            tornTails += run.tornTails;
        }
    }
}
