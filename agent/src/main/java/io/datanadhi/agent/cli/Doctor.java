package io.datanadhi.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datanadhi.agent.AgentVersion;
import io.datanadhi.agent.config.AgentConfig;
import io.datanadhi.agent.config.ConfigResolver;
import io.datanadhi.agent.config.ConfigValue;
import io.datanadhi.agent.delivery.DroppedFiles;
import io.datanadhi.agent.delivery.HttpClients;
import io.datanadhi.agent.delivery.Servers;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.echopost.EchoPostInstaller;
import io.datanadhi.agent.echopost.EchoPostJvm;
import io.datanadhi.agent.json.JsonText;
import io.datanadhi.agent.rules.ResolvedRulesWriter;
import io.datanadhi.agent.rules.RuleLoadResult;
import io.datanadhi.agent.rules.RuleLoader;
import io.datanadhi.agent.rules.RuleProblem;
import io.datanadhi.http.ConnectionPool;
import io.datanadhi.http.Endpoint;
import io.datanadhi.http.HttpFailure;
import io.datanadhi.http.HttpTransport;
import io.datanadhi.http.Request;
import io.datanadhi.http.Response;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code java -jar datanadhi-agent.jar doctor [--dir DIR] [--json]}: what the agent would do in
 * this environment and what needs attention, in five sections (configuration, rules, servers,
 * EchoPost, dropped records). Exit code 0 when everything is healthy, 1 when something needs
 * attention, 2 for bad usage. It reads the configuration as an application's agent would (the
 * {@code DATANADHI_*} environment, {@code -Ddatanadhi.*} properties given to this JVM and
 * {@code config.yml}) and changes nothing on disk.
 */
final class Doctor {

    private static final Duration SERVER_TIMEOUT = Duration.ofSeconds(2);
    private static final long ECHOPOST_STATUS_TIMEOUT_SECONDS = 30;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> problems = new ArrayList<>();
    private final Map<String, Object> report = new LinkedHashMap<>();

