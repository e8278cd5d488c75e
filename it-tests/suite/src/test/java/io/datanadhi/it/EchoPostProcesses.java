package io.datanadhi.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The EchoPost processes an agent started for one data-nadhi directory, found by their command
 * line ({@code -datanadhi <dir>/echopost}). They outlive the application by design, so every test
 * that may start one kills what is left in its clean-up.
 */
final class EchoPostProcesses {

    private final Path echoDir;

    EchoPostProcesses(Path dataNadhiDir) {
        this.echoDir = dataNadhiDir.resolve("echopost").toAbsolutePath();
    }

    Path socket() {
        return echoDir.resolve("data-nadhi-agent.sock");
    }

    /** The live processes serving this directory. */
    List<ProcessHandle> running() {
        String marker = "-datanadhi\0" + echoDir + "\0";
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> commandLine(p.pid()).contains(marker))
                .collect(Collectors.toList());
    }

    /** Waits (bounded) until one is running, and returns it. */
    ProcessHandle awaitOne(long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            List<ProcessHandle> now = running();
            if (!now.isEmpty()) {
                return now.get(0);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no EchoPost process for " + echoDir + " within " + timeoutMillis + " ms");
    }

    /** Waits (bounded) until none is running; true if so. */
    boolean awaitNone(long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            if (running().isEmpty()) {
                return true;
            }
            Thread.sleep(50);
        }
        return running().isEmpty();
    }

    /** Every session's events.log, for a failure message. */
    String eventsLogs() {
        StringBuilder all = new StringBuilder();
        try (java.util.stream.Stream<Path> files = Files.walk(echoDir, 2)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.endsWith("events.log")).sorted()::iterator) {
                all.append("--- ").append(file).append('\n').append(Files.readString(file, StandardCharsets.UTF_8));
            }
        } catch (IOException | RuntimeException e) {
            all.append("(no EchoPost events: ").append(e).append(')');
        }
        return all.toString();
    }

    /** kill -9 of every one of them; waits for them to be gone. */
    void killAll() throws InterruptedException {
        List<ProcessHandle> all = new ArrayList<>(running());
        for (ProcessHandle process : all) {
            process.destroyForcibly();
        }
        for (ProcessHandle process : all) {
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // reported by the caller's own checks
            }
        }
    }

    /** {@code ps -o args=} of a process: what anyone on the machine can read. */
    static String psArgs(long pid) throws IOException, InterruptedException {
        Process ps = new ProcessBuilder("ps", "-ww", "-o", "args=", "-p", Long.toString(pid)).redirectErrorStream(true).start();
        String out = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!ps.waitFor(10, TimeUnit.SECONDS)) {
            ps.destroyForcibly();
        }
        return out.trim();
    }

    /** NUL-separated, with a trailing NUL; empty when the process is gone or not ours. */
    private static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
