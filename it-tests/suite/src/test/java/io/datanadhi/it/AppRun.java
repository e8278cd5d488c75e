package io.datanadhi.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Runs a sample application in its own JVM, with or without the agent, and collects its output. */
final class AppRun {

    static final long TIMEOUT_SECONDS = 90;
    private static final List<String> PROXY_VARIABLES = List.of("http_proxy", "https_proxy", "no_proxy", "all_proxy");

    /** What one run produced. */
    static final class Result {
        private static final Pattern RATE_LINE = Pattern.compile(
                "app: logged \\d+ in (\\d+) ms, first call (\\d+) ms, slowest after it (\\d+) ms \\(seq=(\\d+)\\)");

        final int exitCode;
        final String stdout;
        final String stderr;
        final long millis;

        Result(int exitCode, String stdout, String stderr, long millis) {
            this.exitCode = exitCode;
            this.stdout = stdout;
            this.stderr = stderr;
            this.millis = millis;
        }

        /** The application's own lines ("app: ..."), which the agent must leave alone. */
        List<String> appLines() {
            return stdout.lines().filter(l -> l.startsWith("app: ")).collect(Collectors.toList());
        }

        /** The agent's diagnostics: JSON lines with "logger":"datanadhi" on stderr. */
        List<String> agentLines() {
            return stderr.lines().filter(l -> l.contains("\"logger\":\"datanadhi\"")).collect(Collectors.toList());
        }

        List<String> agentLines(String level) {
            return agentLines().stream().filter(l -> l.contains("\"level\":\"" + level + "\"")).collect(Collectors.toList());
        }

        /** The value printed by the app as {@code app: line <name>=<n>}. */
        int line(String name) {
            String prefix = "app: line " + name + "=";
            return appLines().stream().filter(l -> l.startsWith(prefix))
                    .map(l -> Integer.parseInt(l.substring(prefix.length()).trim()))
                    .findFirst().orElseThrow(() -> new AssertionError("no line " + name + " in\n" + stdout));
        }

        /** The "rate" scenario's {@code app: logged N in M ms, first call F ms, slowest after it S ms (seq=Q)}: M. */
        long loggingMillis() {
            return rateLine(1);
        }

        /** The "rate" scenario's first logging call, which loads the classes it needs, in milliseconds. */
        long firstCallMillis() {
            return rateLine(2);
        }

        /** The "rate" scenario's slowest logging call after the first, in milliseconds. */
        long slowestCallMillis() {
            return rateLine(3);
        }

        /** Which event that slowest call logged. */
        long slowestCallSeq() {
            return rateLine(4);
        }

        private long rateLine(int group) {
            return appLines().stream().map(RATE_LINE::matcher).filter(Matcher::matches)
                    .map(m -> Long.parseLong(m.group(group))).findFirst()
                    .orElseThrow(() -> new AssertionError("no \"app: logged\" line in\n" + stdout));
        }

        /** "logged in M ms (first call F ms, slowest after it S ms at seq=Q), app ran T ms", for a report. */
        String loggingSummary() {
            return "logged in " + loggingMillis() + " ms (first call " + firstCallMillis() + " ms, slowest after it "
                    + slowestCallMillis() + " ms at seq=" + slowestCallSeq() + "), app ran " + millis + " ms";
        }

        /** The agent's diagnostics with {@code "event":"<event>"}. */
        List<String> agentEvents(String event) {
            return agentLines().stream().filter(l -> l.contains("\"event\":\"" + event + "\"")).collect(Collectors.toList());
        }

