package io.datanadhi.echopost;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** A real EchoPost process started from the packaged {@code echopost.jar}. */
final class EchoPostProcess implements AutoCloseable {

    static Path jar() {
        Path jar = Path.of(System.getProperty("echopost.jar", "target/echopost.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "echopost.jar not built: " + jar);
        return jar;
    }

    static String java() {
        return System.getProperty("it.java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private final Process process;
    private final Path stdout;
    private final Path stderr;
    final Path dir;

    private EchoPostProcess(Process process, Path stdout, Path stderr, Path dir) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.dir = dir;
    }

    static Builder in(Path dir) {
        return new Builder(dir);
    }

    static final class Builder {
        private final Path dir;
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private String healthUrl = "http://127.0.0.1:9";

        Builder(Path dir) {
            this.dir = dir;
        }

        Builder healthUrl(String url) {
            this.healthUrl = url;
            return this;
        }

        Builder arg(String... more) {
            args.addAll(List.of(more));
            return this;
        }

        Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        EchoPostProcess start() throws IOException {
            List<String> command = new ArrayList<>(List.of(java(), "-Xmx64m", "-jar", jar().toString(),
                    "-datanadhi", dir.toString(), "-health-url", healthUrl));
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().keySet().removeIf(k -> k.startsWith("DATANADHI_") || k.equals("JAVA_TOOL_OPTIONS"));
            builder.environment().putAll(env);
            Path out = Files.createTempFile("echopost-out", ".txt");
            Path err = Files.createTempFile("echopost-err", ".txt");
            builder.redirectOutput(out.toFile()).redirectError(err.toFile());
            return new EchoPostProcess(builder.start(), out, err, dir);
        }

        /** Starts and waits until the socket accepts a connection. */
        EchoPostProcess startReady() throws Exception {
            EchoPostProcess process = start();
            process.awaitSocket(20_000);
            return process;
        }
    }

    Path socket() {
        return dir.resolve("data-nadhi-agent.sock");
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    void awaitSocket(long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("EchoPost exited with " + process.exitValue() + " before listening\n" + output());
            }
            if (Files.exists(socket()) && events().stream().anyMatch(l -> l.contains("\"event\":\"accepting\""))) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("EchoPost did not listen within " + timeoutMillis + " ms\n" + output());
    }

    int awaitExit(long timeoutMillis) throws Exception {
        if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            String output = output();
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("EchoPost did not exit within " + timeoutMillis + " ms\n" + output);
        }
        return process.exitValue();
    }

    void kill9() throws Exception {
        new ProcessBuilder("kill", "-9", Long.toString(process.pid())).start().waitFor(10, TimeUnit.SECONDS);
        process.waitFor(10, TimeUnit.SECONDS);
    }

    void sigterm() {
        process.toHandle().destroy();
    }

    /** The activity log as printed on stdout. */
    List<String> events() throws IOException {
        return Files.readAllLines(stdout, StandardCharsets.UTF_8).stream().filter(l -> l.startsWith("{"))
                .collect(Collectors.toList());
    }

    List<String> events(String name) throws IOException {
        return events().stream().filter(l -> l.contains("\"event\":\"" + name + "\"")).collect(Collectors.toList());
    }

    String stdout() throws IOException {
        return Files.readString(stdout);
    }

    String stderr() throws IOException {
        return Files.readString(stderr);
    }

    String output() throws IOException {
        return "--- stdout\n" + stdout() + "--- stderr\n" + stderr();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(stdout);
        Files.deleteIfExists(stderr);
    }
}
