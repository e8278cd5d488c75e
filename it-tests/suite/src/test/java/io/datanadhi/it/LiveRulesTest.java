package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rule files added, changed, broken, fixed and removed while a real application logs: events
 * logged after each {@code rules_reloaded} diagnostic are routed by the new rules, none is lost or
 * judged twice, and under eight threads logging at full speed each event is judged by one whole
 * rule set.
 */
class LiveRulesTest {

    private static final Pattern TIME = Pattern.compile("\"time\":\"([^\"]+)\"");
    private static final Pattern LIVE = Pattern.compile("live t=(\\d+) n=(\\d+)");
    private static final Pattern LOGGED = Pattern.compile("app: live (\\d+) logged (\\d+)");
    /** The time between two looks at the rules in the stress test (500 ms by default). */
    private static final String QUICK_LOOKS = "-Ddatanadhi.internal.rules_look_millis=10";

    @TempDir
    Path dir;

    @Test
    void eachStepOfAnEditIsInEffectOnceItIsReported() throws Exception {
        TestRules.write(dir, "base.yml", ships("base", "base"));
        Path stop = dir.resolve("stop");
        try (IngestServer server = new IngestServer()) {
            AppRun.Running app = AppRun.jul("live", "1", "1", "2000", stop.toString()).shippingTo(server, dir).start();
            List<Step> steps = new ArrayList<>();
            awaitStarted(app);
            steps.add(new Step(Instant.EPOCH, List.of("base")));
            steps.add(change(app, 1, () -> replace("a.yml", ships("a", "a1")), List.of("base", "a1")));
            steps.add(change(app, 2, () -> replace("a.yml", ships("a", "a2")), List.of("base", "a2")));
            steps.add(change(app, 3, () -> replace("a.yml", "- name: [broken\n"), List.of("base")));
            steps.add(change(app, 4, () -> replace("a.yml", ships("a", "a3")), List.of("base", "a3")));
            steps.add(change(app, 5, () -> Files.delete(dir.resolve("rules/a.yml")), List.of("base")));
            Thread.sleep(300);
            Files.createFile(stop);
            AppRun.Result run = app.await();
            assertEquals(0, run.exitCode, run.toString());

            List<String> reloads = run.agentEvents("rules_reloaded");
            assertEquals(5, reloads.size(), run.toString());
            assertTrue(reloads.get(0).contains("\"added\":1") && reloads.get(0).contains("\"rules\":2"), reloads.get(0));
            assertTrue(reloads.get(1).contains("\"changed\":1"), reloads.get(1));
            assertTrue(reloads.get(2).contains("\"removed\":1") && reloads.get(2).contains("\"skipped\":1"), reloads.get(2));
            assertEquals(1, run.agentEvents("rules_file_invalid").size(), run.toString());
            assertTrue(reloads.get(3).contains("\"added\":1"), reloads.get(3));
            assertTrue(reloads.get(4).contains("\"removed\":1") && reloads.get(4).contains("\"rules\":1"), reloads.get(4));

            int logged = logged(run).get(0);
            Map<Integer, IngestServer.Received> routes = routes(server, logged);
            assertEquals(logged, routes.size(), "every event shipped once (base ships them all)");
            for (Map.Entry<Integer, IngestServer.Received> route : routes.entrySet()) {
                // After a step's diagnostic, only that step's rules; before it, the previous step's too.
                Instant at = timeOf(route.getValue());
                int step = 0;
                while (step + 1 < steps.size() && steps.get(step + 1).reported.isBefore(at)) {
                    step++;
                }
                List<String> pipelines = new ArrayList<>(route.getValue().pipelines());
                pipelines.sort(null); // a.yml's rules come before base.yml's
                boolean current = pipelines.equals(steps.get(step).pipelines);
                boolean next = step + 1 < steps.size() && pipelines.equals(steps.get(step + 1).pipelines);
                assertTrue(current || next, "event n=" + route.getKey() + " at " + at + " went to " + pipelines
                        + "; the rules then: " + steps.get(step).pipelines);
            }
            String resolved = Files.readString(dir.resolve(".rules.resolved.json"));
            assertTrue(resolved.contains("\"base\"") && !resolved.contains("a3"), "rewritten at each reload: " + resolved);
        }
    }