        @Override
        public String toString() {
            return "exit " + exitCode + " after " + millis + " ms\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private final String app;
    private final String mainClass;
    private final List<String> appArgs = new ArrayList<>();
    private final List<String> jvmArgs = new ArrayList<>();
    private final List<String> jvmArgsFirst = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private String agentArgs;
    private Path agentJar;
    private boolean withAgent = true;
    private List<Path> classPath;

    private AppRun(String app, String mainClass) {
        this.app = app;
        this.mainClass = mainClass;
    }

    static AppRun jul(String... args) {
        return new AppRun("jul-app", "io.datanadhi.it.apps.JulApp").args(args);
    }

    static AppRun logback(String... args) {
        return new AppRun("logback-app", "io.datanadhi.it.apps.LogbackApp").args(args);
    }

    static AppRun log4j2(String... args) {
        return new AppRun("log4j2-app", "io.datanadhi.it.apps.Log4j2App").args(args);
    }

    static AppRun reload4j(String... args) {
        return new AppRun("reload4j-app", "io.datanadhi.it.apps.Reload4jApp").args(args);
    }

    /**
     * The bridge matrix app on a class path of its own classes plus the named jars of its
     * {@code target/lib} (see {@link Env#bridgeJars}).
     */
    static AppRun bridge(List<String> jars, String... args) {
        AppRun run = new AppRun("bridge-app", "io.datanadhi.it.apps.bridge.BridgeApp").args(args);
        run.classPath = new ArrayList<>();
        run.classPath.add(Env.appJar("bridge-app"));
        run.classPath.addAll(Env.bridgeJars(jars));
        return run;
    }

    static AppRun isolation() {
        return new AppRun("isolation-app", "io.datanadhi.it.apps.IsolationApp");
    }

    /** One of the tracing app's main classes ("LogbackTracingApp", ...), in package io.datanadhi.it.apps.tracing. */
    static AppRun tracing(String mainClass, String... args) {
        return new AppRun("tracing-app", "io.datanadhi.it.apps.tracing." + mainClass).args(args);
    }

    AppRun args(String... args) {
        appArgs.addAll(List.of(args));
        return this;
    }

    /** JVM options, after the agent's {@code -javaagent} (another agent given here loads after ours). */
    AppRun jvm(String... args) {
        jvmArgs.addAll(List.of(args));
        return this;
    }

    /** JVM options before the agent's {@code -javaagent} (another agent given here loads before ours). */
    AppRun jvmFirst(String... args) {
        jvmArgsFirst.addAll(List.of(args));
        return this;
    }

    AppRun env(String name, String value) {
        env.put(name, value);
        return this;
    }

    AppRun agentArgs(String args) {
        this.agentArgs = args;
        return this;
    }

    /** Another copy of the agent jar than the build's (a test may delete or replace it). */
    AppRun agentJar(Path jar) {
        this.agentJar = jar;
        return this;
    }

    AppRun withoutAgent() {
        this.withAgent = false;
        return this;
    }

    /** The usual setup: a data-nadhi directory, a server, an API key. */
    AppRun shippingTo(IngestServer server, Path dir) {
        return shippingTo(server.url(), dir);
    }

    /** As {@link #shippingTo(IngestServer, Path)}, to any server (a {@code TestServer}, a misbehaving one). */
    AppRun shippingTo(String serverUrl, Path dir) {
        return env("DATANADHI_DIR", dir.toString())
                .env("DATANADHI_SERVER_HOST", serverUrl)
                .env("DATANADHI_API_KEY", TestRules.API_KEY)
                // EchoPost is a JVM: on a busy 2-core machine it may take longer than the 2 s default
                // to listen, and the tests that use it are not about that timeout.
                .env("DATANADHI_ECHOPOST_START_TIMEOUT", "30");
    }

    Result run() throws IOException, InterruptedException {
        return start().await();
    }

    /** Starts the application and returns at once; {@link Running#await()} collects the result. */
    Running start() throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Env.java());
        command.addAll(jvmArgsFirst);
        if (withAgent) {
            command.add("-javaagent:" + (agentJar != null ? agentJar : Env.agentJar()) + (agentArgs == null ? "" : "=" + agentArgs));
        }
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(classPath == null ? Env.appJar(app).toString()
                : classPath.stream().map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator)));
        command.add(mainClass);
        command.addAll(appArgs);

        ProcessBuilder builder = new ProcessBuilder(command);
        // The test's own settings only: a proxy of the machine running the tests would take the
        // loopback servers' traffic (ProxyTest sets its own).
        builder.environment().keySet().removeIf(name -> name.startsWith("DATANADHI_") || name.equals("JAVA_TOOL_OPTIONS")
                || PROXY_VARIABLES.contains(name.toLowerCase(Locale.ROOT)));
        builder.environment().putAll(env);
        Path out = Files.createTempFile("app-stdout", ".txt");
        Path err = Files.createTempFile("app-stderr", ".txt");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        Process process = builder.start();
        process.getOutputStream().close();
        return new Running(command, process, out, err);
    }

    /** A started application. */
    static final class Running {
        private final List<String> command;
        private final Process process;
        private final Path out;
        private final Path err;
        private final long start = System.nanoTime();

        Running(List<String> command, Process process, Path out, Path err) {
            this.command = command;
            this.process = process;
            this.out = out;
            this.err = err;
        }

        long pid() {
            return process.pid();
        }

        boolean isAlive() {
            return process.isAlive();
        }

        /** What the application has printed on stdout so far. */
        String stdoutSoFar() throws IOException {
            return Files.readString(out, StandardCharsets.UTF_8);
        }

        /** What the application (and the agent) have printed on stderr so far. */
        String stderrSoFar() throws IOException {
            return Files.readString(err, StandardCharsets.UTF_8);
        }

        /** Waits (at most {@link #TIMEOUT_SECONDS}) for the exit. */
        Result await() throws IOException, InterruptedException {
            try {
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError("application did not exit within " + TIMEOUT_SECONDS + " s: " + command
                            + "\n" + Files.readString(out) + Files.readString(err));
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8), millis);
            } finally {
                process.destroyForcibly();
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        }
    }
}
