package io.datanadhi.agent.cli;

import io.datanadhi.agent.config.AgentConfig;
import io.datanadhi.agent.config.ConfigResolver;
import io.datanadhi.agent.delivery.DroppedFiles;
import io.datanadhi.agent.delivery.ReplaySender;
import io.datanadhi.agent.delivery.Servers;
import io.datanadhi.agent.diag.Counters.DropKind;
import io.datanadhi.agent.files.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code java -jar datanadhi-agent.jar replay-dropped [--dir DIR] [--reason R] [--fallback]}:
 * sends the records of {@code <dir>/dropped/*.jsonl} again, to the primary ({@code POST /log}, one
 * request per record) or with {@code --fallback} to the fallback server (gzip JSON Lines, 100 per
 * request), with the agent's own configuration, API key and header, and removes what was
 * delivered. Oldest files first, one line per file.
 *
 * <p>Status classes as the agent's (DESIGN.md section 8), from the point of view of a record that
 * has already failed once: 2xx delivered; 3xx..500 refused, the record stays in its file and the
 * replay goes on; above 500, 408, 429, a timeout or a connection error: the server is not taking
 * records now, so the replay stops, keeping that file's rest and leaving the later files alone.
 * A line that is not a record (not JSON, cut short) is never sent nor deleted: it stays in its file
 * and is reported with its line number.
 *
 * <p>Interruption: see {@link DroppedFileReplay}; a {@code kill -9} at any moment loses nothing,
 * and the next run sends again at most {@link DroppedFileReplay#CHECKPOINT_RECORDS} records. Only
 * one replay runs per directory ({@code dropped/.replay.lock}), and a file an agent is still
 * writing (it holds a lock on it) is skipped.
 *
 * <p>Exit code 0 when every record was delivered (or there was nothing to send), 1 when something
 * is left (refused, unreadable, in use, or the server stopped answering), 2 for bad usage or
 * configuration: no API key, no such directory.
 */
final class ReplayDropped {

    static final String USAGE = "usage: java -jar datanadhi-agent.jar replay-dropped [--dir DIR] [--reason R] [--fallback]";
    private static final String LOCK_FILE = ".replay.lock";

    private ReplayDropped() {}

    /** The totals over all files. */
    private static final class Totals {
        int files;
        long records;
        long delivered;
        long refused;
        long unreadable;
        long left;
        int removed;
        int rewritten;
        int inUse;
        int failed;
        String stopped;

        void add(DroppedFileReplay.Report report) {
            records += report.records;
            delivered += report.delivered;
            refused += report.refused;
            unreadable += report.unreadable;
            left += report.left;
            removed += report.removed ? 1 : 0;
            rewritten += report.rewritten ? 1 : 0;
            inUse += report.inUse ? 1 : 0;
        }

        boolean allDelivered() {
            return refused == 0 && unreadable == 0 && left == 0 && inUse == 0 && failed == 0 && stopped == null;
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        String dirArg = null;
        Set<String> reasons = new LinkedHashSet<>();
        boolean toFallback = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            if (arg.equals("--help") || arg.equals("-h")) {
                out.println(USAGE);
                return 0;
            } else if (arg.equals("--fallback") && value == null) {
                toFallback = true;
            } else if (arg.equals("--dir") || arg.equals("--reason")) {
                if (value == null && i + 1 < args.length) {
                    value = args[++i];
                }
                if (value == null || value.isBlank()) {
                    return usageError(err, arg + " needs a value");
                }
                if (arg.equals("--dir")) {
                    dirArg = value;
                } else if (reasonNames().contains(value)) {
                    reasons.add(value);
                } else {
                    return usageError(err, "unknown reason \"" + value + "\" (one of " + String.join(", ", reasonNames()) + ")");
                }
            } else {
                return usageError(err, "unknown argument \"" + args[i] + "\"");
            }
        }
        if (dirArg != null && dirArg.contains(";")) {
            return usageError(err, "--dir cannot contain ';'; set DATANADHI_DIR instead");
        }
        // --dir is the highest source, as an agent argument would be; the rest as the agent resolves it.
        AgentConfig config = ConfigResolver.resolveForThisJvm(dirArg == null ? null : "dir=" + dirArg);
        if (!Files.isDirectory(config.dir())) {
            err.println("replay-dropped: " + config.dir() + " is not a directory (the Data Nadhi directory: --dir,"
                    + " DATANADHI_DIR or -Ddatanadhi.dir, default ./.datanadhi)");
            return 2;
        }
        if (config.apiKey() == null) {
            err.println("replay-dropped: no API key: set DATANADHI_API_KEY or DATANADHI_API_KEY_FILE (or api_key in "
                    + config.dir().resolve("config.yml") + "); it is never taken from the command line");
            return 2;
        }
        Path dropped = config.dir().resolve("dropped");
        Servers servers = Servers.from(config, System.getenv(), System.getProperties(), false);
        for (String problem : servers.proxies().problems()) {
            err.println("replay-dropped: " + problem);
        }
        try (ReplaySender sender = toFallback
                ? ReplaySender.toFallback(servers, config.apiKeyHeader(), config.apiKey())
                : ReplaySender.toPrimary(servers, config.apiKeyHeader(), config.apiKey(), config.maxInFlight())) {
            return replayAll(dropped, reasons, sender, out, err);
        } catch (IOException e) {
            err.println("replay-dropped: " + dropped + ": " + e);
            return 1;
        }
    }

    private static int usageError(PrintStream err, String problem) {
        err.println("replay-dropped: " + problem);
        err.println(USAGE);
        return 2;
    }

    private static List<String> reasonNames() {
        return Stream.of(DropKind.values()).map(DroppedFiles::fileName).collect(Collectors.toList());
    }

    private static int replayAll(Path dropped, Set<String> reasons, ReplaySender sender, PrintStream out, PrintStream err)
            throws IOException {
        if (!Files.isDirectory(dropped)) {
            out.println("replay-dropped: nothing to replay (no " + dropped + ")");
            return 0;
        }
        try (FileChannel lockFile = AtomicFiles.openLockFile(dropped.resolve(LOCK_FILE));
                FileLock lock = DroppedFileReplay.tryLock(lockFile)) {
            if (lock == null) {
                err.println("replay-dropped: another replay-dropped is running on " + dropped + "; try again when it is done");
                return 1;
            }
            removeLeftovers(dropped);
            List<Path> files = droppedFiles(dropped, reasons);
            out.println("replay-dropped: " + files.size() + " file(s) in " + dropped + " to " + sender.target());
            out.flush();
            Totals totals = new Totals();
            for (Path file : files) {
                String shown = "dropped/" + file.getFileName();
                if (totals.stopped != null) {
                    out.println(shown + ": not attempted (the server stopped answering)");
                    totals.failed++;
                    continue;
                }
                totals.files++;
                try {
                    DroppedFileReplay.Report report = new DroppedFileReplay(sender, out, shown).replay(file);
                    totals.add(report);
                    totals.stopped = report.stopped;
                    out.println(line(shown, report));
                } catch (IOException e) {
                    totals.failed++;
                    out.println(shown + ": could not be replayed (" + e.getMessage() + "); left as it is");
                }
                out.flush();
            }
            out.println(summary(totals));
            return totals.allDelivered() ? 0 : 1;
        }
    }

    /** The files to replay, oldest first. */
    private static List<Path> droppedFiles(Path dropped, Set<String> reasons) throws IOException {
        List<String> known = reasonNames();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> listing = Files.list(dropped)) {
            for (Path file : (Iterable<Path>) listing::iterator) {
                Matcher name = DroppedFiles.nameMatcher(file.getFileName().toString());
                if (name.matches() && known.contains(name.group(1))
                        && (reasons.isEmpty() || reasons.contains(name.group(1))) && Files.isRegularFile(file)) {
                    files.add(file);
                }
            }
        }
        files.sort(Comparator.comparingLong((Path f) -> number(f, 2)).thenComparingLong(f -> number(f, 3)));
        return files;
    }

    private static long number(Path file, int group) {
        Matcher name = DroppedFiles.nameMatcher(file.getFileName().toString());
        name.matches();
        return Long.parseLong(name.group(group));
    }

    /**
     * What a killed run can leave: a sidecar whose file is gone (killed between removing the
     * file and its sidecar), and temp files of a rewrite. With the lock held, none is in use.
     */
    private static void removeLeftovers(Path dropped) throws IOException {
        try (Stream<Path> listing = Files.list(dropped)) {
            for (Path path : (Iterable<Path>) listing::iterator) {
                String name = path.getFileName().toString();
                boolean orphanSidecar = ReplayProgress.isSidecar(path) && !Files.exists(ReplayProgress.fileOf(path));
                boolean rewriteTemp = name.endsWith(".tmp") && (name.contains(".jsonl.") || name.startsWith("."));
                if (orphanSidecar || rewriteTemp) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    static String line(String shown, DroppedFileReplay.Report r) {
        if (r.inUse) {
            return shown + ": in use (an agent is still writing it); skipped";
        }
        StringBuilder line = new StringBuilder(shown).append(": ")
                .append(r.records).append(" records, ")
                .append(r.delivered).append(" delivered, ")
                .append(r.refused).append(" refused, ");
        if (r.unreadable > 0) {
            line.append(r.unreadable).append(" unreadable, ");
        }
        line.append(r.left).append(" left");
        if (r.resumedAfter > 0) {
            line.append(" (resumed after ").append(r.resumedAfter).append(" handled by an interrupted run)");
        }
        if (r.refused > 0) {
            line.append("; first refusal: ").append(r.firstRefusal);
        }
        if (r.unreadable > 0) {
            line.append("; first unreadable line: ").append(r.firstUnreadableLine);
        }
        if (r.stopped != null) {
            line.append("; stopped, the server is not taking records: ").append(r.stopped);
        }
        if (r.removed) {
            line.append("; file removed");
        } else if (r.rewritten) {
            line.append("; file rewritten with the ").append(r.refused + r.unreadable + r.left).append(" left in it");
        } else if (r.records > 0) {
            line.append("; file unchanged");
        }
        return line.toString();
    }

    private static String summary(Totals t) {
        String summary = "replay-dropped: " + t.files + " file(s), " + t.records + " records: " + t.delivered + " delivered, "
                + t.refused + " refused, " + t.unreadable + " unreadable, " + t.left + " left; " + t.removed
                + " file(s) removed, " + t.rewritten + " rewritten";
        if (t.inUse > 0) {
            summary += ", " + t.inUse + " in use (skipped)";
        }
        if (t.failed > 0) {
            summary += ", " + t.failed + " not replayed";
        }
        if (t.allDelivered()) {
            return summary + "; everything delivered";
        }
        return summary + (t.stopped != null ? "; the server stopped answering, run again later"
                : "; what is left stays in its file");
    }
}
