package io.datanadhi.agent.rules;

import io.datanadhi.agent.diag.Diagnostics;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * Notices rule files added, changed or removed under {@code <dir>/rules} while the application
 * runs, and reads the whole set again. It looks {@link #LOOK_MILLIS} apart from one thread of
 * ours, never from a logging thread: a listing of the folder and the attributes of each rule file
 * (size, modification time to the nanosecond, inode), followed through symbolic links as a
 * Kubernetes ConfigMap's are; a file modified in the last two seconds is also hashed, for file
 * systems whose times are coarse. A change is read once two looks in a row agree, so that a file
 * is not read half-written by an editor or a copy.
 */
public final class RuleWatcher {

    /** Between two looks: a change is in effect within two of them, about a second. */
    public static final long LOOK_MILLIS = 500;
    private static final long RECENT_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** Told each time the rules were read again. On the watcher's thread. */
    public interface Listener {
        void reloaded(RuleLoadResult rules, RuleChanges changes);
    }

    private final Path dir;
    private final Listener listener;
    /** Each rule file's hash by what its attributes were when hashed: unchanged files are not read again. */
    private Map<String, String> hashes = new HashMap<>();
    private RuleLoadResult current;
    /** What the folder looked like when {@link #current} was read. */
    private String applied;
    private String lastSeen;

    /** Takes the first look now: make it before the rules are first read, then give them to {@link #start}. */
    public RuleWatcher(Path dir, Listener listener) {
        this.dir = dir;
        this.listener = listener;
        this.applied = fingerprint();
        this.lastSeen = applied;
    }

    /** The rules read after this watcher's first look: a change made while they were read is seen at the next. */
    public void start(RuleLoadResult first) {
        this.current = first;
    }

    /** One look; reads the rules again when the folder changed and has stayed so since the last look. */
    public void look() {
        String now = fingerprint();
        String previous = lastSeen;
        lastSeen = now;
        if (now.equals(applied) || !now.equals(previous)) {
            return; // nothing new, or still changing: the next look decides
        }
        applied = now; // a change made while they are read is seen at the next look
        RuleLoadResult loaded = RuleLoader.read(dir);
        RuleChanges changes = RuleChanges.between(current, loaded);
        current = loaded;
        listener.reloaded(loaded, changes);
    }

    /** The rules in effect by this watcher's account. */
    public RuleLoadResult current() {
        return current;
    }

    /**
     * What the rule files look like now, as text: equal texts, same files. Never throws; what
     * cannot be read is part of the text, so that it is read (and reported) when it changes.
     */
    String fingerprint() {
        Path folder = dir.resolve(RuleLoader.RULES_DIR);
        if (!Files.isDirectory(folder)) {
            return Files.exists(folder) ? "not a folder" : "none";
        }
        List<String> entries = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(folder)) {
            for (Path entry : listing) {
                String name = entry.getFileName().toString();
                if (name.endsWith(".yml") || name.endsWith(".yaml")) {
                    entries.add(describe(entry, name, seen));
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unlisted " + e;
        }
        hashes = seen;
        entries.sort(null);
        return String.join("\n", entries);
    }

    private String describe(Path file, String name, Map<String, String> seen) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            Instant modified = attributes.lastModifiedTime().toInstant();
            String looks = name + ' ' + attributes.size() + ' ' + modified + ' ' + attributes.fileKey();
            String hash = hashes.get(looks);
            long age = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis()) - toNanos(modified);
            if ((hash == null || age < RECENT_NANOS) && attributes.isRegularFile()) {
                CRC32 crc = new CRC32();
                crc.update(Files.readAllBytes(file));
                hash = Long.toHexString(crc.getValue());
            }
            seen.put(looks, hash);
            return looks + ' ' + hash;
        } catch (IOException | RuntimeException e) {
            return name + " unreadable " + e.getClass().getSimpleName();
        }
    }

    private static long toNanos(Instant instant) {
        return TimeUnit.SECONDS.toNanos(instant.getEpochSecond()) + instant.getNano();
    }

    /** A look that failed in a way of ours: reported, and the next look tries again. */
    public void lookQuietly() {
        try {
            look();
        } catch (Throwable t) {
            Diagnostics.warn("rules_reload_failed", "reading the rules again failed; the rules in effect stay: " + t);
        }
    }
}
