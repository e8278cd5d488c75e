package io.datanadhi.bench;

import io.datanadhi.bench.DeliveryRig.App;
import io.datanadhi.bench.DeliveryRig.Counter;
import io.datanadhi.bench.DeliveryRig.Dropped;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The outage run: an application JVM with the agent logs {@code records} at a steady rate; the
 * server goes down for {@code outage} seconds in the middle (its port closed, as a crash closes
 * it) and comes back on the same port. The agent sends what it cannot deliver to EchoPost, which
 * keeps it on disk and replays it once the server answers again. Counted at the server, by
 * sequence number: delivered, duplicated, lost; and the time from recovery until EchoPost has
 * drained (its last replayed record, and its exit).
 *
 * <pre>java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.OutageBenchmark
 *      [--java JAVA] [--records 100000] [--rate 2500] [--outage 20] [--workers 2]</pre>
 */
public final class OutageBenchmark {

    public static void main(String[] args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path agent = Path.of("agent/target/datanadhi-agent.jar");
        int records = 100_000;
        int rate = 2_500;
        int outage = 20;
        int workers = 2;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--java": java = args[i + 1]; break;
                case "--agent": agent = Path.of(args[i + 1]); break;
                case "--records": records = Integer.parseInt(args[i + 1]); break;
                case "--rate": rate = Integer.parseInt(args[i + 1]); break;
                case "--outage": outage = Integer.parseInt(args[i + 1]); break;
                case "--workers": workers = Integer.parseInt(args[i + 1]); break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        double loggingSeconds = records / (double) rate;
        if (outage >= loggingSeconds) {
            throw new IllegalArgumentException("the outage must fit inside the " + loggingSeconds + " s of logging");
        }
        System.out.printf("Outage benchmark: %d cores, %s, %,d records at %,d/s (%.0f s), server down for %d s in the"
                + " middle, %d workers%n", Runtime.getRuntime().availableProcessors(), java, records, rate,
                loggingSeconds, outage, workers);

        Path dir = DeliveryRig.dataNadhiDir("bench-outage");
        Path echoPostDir = dir.resolve("echopost");
        Counter counter = new Counter();
        AcceptingHttpServer server = AcceptingHttpServer.serving(0, counter);
        int port = server.port();
        App app = new App(java, agent, DeliveryRig.appClassPath(),
                Map.of("DATANADHI_DIR", dir.toString(),
                        "DATANADHI_SERVER_HOST", "http://127.0.0.1:" + port,
                        "DATANADHI_API_KEY", DeliveryRig.API_KEY,
                        "DATANADHI_WORKERS", Integer.toString(workers)),
                List.of(Integer.toString(rate), "3600", Integer.toString(records), "stay"), dir.resolve("logs"));
        long downAt = app.startNanos + (long) ((loggingSeconds - outage) / 2 * 1e9);
        DeliveryRig.sleepUntil(downAt);
        long beforeOutage = counter.distinct();
        server.close();
        long down = System.nanoTime();
        DeliveryRig.sleepUntil(down + TimeUnit.SECONDS.toNanos(outage));
        long duringOutage = counter.distinct() - beforeOutage; // requests already past the server's read
        server = AcceptingHttpServer.serving(port, counter);
        long up = System.nanoTime();
        long fromEchoPostAtRecovery = counter.fromEchoPost.get();

        // Until every record has arrived (or been written to dropped/), and EchoPost has exited.
        long deadline = up + TimeUnit.SECONDS.toNanos(300);
        long echoPostSeen = 0;
        long echoPostGone = 0;
        while (System.nanoTime() < deadline) {
            boolean echoPostRunning = !DeliveryRig.echoPosts(echoPostDir).isEmpty();
            if (echoPostRunning) {
                echoPostSeen = System.nanoTime();
                echoPostGone = 0;
            } else if (echoPostSeen != 0 && echoPostGone == 0) {
                echoPostGone = System.nanoTime();
            }
            boolean logged = Files.readString(app.stdout).startsWith("logged ");
            if (logged && counter.distinct() >= records && !echoPostRunning) {
                break;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        app.process.getOutputStream().close(); // the app may exit now
        int exit = app.awaitExit(60);
        server.close();
        long leftRunning = DeliveryRig.killEchoPosts(echoPostDir);

        long logged = app.logged();
        Dropped dropped = Dropped.scan(dir);
        List<Long> missing = counter.missing(logged, dropped.sequences);
        long replayed = counter.fromEchoPost.get();
        double drainSeconds = counter.lastEchoPostNanos > up ? (counter.lastEchoPostNanos - up) / 1e9 : Double.NaN;
        double exitSeconds = echoPostGone > up ? (echoPostGone - up) / 1e9 : Double.NaN;

        System.out.println();
        System.out.println("| " + java + " | records |");
        System.out.println("|---|---:|");
        row("logged by the app (exit code " + exit + ")", String.format("%,d in %.1f s", logged, app.loggingSeconds()));
        row("delivered, distinct", String.format("**%,d**", counter.distinct()));
        row("of which replayed by EchoPost", String.format("%,d", replayed));
        row("duplicated", String.format("**%,d**", counter.duplicates()));
        row("written to dropped/", dropped.toString());
        row("lost", String.format("**%,d**", missing.size()));
        row("time from recovery to EchoPost's last replayed record", Double.isNaN(drainSeconds) ? "–"
                : String.format("**%.1f s** (%,.0f records/s, %.1f × the app's rate)", drainSeconds,
                        (replayed - fromEchoPostAtRecovery) / drainSeconds,
                        (replayed - fromEchoPostAtRecovery) / drainSeconds / rate));
        row("time from recovery to EchoPost's exit", Double.isNaN(exitSeconds) ? "–"
                : String.format("%.1f s", exitSeconds));
        System.out.println();
        List<String> notes = new ArrayList<>();
        notes.add(String.format("%,d delivered before the outage, %,d during it (requests already read when the port"
                + " closed), %,d replayed before recovery", beforeOutage, duringOutage, fromEchoPostAtRecovery));
        List<String> warnings = RunInfo.agentWarnings(app.stderr);
        if (!warnings.isEmpty()) {
            notes.add("the agent said: " + String.join("; ", warnings));
        }
        if (leftRunning > 0) {
            notes.add("EchoPost was still running after 300 s: killed");
        }
        if (!missing.isEmpty()) {
            notes.add("first missing: " + missing.subList(0, Math.min(20, missing.size())) + "; kept for a look: " + dir);
        } else if (leftRunning == 0) {
            DeliveryRig.deleteTree(dir);
        }
        for (String note : notes) {
            System.out.println("- " + note);
        }
        System.exit(missing.isEmpty() ? 0 : 1);
    }

    private static void row(String name, String value) {
        System.out.println("| " + name + " | " + value + " |");
    }
}