    private Doctor() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        String dir = null;
        boolean json = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--json")) {
                json = true;
            } else if (args[i].equals("--dir") && i + 1 < args.length) {
                dir = args[++i];
            } else if (args[i].startsWith("--dir=")) {
                dir = args[i].substring("--dir=".length());
            } else {
                err.println("datanadhi-agent doctor: unexpected argument \"" + args[i] + "\"");
                err.println("usage: java -jar datanadhi-agent.jar doctor [--dir DIR] [--json]");
                return 2;
            }
        }
        Doctor doctor = new Doctor();
        doctor.examine(dir);
        if (json) {
            out.println(new String(JsonText.pretty(doctor.report), StandardCharsets.UTF_8));
        } else {
            doctor.printText(out);
        }
        return doctor.problems.isEmpty() ? 0 : 1;
    }

    private void examine(String dirArgument) {
        report.put("agent_version", AgentVersion.get());
        AgentConfig config = configuration(dirArgument);
        report.put("dir", config.dir().toString());
        rules(config.dir());
        servers(config);
        echoPost(config);
        dropped(config.dir());
        report.put("healthy", problems.isEmpty());
        report.put("problems", problems);
    }

    // ---- configuration ----

    private AgentConfig configuration(String dirArgument) {
        // What the resolver warns about is a finding here, not noise on stderr.
        List<Map<String, Object>> warnings = new ArrayList<>();
        Consumer<String> listener = line -> {
            try {
                JsonNode node = JSON.readTree(line);
                String level = node.path("level").asText();
                if (level.equals("WARN") || level.equals("ERROR")) {
                    Map<String, Object> warning = new LinkedHashMap<>();
                    warning.put("event", node.path("event").asText());
                    warning.put("message", node.path("message").asText());
                    warnings.add(warning);
                }
            } catch (IOException e) {
                // not one of ours
            }
        };
        Diagnostics.setOutput(OutputStream.nullOutputStream());
        Diagnostics.addListener(listener);
        AgentConfig config;
        try {
            config = ConfigResolver.resolveForTool(dirArgument == null ? null : "dir=" + dirArgument);
        } finally {
            Diagnostics.removeListener(listener);
        }
        List<Map<String, Object>> settings = new ArrayList<>();
        for (ConfigValue setting : config.settings()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("key", setting.key());
            entry.put("value", setting.value());
            entry.put("source", setting.source().label());
            entry.put("source_detail", setting.key().equals("dir") && dirArgument != null ? "--dir"
                    : setting.sourceDetail());
            settings.add(entry);
        }
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("settings", settings);
        section.put("warnings", warnings);
        report.put("configuration", section);
        for (Map<String, Object> warning : warnings) {
            problems.add("configuration: " + warning.get("message"));
        }
        return config;
    }

    // ---- rules ----

    private void rules(Path dir) {
        RuleLoadResult loaded = RuleLoader.read(dir);
        List<Map<String, Object>> found = new ArrayList<>();
        for (RuleProblem problem : loaded.problems()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("file", problem.file());
            entry.put("index", problem.index());
            entry.put("rule", problem.ruleName());
            entry.put("message", problem.message());
            found.add(entry);
            problems.add("rules: " + problem.message());
        }
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("files", loaded.files());
        section.put("valid_rules", loaded.rules().size());
        section.put("problems", found);
        section.put("last_loaded", lastLoaded(dir));
        report.put("rules", section);
        if (loaded.rules().isEmpty() && loaded.problems().stream().noneMatch(p -> p.index() == null)) {
            problems.add("rules: no valid rule in " + dir.resolve(RuleLoader.RULES_DIR) + "; the agent ships nothing");
        }
    }

    /**
     * When an agent last loaded the rules, from the {@code .rules.resolved.json} it writes at
     * start and at each reload: by whom, whether it still runs, and the rule files changed since.
     */
    private Map<String, Object> lastLoaded(Path dir) {
        Map<String, Object> last = new LinkedHashMap<>();
        Path resolved = dir.resolve(ResolvedRulesWriter.FILE_NAME);
        JsonNode written;
        try {
            written = JSON.readTree(Files.readAllBytes(resolved));
        } catch (IOException | RuntimeException e) {
            last.put("known", false);
            last.put("why", Files.exists(resolved) ? "cannot read " + resolved + ": " + e.getMessage()
                    : "no agent has loaded rules from " + dir + " (no " + ResolvedRulesWriter.FILE_NAME + ")");
            return last;
        }
        Instant at = null;
        try {
            at = written == null ? null : Instant.parse(written.path("loaded_at").asText(""));
        } catch (java.time.format.DateTimeParseException e) {
            // an older agent's file, or one edited by hand
        }
        if (at == null) {
            last.put("known", false);
            last.put("why", resolved + " does not say when it was written (an older agent, or edited)");
            return last;
        }
        long pid = written.path("pid").asLong(-1);
        last.put("known", true);
        last.put("at", at.toString());
        last.put("pid", pid);
        last.put("rules", written.path("rules").size());
        last.put("agent_running", pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        List<String> changedSince = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir.resolve(RuleLoader.RULES_DIR))) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (Files.getLastModifiedTime(file).toInstant().isAfter(at)) {
                    changedSince.add(RuleLoader.RULES_DIR + "/" + file.getFileName());
                }
            }
        } catch (IOException | RuntimeException e) {
            // no folder: nothing changed in it
        }
        changedSince.sort(null);
        last.put("changed_since", changedSince);
        return last;
    }

    // ---- servers ----

    private void servers(AgentConfig config) {
        Map<String, Object> section = new LinkedHashMap<>();
        // The agent's own way there: its TLS stores, its proxy, a deadline for the whole exchange.
        Servers servers = Servers.from(config, System.getenv(), System.getProperties(), false);
        for (String problem : servers.proxies().problems()) {
            problems.add("proxy: " + problem);
        }
        HttpTransport transport = HttpClients.transport();
        try {
            section.put("primary", probe(transport, "primary", servers.primary().withTimeout(SERVER_TIMEOUT)));
            section.put("fallback", probe(transport, "fallback", servers.fallback().withTimeout(SERVER_TIMEOUT)));
        } finally {
            transport.close();
        }
        report.put("servers", section);
    }

    private Map<String, Object> probe(HttpTransport transport, String role, Endpoint endpoint) {
        Map<String, Object> result = new LinkedHashMap<>();
        String url = endpoint.target() + "/";
        result.put("url", url);
        if (endpoint.proxy() != null) {
            result.put("proxy", endpoint.proxy());
        }
        if (endpoint.target().tls()) {
            result.put("trust_store", endpoint.tls().usesJvmTrustStore() ? "the JVM's" : endpoint.tls().trustStore().toString());
        }
        ConnectionPool pool = new ConnectionPool(transport, endpoint, 1);
        long start = System.nanoTime();
        try {
            Response response = pool.send(Request.get("/")).get(SERVER_TIMEOUT.toMillis() + 2000, TimeUnit.MILLISECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            boolean healthy = response.status / 100 == 2;
            result.put("reachable", true);
            result.put("healthy", healthy);
            result.put("status", response.status);
            result.put("latency_ms", millis);
            if (!healthy) {
                problems.add(role + " server " + url + " answered " + response.status + " to GET (not 2xx)");
            }
        } catch (ExecutionException | TimeoutException e) {
            String why = HttpFailure.of(e).getMessage();
            result.put("reachable", false);
            result.put("healthy", false);
            result.put("error", why);
            problems.add(role + " server " + url + " is unreachable: " + why);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.put("reachable", false);
            result.put("error", "interrupted");
        } finally {
            pool.close();
        }
        return result;
    }

    // ---- EchoPost ----

    private void echoPost(AgentConfig config) {
        Map<String, Object> section = new LinkedHashMap<>();
        report.put("echopost", section);
        if (config.echopostDisabled()) {
            section.put("enabled", false);
            return;
        }
        section.put("enabled", true);
        Path echoPostDir = config.dir().resolve("echopost");
        Path installed = config.echopostBinary() != null ? Path.of(config.echopostBinary())
                : echoPostDir.resolve(EchoPostInstaller.FILE_NAME);
        section.put("path", installed.toString());
        section.put("installed", Files.isRegularFile(installed));
        section.put("version", EchoPostInstaller.installedVersion(installed));
        if (!Files.isRegularFile(installed)) {
            // Installed the first time a record needs it: nothing can be waiting in it.
            section.put("running", false);
            section.put("backlog", 0);
            return;
        }
        List<String> javaArgs = EchoPostInstaller.javaArgs(installed);
        if (javaArgs == null) {
            section.put("status", "unknown: " + installed + " is not the agent's EchoPost, which alone has -status");
            return;
        }
        JsonNode status = status(javaArgs, echoPostDir, section);
        if (status == null) {
            return;
        }
        section.put("running", status.path("running").asBoolean());
        section.put("pid", status.path("pid").isNumber() ? status.path("pid").asLong() : null);
        long backlog = status.path("backlog").asLong();
        section.put("backlog", backlog);
        String oldest = status.path("oldest_stored_at").isTextual() ? status.path("oldest_stored_at").asText() : null;
        section.put("oldest_stored_at", oldest);
        if (oldest != null) {
            long age = Duration.between(Instant.parse(oldest), Instant.now()).getSeconds();
            section.put("oldest_age_seconds", Math.max(0, age));
            problems.add("EchoPost holds " + backlog + " record(s) not yet delivered, the oldest stored " + oldest
                    + " (" + Math.max(0, age) + " s ago)" + (status.path("running").asBoolean() ? ""
                            : "; it is not running: the next record that needs it starts it and replays them"));
        }
        int corrupt = status.path("corrupt_files").asInt();
        section.put("quarantined_segments", corrupt);
        if (corrupt > 0) {
            problems.add("EchoPost quarantined " + corrupt + " damaged segment(s) in " + echoPostDir.resolve("corrupt")
                    + " (see its events.log for how many records each held)");
        }
        if (status.path("checkpoint_problem").isTextual()) {
            problems.add("EchoPost's replay checkpoint is damaged (" + status.path("checkpoint_problem").asText()
                    + "): it will replay from the oldest stored record");
        }
    }

    /** Runs the installed EchoPost with {@code -status}: it alone knows its store's format. */
    private JsonNode status(List<String> javaArgs, Path echoPostDir, Map<String, Object> section) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(EchoPostJvm.FLAGS);
        command.addAll(javaArgs);
        command.add("-status");
        command.add("-datanadhi");
        command.add(echoPostDir.toString());
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.PIPE).start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(ECHOPOST_STATUS_TIMEOUT_SECONDS, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("echopost -status failed: " + new String(output, StandardCharsets.UTF_8).trim());
            }
            return JSON.readTree(output);
        } catch (IOException e) {
            section.put("status", "unknown: " + describe(e));
            problems.add("EchoPost's state could not be read: " + describe(e));
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    // ---- dropped ----

    private void dropped(Path dir) {
        Path droppedDir = dir.resolve("dropped");
        Map<String, Map<String, Object>> byReason = new TreeMap<>();
        if (Files.isDirectory(droppedDir)) {
            List<Path> files;
            try (Stream<Path> list = Files.list(droppedDir)) {
                files = list.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted()
                        .collect(Collectors.toList());
            } catch (IOException e) {
                problems.add("dropped records: cannot list " + droppedDir + ": " + describe(e));
                files = List.of();
            }
            for (Path file : files) {
                String named = DroppedFiles.reasonOf(file);
                String reason = named != null ? named : "other";
                Map<String, Object> counts = byReason.computeIfAbsent(reason, r -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("files", 0);
                    m.put("records", 0L);
                    return m;
                });
                counts.put("files", (Integer) counts.get("files") + 1);
                counts.put("records", (Long) counts.get("records") + lines(file));
            }
        }
        long total = byReason.values().stream().mapToLong(m -> (Long) m.get("records")).sum();
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("dir", droppedDir.toString());
        section.put("records", total);
        section.put("by_reason", byReason);
        report.put("dropped", section);
        if (total > 0) {
            problems.add(total + " record(s) in " + droppedDir + " were not delivered ("
                    + byReason.entrySet().stream().map(e -> e.getKey() + " " + e.getValue().get("records"))
                            .collect(Collectors.joining(", "))
                    + "); java -jar datanadhi-agent.jar replay-dropped sends them again");
        }
    }

    private static long lines(Path file) {
        try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.filter(l -> !l.isBlank()).count();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    // ---- output ----

    @SuppressWarnings("unchecked")
    private void printText(PrintStream out) {
        out.println("Data Nadhi agent " + report.get("agent_version") + " doctor: " + report.get("dir"));

        out.println();
        out.println("Configuration");
        Map<String, Object> configuration = (Map<String, Object>) report.get("configuration");
        for (Map<String, Object> s : (List<Map<String, Object>>) configuration.get("settings")) {
            out.printf("  %-26s %-40s %s%n", s.get("key"), s.get("value") == null ? "(not set)" : s.get("value"),
                    s.get("source_detail"));
        }
        for (Map<String, Object> w : (List<Map<String, Object>>) configuration.get("warnings")) {
            out.println("  ! " + w.get("message"));
        }

        out.println();
        out.println("Rules");
        Map<String, Object> rules = (Map<String, Object>) report.get("rules");
        out.println("  " + rules.get("valid_rules") + " valid rule(s) from " + rules.get("files"));
        Map<String, Object> last = (Map<String, Object>) rules.get("last_loaded");
        if (Boolean.TRUE.equals(last.get("known"))) {
            out.println("  last loaded " + last.get("at") + " by the agent of pid " + last.get("pid") + " ("
                    + (Boolean.TRUE.equals(last.get("agent_running")) ? "running" : "no longer running") + "), "
                    + last.get("rules") + " rule(s)");
            List<String> since = (List<String>) last.get("changed_since");
            if (!since.isEmpty()) {
                out.println("  changed since: " + String.join(", ", since) + (Boolean.TRUE.equals(last.get("agent_running"))
                        ? " (a running agent applies changes within 2 s unless rules.reload is false)" : ""));
            }
        } else {
            out.println("  last loaded: unknown, " + last.get("why"));
        }
        for (Map<String, Object> p : (List<Map<String, Object>>) rules.get("problems")) {
            out.println("  ! " + p.get("message"));
        }

        out.println();
        out.println("Servers");
        Map<String, Object> servers = (Map<String, Object>) report.get("servers");
        for (Map.Entry<String, Object> e : servers.entrySet()) {
            Map<String, Object> s = (Map<String, Object>) e.getValue();
            String state = Boolean.TRUE.equals(s.get("reachable"))
                    ? "reachable, " + s.get("status") + " in " + s.get("latency_ms") + " ms"
                    : "unreachable: " + s.get("error");
            out.printf("  %-9s %s  %s%n", e.getKey(), s.get("url"), state);
        }

        out.println();
        out.println("EchoPost");
        Map<String, Object> echoPost = (Map<String, Object>) report.get("echopost");
        if (Boolean.FALSE.equals(echoPost.get("enabled"))) {
            out.println("  disabled (echopost.disable)");
        } else {
            out.println("  installed  " + (Boolean.TRUE.equals(echoPost.get("installed"))
                    ? (echoPost.get("version") == null ? "" : echoPost.get("version") + " ") + "at " + echoPost.get("path")
                    : "not yet (installed when a record first needs it)"));
            if (echoPost.containsKey("status")) {
                out.println("  state      " + echoPost.get("status"));
            } else {
                out.println("  running    " + (Boolean.TRUE.equals(echoPost.get("running"))
                        ? "yes, pid " + echoPost.get("pid") : "no"));
                out.println("  backlog    " + echoPost.get("backlog") + " record(s)"
                        + (echoPost.get("oldest_stored_at") == null ? ""
                                : ", oldest stored " + echoPost.get("oldest_stored_at") + " ("
                                        + echoPost.get("oldest_age_seconds") + " s ago)"));
                if (echoPost.containsKey("quarantined_segments")) {
                    out.println("  quarantined segments " + echoPost.get("quarantined_segments"));
                }
            }
        }

        out.println();
        out.println("Dropped records");
        Map<String, Object> dropped = (Map<String, Object>) report.get("dropped");
        Map<String, Map<String, Object>> byReason = (Map<String, Map<String, Object>>) dropped.get("by_reason");
        if (byReason.isEmpty()) {
            out.println("  none in " + dropped.get("dir"));
        }
        for (Map.Entry<String, Map<String, Object>> e : byReason.entrySet()) {
            out.printf("  %-20s %s record(s) in %s file(s)%n", e.getKey(), e.getValue().get("records"),
                    e.getValue().get("files"));
        }

        out.println();
        if (problems.isEmpty()) {
            out.println("Everything looks healthy.");
        } else {
            out.println("Needs attention (" + problems.size() + "):");
            for (String problem : problems) {
                out.println("  - " + problem);
            }
        }
    }

    /** The exception and, when it says little, its root cause: "ConnectException (UnresolvedAddressException)". */
    private static String describe(Exception e) {
        StringBuilder text = new StringBuilder(e.getClass().getSimpleName());
        String message = e.getMessage();
        if (message != null && !message.isBlank()) {
            text.append(": ").append(message);
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e) {
            text.append(" (").append(root.getClass().getSimpleName());
            if (root.getMessage() != null && !root.getMessage().isBlank()) {
                text.append(": ").append(root.getMessage());
            }
            text.append(')');
        }
        return text.toString();
    }
}
