package io.datanadhi.echopost;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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

    private static final JsonFactory JSON = new JsonFactory();
    private static final java.util.Set<String> PROXY_VARIABLES = java.util.Set.of("http_proxy", "https_proxy", "no_proxy",
            "all_proxy");

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
        private final List<String> jvmArgs = new ArrayList<>();
        private String healthUrl = "http://127.0.0.1:9";
        private boolean bare;

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

        Builder jvmArg(String... more) {
            jvmArgs.addAll(List.of(more));
            return this;
        }

        /**
         * The JVM flags the agent runs EchoPost with (agent's {@code EchoPostJvm.FLAGS}, copied: this
         * module cannot see the agent's): a 24 MB heap and 64 MB of direct memory, where limits bite.
         */
        Builder agentJvm() {
            return jvmArg("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xms8m", "-Xmx24m",
                    "-XX:MaxDirectMemorySize=64m", "-XX:MaxMetaspaceSize=48m", "-XX:-UsePerfData",
                    "-XX:+ExitOnOutOfMemoryError", "-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=1",
                    "-Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=1");
        }

        /** Only the arguments given with {@link #arg}: no {@code -datanadhi} or {@code -health-url} added. */
        Builder bare() {
            this.bare = true;
            return this;
        }

        EchoPostProcess start() throws IOException {
            List<String> command = new ArrayList<>(List.of(java(), "-Xmx64m"));
            command.addAll(jvmArgs);
            command.addAll(List.of("-jar", jar().toString()));
            if (!bare) {
                command.addAll(List.of("-datanadhi", dir.toString(), "-health-url", healthUrl));
            }
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command);
            // Nor the proxies of whoever runs the tests: replay honours them, and the servers are local.
            builder.environment().keySet().removeIf(k -> k.startsWith("DATANADHI_") || k.equals("JAVA_TOOL_OPTIONS")
                    || PROXY_VARIABLES.contains(k.toLowerCase(java.util.Locale.ROOT)));
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

    /** The fields of each {@code name} event. */
    List<Map<String, String>> eventFields(String name) throws IOException {
        return events(name).stream().map(EchoPostProcess::fields).collect(Collectors.toList());
    }

    /** This run's {@code session-*} directory, as its {@code started} event names it. */
    Path session() throws IOException {
        List<Map<String, String>> started = eventFields("started");
        assertTrue(!started.isEmpty(), "no started event\n" + output());
        return Path.of(started.get(0).get("session"));
    }

    /** The lines of a file in this run's session directory (agent-failure.log, events.log, ...). */
    List<String> sessionLog(String name) throws IOException {
        Path file = session().resolve(name);
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }

    /** The top-level fields of one JSON line, every value as its text (numbers too; nested values as JSON). */
    static Map<String, String> fields(String line) {
        Map<String, String> fields = new LinkedHashMap<>();
        try (JsonParser parser = JSON.createParser(line)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new AssertionError("not a JSON object: " + line);
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.getCurrentName();
                JsonToken value = parser.nextToken();
                if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                    long start = parser.getTokenLocation().getCharOffset();
                    parser.skipChildren();
                    long end = parser.getCurrentLocation().getCharOffset();
                    fields.put(name, line.substring((int) start, (int) end));
                } else {
                    fields.put(name, value == JsonToken.VALUE_NULL ? null : parser.getText());
                }
            }
        } catch (IOException e) {
            throw new AssertionError("not valid JSON: " + line, e);
        }
        return fields;
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
