package io.datanadhi.echopost;

import io.datanadhi.echopost.store.StoreStatus;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;

/**
 * {@code echopost -status}: one JSON object on stdout saying whether an EchoPost runs for a
 * directory (the pid in its lock file, and that process alive) and what waits in its store.
 * Reads only; safe next to a running EchoPost.
 */
final class Status {

    private Status() {}

    static int print(Path dir, PrintStream out, PrintStream err) {
        StoreStatus store;
        try {
            store = StoreStatus.read(dir);
        } catch (IOException | RuntimeException e) {
            err.println("echopost: cannot read the store in " + dir + ": " + e);
            return 1;
        }
        long pid = runningPid(dir);
        StringBuilder json = new StringBuilder(256).append('{');
        field(json, "dir").append(quoted(dir.toString())).append(',');
        field(json, "version").append(quoted(EchoPost.version())).append(',');
        field(json, "running").append(pid > 0).append(',');
        field(json, "pid").append(pid > 0 ? Long.toString(pid) : "null").append(',');
        field(json, "backlog").append(store.backlog).append(',');
        field(json, "oldest_stored_at").append(store.oldestStoredAtMillis < 0 ? "null"
                : quoted(Instant.ofEpochMilli(store.oldestStoredAtMillis).toString())).append(',');
        field(json, "segments").append(store.segments).append(',');
        field(json, "store_bytes").append(store.storeBytes).append(',');
        field(json, "corrupt_files").append(store.corruptFiles).append(',');
        field(json, "checkpoint_problem").append(store.checkpointProblem == null ? "null"
                : quoted(store.checkpointProblem));
        out.println(json.append('}'));
        return 0;
    }

    /** The pid written in the lock file by a running EchoPost, when that process is alive; else -1. */
    static long runningPid(Path dir) {
        try {
            String text = new String(Files.readAllBytes(dir.resolve(EchoPost.LOCK)), StandardCharsets.US_ASCII).trim();
            if (text.isEmpty()) {
                return -1;
            }
            long pid = Long.parseLong(text);
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? pid : -1;
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static StringBuilder field(StringBuilder json, String name) {
        return json.append('"').append(name).append("\":");
    }

    private static String quoted(String text) {
        StringBuilder b = new StringBuilder(text.length() + 2);
        Json.quote(b, text);
        return b.toString();
    }
}
