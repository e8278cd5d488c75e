package io.datanadhi.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What every driver prints about its run: the JDK measured, the machine, how to run it again. */
final class RunInfo {

    private RunInfo() {}

    /** The first and the runtime line of {@code java -version}, and the path. */
    static String jdk(String java) {
        try {
            Process process = new ProcessBuilder(java, "-version").redirectErrorStream(true).start();
            String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(30, TimeUnit.SECONDS);
            // "openjdk version "17.0.15" 2025-04-15" and "OpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)"
            String[] lines = text.split("\n");
            for (String line : lines) {
                if (line.contains("Runtime Environment")) {
                    return lines[0].trim() + ", " + line.trim() + " (" + java + ")";
                }
            }
            return text.split("\n")[0].trim() + " (" + java + ")";
        } catch (IOException | InterruptedException | RuntimeException e) {
            return java + " (version unknown: " + e + ")";
        }
    }

    /** "2 cores, load average 1.52" (the load average at the start, to tell a busy machine). */
    static String machine() {
        String load = "";
        try {
            load = ", load average " + Files.readString(Path.of("/proc/loadavg")).split(" ")[0] + " at the start";
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return Runtime.getRuntime().availableProcessors() + " cores" + load;
    }

    /** The command that runs this driver again, from the repository's root, with every setting spelled out. */
    static String command(Class<?> driver, List<String> options) {
        List<String> words = new ArrayList<>(List.of("java", "-cp", "benchmarks/target/datanadhi-benchmarks.jar",
                driver.getName()));
        for (String option : options) {
            words.add(option.isEmpty() || option.matches(".*[\\s'\"$;&|<>*?].*") ? "'" + option.replace("'", "'\\''") + "'"
                    : option);
        }
        return String.join(" ", words);
    }

    private static final Pattern EVENT = Pattern.compile("\"level\":\"(\\w+)\",\"event\":\"([^\"]+)\"");

    /**
     * The agent's own diagnostics (JSON lines of {@code "logger":"datanadhi"} on stderr) at WARN and
     * above, counted by level and event, each with its first line (shortened): what to quote when
     * the agent misbehaves. Empty when there were none.
     */
    static List<String> agentWarnings(Path stderr) {
        List<String> found = new ArrayList<>();
        if (stderr == null || !Files.exists(stderr)) {
            return found;
        }
        Map<String, Integer> counts = new TreeMap<>();
        Map<String, String> first = new TreeMap<>();
        List<String> other = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(stderr, StandardCharsets.UTF_8)) {
                Matcher event = EVENT.matcher(line);
                if (line.contains("\"logger\":\"datanadhi\"") && event.find()) {
                    String level = event.group(1);
                    if (level.equals("WARN") || level.equals("ERROR")) {
                        String key = level + " " + event.group(2);
                        counts.merge(key, 1, Integer::sum);
                        first.putIfAbsent(key, shorten(line, 400));
                    }
                } else if (!line.isBlank() && other.size() < 5) {
                    other.add(shorten(line, 300)); // not a diagnostic: a JVM warning, a stack trace
                }
            }
        } catch (IOException e) {
            found.add("could not read " + stderr + ": " + e);
            return found;
        }
        for (Map.Entry<String, Integer> entry : counts.entrySet()) {
            found.add(entry.getKey() + " × " + entry.getValue() + ": `" + first.get(entry.getKey()) + "`");
        }
        for (String line : other) {
            found.add("other stderr: `" + line + "`");
        }
        return found;
    }

    private static String shorten(String line, int max) {
        return line.length() <= max ? line : line.substring(0, max) + " …";
    }
}
