package io.datanadhi.bench;

import io.datanadhi.http.testing.TestServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Data Nadhi test server ({@link TestServer}: any number of requests in flight, each answered
 * after a delay) in a JVM of its own, so that what it costs is not counted as the client's, and
 * the client is not slowed by sharing a heap and a collector with it.
 */
final class ServerJvm implements AutoCloseable {

    final Process process;
    final int port;

    private ServerJvm(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static ServerJvm start(String java, int delayMillis) throws IOException {
        String classPath = benchmarksJar().toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", classPath, TestServer.class.getName(),
                "--delay-ms", Integer.toString(delayMillis)));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("listening ")) {
            process.destroyForcibly();
            throw new IOException("the server JVM did not start: " + line);
        }
        return new ServerJvm(process, Integer.parseInt(line.substring("listening ".length()).trim()));
    }

    static Path benchmarksJar() {
        try {
            return Path.of(ServerJvm.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    long cpuNanos() {
        return DeliveryRig.cpuNanos(process.pid());
    }

    @Override
    public void close() throws InterruptedException {
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // it goes anyway
        }
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