    @Test
    void anAgentStartedWithoutRulesStartsWhenTheFirstAppearsAndStopsWhenItGoes() throws Exception {
        Files.createDirectories(dir.resolve("rules"));
        Path stop = dir.resolve("stop");
        try (IngestServer server = new IngestServer()) {
            AppRun.Running app = AppRun.jul("live", "1", "1", "2000", stop.toString()).shippingTo(server, dir).start();
            awaitEvent(app, "agent_idle", 1);
            Thread.sleep(300);
            Step on = change(app, 1, () -> replace("a.yml", ships("a", "appeared")), List.of("appeared"));
            Thread.sleep(500);
            Step off = change(app, 2, () -> Files.delete(dir.resolve("rules/a.yml")), List.of());
            Thread.sleep(300);
            Files.createFile(stop);
            AppRun.Result run = app.await();
            assertEquals(0, run.exitCode, run.toString());
            List<String> reloads = run.agentEvents("rules_reloaded");
            assertTrue(reloads.get(0).contains("active now"), reloads.get(0));
            assertTrue(reloads.get(1).contains("idle"), reloads.get(1));

            int logged = logged(run).get(0);
            Map<Integer, IngestServer.Received> routes = routes(server, logged);
            assertTrue(routes.size() > 50, "shipped while the rule was there: " + routes.size());
            int first = Integer.MAX_VALUE;
            int last = -1;
            for (int n : routes.keySet()) {
                Instant at = timeOf(routes.get(n));
                assertTrue(!at.isBefore(on.reported.minusMillis(2_000)) && !at.isAfter(off.reported),
                        "n=" + n + " at " + at + " shipped outside the rule's life " + on.reported + ".." + off.reported);
                first = Math.min(first, n);
                last = Math.max(last, n);
            }
            assertEquals(last - first + 1, routes.size(), "none lost while the rule was there");
        }
    }

