package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.tools.attach.VirtualMachine;
import io.datanadhi.it.IngestServer.Received;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent attached to a running JVM through the Attach API (its Agent-Class): the framework's
 * classes are already loaded and are retransformed; every event logged after the attach arrives
 * once; a second attach changes nothing.
 */
class LateAttachTest {

    @TempDir
    Path dir;

    @Test
    void eventsLoggedAfterAnAttachArriveOnceAndASecondAttachChangesNothing() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        Path stop = dir.resolve("stop");
        try (IngestServer server = new IngestServer()) {
            AppRun.Running app = AppRun.logback("attach", stop.toString()).withoutAgent().shippingTo(server, dir).start();
            waitFor(() -> stdout(app).contains("app: ready"), "the app to start");
            Thread.sleep(200); // a few ticks before the agent, which must not arrive

            attach(app.pid());
            waitFor(() -> ticks(server).size() >= 10, "ticks logged after the attach to arrive");
            attach(app.pid());
            int seen = ticks(server).size();
            waitFor(() -> ticks(server).size() >= seen + 20, "ticks logged after the second attach");
            Files.createFile(stop);
            AppRun.Result run = app.await();
            assertEquals(0, run.exitCode, run.toString());

            int total = Integer.parseInt(run.appLines().stream().filter(l -> l.startsWith("app: ticks="))
                    .findFirst().orElseThrow().substring("app: ticks=".length()));
            List<Integer> ticks = ticks(server);
            assertEquals(ticks.size(), new TreeSet<>(ticks).size(), "no tick twice: " + ticks);
            int first = ticks.stream().min(Integer::compare).orElseThrow();
            assertTrue(first > 0, "ticks from before the attach are not captured");
            assertEquals(total - first, ticks.size(), "every tick after the first captured one: " + ticks);
            Received last = JulCaptureTest.only(server.records(r -> r.message().equals("stopped after " + total + " ticks")));
            JsonNode record = last.logData().get("log_record");
            assertEquals("logback", record.get("framework").asText());
            assertEquals("io.datanadhi.it.apps.LogbackApp", record.get("class_name").asText());
            assertEquals("attach", record.get("function_name").asText());

            List<String> again = run.agentLines().stream().filter(l -> l.contains("\"agent_already_running\""))
                    .collect(Collectors.toList());
            assertEquals(1, again.size(), run.toString());
        }
    }

    private static void attach(long pid) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(String.valueOf(pid));
        try {
            vm.loadAgent(Env.agentJar().toString());
        } finally {
            vm.detach();
        }
    }

    private static List<Integer> ticks(IngestServer server) {
        return server.records(r -> r.message().startsWith("tick ")).stream()
                .map(r -> Integer.parseInt(r.message().substring("tick ".length()))).collect(Collectors.toList());
    }

    private static String stdout(AppRun.Running app) {
        try {
            return app.stdoutSoFar();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(20);
        }
    }
}
