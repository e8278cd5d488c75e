package io.datanadhi.agent.rules;

import io.datanadhi.agent.AgentVersion;
import io.datanadhi.agent.diag.Diagnostics;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * Notices rule files added, changed or removed under {@code <dir>/rules} while the application
 * runs, and reads the whole set again. It looks {@link #LOOK_MILLIS} apart from one thread of
 * ours, never from a logging thread: a listing of the folder and the attributes of each rule file
 * (size, modification time to the nanosecond, inode), followed through symbolic links as a
 * Kubernetes ConfigMap's are; a file modified in the last four seconds is also hashed, for file
 * systems whose times are coarse. A change is read at the first look that sees it when the same
 * files are there as at the last look and each was last written half a second ago or more, else
 * once two looks in a row agree, so that a file is not read half-written by an editor or a copy,
 * nor a set half-copied: in effect within two seconds. A look costs
 * a few syscalls and, interpreted (it runs too rarely to be compiled soon), under a millisecond.
 */
public final class RuleWatcher {

    /** Between two looks: a change is in effect at the first look after it, or the second. */
    public static final long LOOK_MILLIS = 1000;
    /** Two looks and a coarse file system's 2 s tick: a rewrite this recent is told by its content. */
    private static final long RECENT_NANOS = TimeUnit.SECONDS.toNanos(4);
    /** A file last written this long ago is not being written any more: read at once. */
    private static final long SETTLED_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** Told each time the rules were read again. On the watcher's thread. */
    public interface Listener {
        void reloaded(RuleLoadResult rules, RuleChanges changes);
    }

    private final Path dir;
    private final Listener listener;
    private final String build;
    /** The files at the last look: an unchanged one is not read again. */
    private List<FileLook> previous = List.of();
    private RuleLoadResult current;
    /** What the folder looked like when {@link #current} was read. */
    private Object applied;
    private Object lastSeen;
    private String lastFailure;

    /** Takes the first look now: make it before the rules are first read, then give them to {@link #start}. */
    public RuleWatcher(Path dir, Listener listener) {
        this(dir, AgentVersion.get(), listener);
    }

    /** @param build what {@code .rules.cache} is tied to ({@link RuleLoader#readCached(Path, String)}) */
    public RuleWatcher(Path dir, String build, Listener listener) {
        this.dir = dir;
        this.build = build;
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
        Object now = fingerprint();
        Object before = lastSeen;
        lastSeen = now;
        if (now.equals(applied) || (!now.equals(before) && !(settled(now) && sameFiles(now, before)))) {
            return; // nothing new, or written a moment ago and maybe still being written: the next look decides
        }
        RuleLoadResult loaded = RuleLoader.readCached(dir, build);
        listener.reloaded(loaded, RuleChanges.between(current, loaded));
        // Only once applied: a listener that failed gets the change again at the next look. And
        // what the folder looked like before the read: a change made during it is seen next.
        applied = now;
        current = loaded;
    }

    /** Every rule file was last written long enough ago; a folder that went or came is a change made at once. */
    private static boolean settled(Object look) {
        if (!(look instanceof List)) {
            return true;
        }
        long now = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
        for (Object file : (List<?>) look) {
            if (now - ((FileLook) file).modifiedNanos < SETTLED_NANOS) {
                return false;
            }
        }
        return true;
    }

    /** The same rule files by name (a file renamed in with an old time may be one of several on their way). */
    private static boolean sameFiles(Object now, Object before) {
        if (!(now instanceof List) || !(before instanceof List) || ((List<?>) now).size() != ((List<?>) before).size()) {
            return !(now instanceof List) && !(before instanceof List);
        }
        for (int i = 0; i < ((List<?>) now).size(); i++) {
            if (!((FileLook) ((List<?>) now).get(i)).name.equals(((FileLook) ((List<?>) before).get(i)).name)) {
                return false;
            }
        }
        return true;
    }

    /** The rules in effect by this watcher's account. */
    public RuleLoadResult current() {
        return current;
    }

    /**
     * What the rule files look like now: equal looks, same files. Cheap, for it runs twice a
     * second for the JVM's life (mostly interpreted: no text is formatted). Never throws; what
     * cannot be read is part of the look, so that it is read (and reported) when it changes.
     */
    Object fingerprint() {
        Path folder = dir.resolve(RuleLoader.RULES_DIR);
        if (!Files.isDirectory(folder)) {
            return Files.exists(folder) ? "not a folder" : "none";
        }
        List<FileLook> looks = new ArrayList<>();
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(folder)) {
            for (Path entry : listing) {
                String name = entry.getFileName().toString();
                if (RuleLoader.isRuleFile(name)) {
                    looks.add(look(entry, name));
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unlisted " + e;
        }
        Collections.sort(looks);
        previous = looks;
        return looks;
    }

    private FileLook look(Path file, String name) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            long modified = attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS);
            FileLook look = new FileLook(name, attributes.size(), modified, attributes.fileKey(), 0);
            long age = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis()) - modified;
            FileLook before = null;
            for (FileLook seen : previous) {
                if (seen.sameAttributes(look)) {
                    before = seen;
                }
            }
            if (before != null && age >= RECENT_NANOS) {
                return before; // unchanged, and not so recent that a coarse clock could hide a rewrite
            }
            if (!attributes.isRegularFile()) {
                return look;
            }
            CRC32 crc = new CRC32();
            crc.update(Files.readAllBytes(file));
            return new FileLook(name, look.size, modified, look.key, crc.getValue());
        } catch (IOException | RuntimeException e) {
            return new FileLook(name, -1, 0, e.getClass().getName(), 0);
        }
    }

    /** One rule file's attributes (size, modification time, inode) and the CRC of its content. */
    private static final class FileLook implements Comparable<FileLook> {
        final String name;
        final long size;
        final long modifiedNanos;
        final Object key;
        final long crc;

        FileLook(String name, long size, long modifiedNanos, Object key, long crc) {
            this.name = name;
            this.size = size;
            this.modifiedNanos = modifiedNanos;
            this.key = key;
            this.crc = crc;
        }

        boolean sameAttributes(FileLook other) {
            return name.equals(other.name) && size == other.size && modifiedNanos == other.modifiedNanos
                    && java.util.Objects.equals(key, other.key);
        }

        /** By file name (not consistent with {@link #equals}: only for sorting one look's files). */
        @Override
        public int compareTo(FileLook other) {
            return name.compareTo(other.name);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FileLook && sameAttributes((FileLook) o) && crc == ((FileLook) o).crc;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Long.hashCode(size) * 17 + Long.hashCode(modifiedNanos);
        }
    }

    /** A look that failed in a way of ours: reported once per reason, and the next look tries again. */
    public void lookQuietly() {
        try {
            look();
            lastFailure = null;
        } catch (Throwable t) {
            String reason = String.valueOf(t);
            if (!reason.equals(lastFailure)) {
                lastFailure = reason;
                Diagnostics.warn("rules_reload_failed", "applying the changed rule files failed (" + reason
                        + "); the agent tries again in " + LOOK_MILLIS + " ms", "reason", reason);
            }
        }
    }
}