    /**
     * Eight threads log at full speed while the rule set is swapped 100 times; set k has two rules
     * shipping to {@code k-a} and {@code k-b}. Every record goes to exactly one set's two.
     */
    @Test
    void underFullSpeedLoggingEachEventIsJudgedByOneWholeSet() throws Exception {
        Path stop = dir.resolve("stop");
        writeSet(0);
        EchoPostProcesses echoPosts = new EchoPostProcesses(dir);
        try (IngestServer server = new IngestServer()) {
            AppRun.Running app = AppRun.jul("live", "8", "5000", "0", stop.toString()).shippingTo(server, dir)
                    .jvm(QUICK_LOOKS).start();
            awaitStarted(app);
            for (int set = 1; set <= 100; set++) {
                int k = set;
                change(app, set, () -> writeSet(k), List.of());
            }
            Files.createFile(stop);
            AppRun.Result run = app.await();
            assertEquals(0, run.exitCode, run.toString());
            assertEquals(100, run.agentEvents("rules_reloaded").size(), run.toString());
            int logged = logged(run).values().stream().mapToInt(Integer::intValue).sum();
            // On a busy machine the server may answer too slowly for a moment: EchoPost then takes
            // records and replays them once the application is gone. Waited for (bounded).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (server.records().size() + droppedLines() < logged && System.nanoTime() - deadline < 0) {
                Thread.sleep(100);
            }

            Map<String, Integer> perPipeline = new TreeMap<>();
            int records = 0;
            for (IngestServer.Received received : server.records()) {
                List<String> pipelines = received.pipelines();
                assertEquals(2, pipelines.size(), received.message() + " " + pipelines);
                String set = pipelines.get(0).replace("-a", "");
                assertEquals(List.of(set + "-a", set + "-b"), pipelines, "judged by two sets at once");
                pipelines.forEach(p -> perPipeline.merge(p, 1, Integer::sum));
                records++;
            }
            // Else this run proves little: records judged while the sets came and went.
            assertTrue(records > 500 && perPipeline.size() / 2 >= 30, records + " record(s): " + perPipeline);
            for (int set = 0; set <= 100; set++) {
                assertEquals(perPipeline.get(set + "-a"), perPipeline.get(set + "-b"), "set " + set + ": " + perPipeline);
            }
            // None lost. At exit a record still in flight is written to dropped/ as unsent even if
            // the server then receives it (at least once): a few may be counted twice.
            String summary = run.toString();
            long accounted = records + droppedLines();
            String found = records + " received, " + droppedLines() + " in dropped/, " + logged + " logged\n"
                    + summary.substring(Math.max(0, summary.length() - 6000)) + "\n" + echoPosts.eventsLogs();
            assertTrue(accounted >= logged, "each event shipped (directly or replayed by EchoPost) or in dropped/: " + found);
            assertTrue(accounted - logged <= 2 * 64, "only what was in flight at exit counted twice: " + found);
        } finally {
            echoPosts.killAll();
        }
    }

    // ---- Helpers.

    private static final class Step {
        final Instant reported;
        final List<String> pipelines;

        Step(Instant reported, List<String> pipelines) {
            this.reported = reported;
            this.pipelines = new ArrayList<>(pipelines);
            this.pipelines.sort(null);
        }
    }

    private interface FileChange {
        void apply() throws IOException;
    }

    /** Applies the change and waits (bounded) for the agent's {@code count}th {@code rules_reloaded}. */
    private Step change(AppRun.Running app, int count, FileChange change, List<String> pipelines) throws Exception {
        change.apply();
        String line = awaitEvent(app, "rules_reloaded", count);
        Matcher time = TIME.matcher(line);
        assertTrue(time.find(), line);
        return new Step(Instant.parse(time.group(1)), pipelines);
    }

    private static void awaitStarted(AppRun.Running app) throws Exception {
        awaitEvent(app, "agent_started", 1);
    }

    /** The {@code count}th line of the agent's {@code event}, waiting at most 20 s for it. */
    private static String awaitEvent(AppRun.Running app, String event, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            List<String> lines = new ArrayList<>();
            for (String line : app.stderrSoFar().split("\n")) {
                if (line.contains("\"event\":\"" + event + "\"")) {
                    lines.add(line);
                }
            }
            if (lines.size() >= count) {
                return lines.get(count - 1);
            }
            if (System.nanoTime() > deadline || !app.isAlive()) {
                throw new AssertionError("no " + count + "th " + event + " within 20 s:\n" + app.stderrSoFar());
            }
            Thread.sleep(5);
        }
    }

    /** Writes a rule file whole, by a rename: what an editor or a ConfigMap update does. */
    private void replace(String file, String yaml) throws IOException {
        Path rules = Files.createDirectories(dir.resolve("rules"));
        Path temp = rules.resolve("." + file + ".tmp");
        Files.writeString(temp, yaml);
        Files.move(temp, rules.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void writeSet(int k) throws IOException {
        replace("swap.yml", String.join("\n",
                "- name: half-a",
                "  conditions:",
                "    - {key: log_record.module_name, type: exact, value: com.acme.LiveShipped}",
                "  pipelines: [" + k + "-a]",
                "- name: half-b",
                "  conditions:",
                "    - {key: log_record.module_name, type: exact, value: com.acme.LiveShipped}",
                "  pipelines: [" + k + "-b]",
                ""));
    }

    private static String ships(String name, String pipeline) {
        return String.join("\n",
                "- name: " + name,
                "  conditions:",
                "    - {key: log_record.module_name, type: exact, value: com.acme.LiveShipped}",
                "  pipelines: [" + pipeline + "]",
                "");
    }

    private static Map<Integer, Integer> logged(AppRun.Result run) {
        Map<Integer, Integer> logged = new HashMap<>();
        for (String line : run.appLines()) {
            Matcher m = LOGGED.matcher(line);
            if (m.find()) {
                logged.put(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
            }
        }
        assertTrue(!logged.isEmpty(), run.toString());
        return logged;
    }

    /** Thread 0's events by n; each n received at most once. */
    private static Map<Integer, IngestServer.Received> routes(IngestServer server, int logged) {
        Map<Integer, IngestServer.Received> routes = new TreeMap<>();
        for (IngestServer.Received received : server.records()) {
            Matcher m = LIVE.matcher(received.message());
            assertTrue(m.find(), received.message());
            int n = Integer.parseInt(m.group(2));
            assertTrue(n < logged, "n=" + n + " of " + logged);
            assertEquals(null, routes.put(n, received), "n=" + n + " received twice");
        }
        return routes;
    }

    private static Instant timeOf(IngestServer.Received received) {
        return Instant.parse(received.logData().path("timestamp").asText());
    }

    private long droppedLines() throws IOException {
        Path dropped = dir.resolve("dropped");
        if (!Files.isDirectory(dropped)) {
            return 0;
        }
        long lines = 0;
        try (java.util.stream.Stream<Path> files = Files.list(dropped)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                lines += Files.readAllLines(file).size();
            }
        }
        return lines;
    }
}
