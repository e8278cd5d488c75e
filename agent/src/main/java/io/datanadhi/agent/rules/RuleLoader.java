package io.datanadhi.agent.rules;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.agent.AgentVersion;
import io.datanadhi.agent.json.YamlTree;
import io.datanadhi.agent.diag.Diagnostics;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads {@code <dir>/rules/*.yml} and {@code *.yaml}, in file-name order, into a {@link RuleSet}.
 *
 * <p>Bad input never stops the agent: a file that cannot be read or parsed is skipped, an invalid
 * entry is skipped, and each problem is reported once, as a warning naming the file and the
 * entry's index (the Python SDK skips them silently), and in the result. Other files are never
 * read.
 */
public final class RuleLoader {

    /** The rule folder inside the Data Nadhi directory. */
    public static final String RULES_DIR = "rules";


    private final List<Rule> rules = new ArrayList<>();
    private final List<RuleProblem> problems = new ArrayList<>();
    private final List<String> files = new ArrayList<>();

    private RuleLoader() {}

    /** A rule file by its name: {@code *.yml} or {@code *.yaml}; the folder's other files are never read. */
    static boolean isRuleFile(String name) {
        return name.endsWith(".yml") || name.endsWith(".yaml");
    }

    /**
     * Loads the rules of a Data Nadhi directory, reports every problem once, warns once if no
     * valid rule remains, and writes {@code <dir>/.rules.resolved.json}. Never throws for bad
     * input; a missing rules folder gives an empty set.
     */
    public static RuleLoadResult load(Path datanadhiDir) {
        RuleLoadResult result = read(datanadhiDir);
        ResolvedRulesWriter.write(datanadhiDir, result);
        return result;
    }

    /**
     * The same as {@link #load} without writing {@code .rules.resolved.json}: the agent writes it
     * once the rules are in effect, off the path that the application may be waiting on.
     */
    public static RuleLoadResult read(Path datanadhiDir) {
        RuleLoader loader = new RuleLoader();
        loader.readFolder(datanadhiDir.resolve(RULES_DIR));
        RuleLoadResult result =
                new RuleLoadResult(new RuleSet(loader.rules), loader.problems, loader.files);
        reportOutcome(datanadhiDir, result);
        return result;
    }

    /**
     * As {@link #read}, through {@code <dir>/.rules.cache}: when no rule file changed since it was
     * written, the rules come from it without the YAML parser, and its problems are reported as
     * if the files had been parsed; otherwise the files are parsed and the cache replaced. For
     * the agent: the doctor parses ({@link #read}) and writes nothing.
     */
    public static RuleLoadResult readCached(Path datanadhiDir) {
        return readCached(datanadhiDir, AgentVersion.get());
    }

    /**
     * As {@link #readCached(Path)}, the cache tied to {@code build} (the agent's version and its
     * jar's size and time: a rebuilt jar with the same version may parse differently).
     */
    public static RuleLoadResult readCached(Path datanadhiDir, String build) {
        List<RuleCache.Stamp> stamps = RuleCache.stamps(datanadhiDir);
        boolean cacheable = stamps != null && !stamps.isEmpty();
        if (cacheable) {
            RuleLoadResult cached = RuleCache.load(datanadhiDir, stamps, build);
            if (cached != null) {
                for (RuleProblem problem : cached.problems()) {
                    report(problem);
                }
                reportOutcome(datanadhiDir, cached);
                return cached;
            }
        }
        RuleLoadResult parsed = read(datanadhiDir);
        // Only what was parsed from exactly these files: a change while they were read is parsed next time.
        if (cacheable && RuleCache.same(stamps, RuleCache.stamps(datanadhiDir))
                && !RuleCache.store(datanadhiDir, stamps, parsed, build)) {
            Diagnostics.debug("rules_cache_unwritten", "cannot write " + datanadhiDir.resolve(RuleCache.FILE_NAME)
                    + "; the next start parses the rule files again");
        }
        return parsed;
    }

    private void readFolder(Path folder) {
        if (Files.notExists(folder)) {
            return;
        }
        if (!Files.isDirectory(folder)) {
            String what = Files.exists(folder) ? "not a directory" : "cannot be accessed";
            wholeFileProblem("rules_dir_unreadable", RULES_DIR, RULES_DIR + ": " + what + "; no rules loaded");
            return;
        }
        List<String> ruleFiles = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (isRuleFile(name)) {
                    ruleFiles.add(name);
                }
            }
        } catch (IOException | RuntimeException e) {
            wholeFileProblem("rules_dir_unreadable", RULES_DIR,
                    RULES_DIR + ": cannot list the folder (" + describe(e) + "); no rules loaded");
            return;
        }
        Collections.sort(ruleFiles);
        for (String name : ruleFiles) {
            readFile(folder.resolve(name), RULES_DIR + "/" + name);
        }
    }

    private void readFile(Path path, String file) {
        files.add(file);
        if (!Files.isRegularFile(path)) {
            wholeFileProblem("rules_file_unreadable", file, file + ": not a regular file; skipped");
            return;
        }
        byte[] content;
        try {
            content = Files.readAllBytes(path);
        } catch (IOException | RuntimeException e) {
            wholeFileProblem("rules_file_unreadable", file,
                    file + ": cannot be read (" + describe(e) + "); file skipped");
            return;
        }
        JsonNode tree;
        try {
            tree = YamlTree.parse(content);
        } catch (YamlTree.SeveralDocumentsException e) {
            wholeFileProblem("rules_file_invalid", file, file + ": holds several YAML documents,"
                    + " where one list of rules is expected; file skipped");
            return;
        } catch (IOException | RuntimeException e) {
            wholeFileProblem("rules_file_invalid", file,
                    file + ": not valid YAML (" + yamlError(e) + "); file skipped");
            return;
        }
        if (tree == null || tree.isNull() || tree.isMissingNode()) {
            Diagnostics.debug("rules_file_empty", file + ": empty; no rules", "file", file);
            return;
        }
        if (!tree.isArray()) {
            wholeFileProblem("rules_file_invalid", file, file + ": the top level is "
                    + RuleEntryParser.describe(tree) + ", not a list of rules; file skipped");
            return;
        }
        for (int i = 0; i < tree.size(); i++) {
            try {
                readEntry(tree.get(i), file, i);
            } catch (RuntimeException e) {
                // A bug of ours must not cost the application its start, nor the other rules.
                entryProblem("rules_entry_skipped", file, i, null, file + " entry " + i
                        + ": could not be interpreted (" + describe(e) + "); rule skipped");
            }
        }
    }

    private void readEntry(JsonNode entry, String file, int index) {
        RuleEntryParser.Outcome outcome = RuleEntryParser.parse(entry, file, index);
        String where = file + " entry " + index
                + (outcome.name == null ? "" : " (" + RuleEntryParser.quote(outcome.name) + ")") + ": ";
        if (outcome.rule == null) {
            List<String> reasons = new ArrayList<>(outcome.errors);
            reasons.addAll(outcome.unknownKeys); // a misspelt key often explains the error
            entryProblem("rules_entry_skipped", file, index, outcome.name,
                    where + String.join("; ", reasons) + "; rule skipped");
            return;
        }
        rules.add(outcome.rule);
        if (!outcome.unknownKeys.isEmpty()) {
            entryProblem("rules_entry_unknown_key", file, index, outcome.name,
                    where + String.join("; ", outcome.unknownKeys) + "; ignored, rule kept");
        }
    }

    private void wholeFileProblem(String event, String file, String message) {
        RuleProblem problem = new RuleProblem(event, file, null, null, message);
        problems.add(problem);
        report(problem);
    }

    private void entryProblem(String event, String file, int index, String name, String message) {
        RuleProblem problem = new RuleProblem(event, file, index, name, message);
        problems.add(problem);
        report(problem);
    }

    private static void report(RuleProblem problem) {
        if (problem.index() == null) {
            Diagnostics.warn(problem.event(), problem.message(), "file", problem.file());
        } else {
            Diagnostics.warn(problem.event(), problem.message(), "file", problem.file(), "index", problem.index(),
                    "rule", problem.ruleName());
        }
    }

    /** The one warning for "nothing will be shipped", in one place; otherwise a summary at DEBUG. */
    private static void reportOutcome(Path datanadhiDir, RuleLoadResult result) {
        if (result.rules().isEmpty()) {
            String why = result.files().isEmpty()
                    ? "no rule files (*.yml, *.yaml) in " + datanadhiDir.resolve(RULES_DIR).toAbsolutePath()
                    : "no valid rules in " + result.files().size() + " rule file(s), "
                            + result.problems().size() + " problem(s) reported";
            Diagnostics.warn("rules_none_valid", why
                    + "; the agent will ship nothing; the application's own logging is untouched",
                    "dir", datanadhiDir.toAbsolutePath().toString());
        } else {
            Diagnostics.debug("rules_loaded", "loaded " + result.rules().size() + " rule(s) from "
                    + result.files().size() + " file(s), " + result.problems().size() + " problem(s)");
        }
    }

    /** The parser's complaint and where, on one line, without Jackson's echo of the input. */
    private static String yamlError(Exception e) {
        Throwable cause = e.getCause();
        if (cause instanceof MarkedYAMLException) {
            MarkedYAMLException yaml = (MarkedYAMLException) cause;
            StringBuilder b = new StringBuilder();
            if (yaml.getProblemMark() != null) {
                b.append("line ").append(yaml.getProblemMark().getLine() + 1)
                        .append(", column ").append(yaml.getProblemMark().getColumn() + 1).append(": ");
            }
            b.append(yaml.getProblem());
            if (yaml.getContext() != null) {
                b.append(", ").append(yaml.getContext());
            }
            return oneLine(b.toString());
        }
        if (e instanceof JsonProcessingException) {
            JsonProcessingException json = (JsonProcessingException) e;
            JsonLocation at = json.getLocation();
            String where = at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
            return oneLine(where + json.getOriginalMessage());
        }
        return describe(e);
    }

    private static String describe(Exception e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return oneLine(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }

    private static String oneLine(String text) {
        String line = text.replaceAll("\\s*\\n\\s*", " ").trim();
        return line.length() > 300 ? line.substring(0, 297) + "..." : line;
    }
}
