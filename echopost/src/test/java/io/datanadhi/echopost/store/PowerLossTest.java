package io.datanadhi.echopost.store;

import static io.datanadhi.echopost.store.StoreTesting.UNLIMITED;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Power cuts at random moments, seeded: concurrent appenders, a replayer marking records delivered
 * and checkpointing, segments rolling over and being deleted, now and then a failing disk operation; then the
 * power goes ({@link PowerLossFiles}). A fresh store on what the disk kept must hold every
 * acknowledged record that was not marked delivered, intact and in order, with nothing damaged
 * beyond a torn tail. Up to three cuts in a row, each on what the one before left, so that a cut
 * during recovery is covered too.
 *
 * <p>{@code -Dechopost.powerloss.seed=N} runs one scenario again (the threads interleave
 * differently each time, so a failure may take a few runs to come back; add
 * {@code -Dechopost.powerloss.trace=true} to see what the replayer read);
 * {@code -Dechopost.powerloss.scenarios=N} and {@code -Dechopost.powerloss.from=N} run others.
 */
class PowerLossTest {

    private static final Pattern BODY = Pattern.compile("E(\\d+)P(\\d+)T(\\d+)N(\\d+)B(\\d+)\\|(\\d+)\\|(.*)", Pattern.DOTALL);

    @TempDir
    Path temp;

    @Test
    void everyAcknowledgedRecordSurvivesAPowerCutAtAnyMoment() throws Exception {
        String only = System.getProperty("echopost.powerloss.seed");
        long first = only != null ? Long.parseLong(only) : Long.getLong("echopost.powerloss.from", 1);
        int scenarios = only != null ? 1 : Integer.getInteger("echopost.powerloss.scenarios", 400);
        Totals totals = new Totals();
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();
        for (long seed = first; seed < first + scenarios; seed++) {
            Path dir = temp.resolve("seed-" + seed);
            try {
                new Scenario(seed, dir, totals).run();
            } catch (Throwable e) {
                failures.add("seed " + seed + " (rerun with -Dechopost.powerloss.seed=" + seed + "): " + describe(e));
                if (failures.size() >= 5) {
                    break;
                }
            }
            deleteTree(dir);
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.printf("power loss: %d scenario(s), %d cut(s) (%d during recovery, %d after injected disk failures), "
                + "%d record(s) acknowledged, %d replayed from the cut disks, %d torn tail(s) cut, %d file(s) and "
                + "%d directory entr(ies) rolled back, in %d ms%n", scenarios, totals.cuts.get(),
                totals.cutsDuringOpen.get(), totals.cutsAfterFailures.get(), totals.acknowledged.get(),
                totals.replayed.get(), totals.tornTails.get(), totals.filesTorn.get(), totals.entriesLost.get(), millis);
        if (!failures.isEmpty()) {
            fail(failures.size() + " power-loss scenario(s) failed:\n" + String.join("\n", failures));
        }
    }

    /** The message, and where it came from unless it is one of ours. */
    private static String describe(Throwable e) {
        if (e instanceof AssertionError && e.getCause() == null) {
            return e.getMessage();
        }
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        return trace.toString();
    }

    static final class Totals {
        final AtomicLong cuts = new AtomicLong();
        final AtomicLong cutsDuringOpen = new AtomicLong();
        final AtomicLong cutsAfterFailures = new AtomicLong();
        final AtomicLong acknowledged = new AtomicLong();
        final AtomicLong replayed = new AtomicLong();
        final AtomicLong tornTails = new AtomicLong();
        final AtomicLong filesTorn = new AtomicLong();
        final AtomicLong entriesLost = new AtomicLong();
    }

    /** One seeded run: up to three epochs, each ended by a power cut. */
    private static final class Scenario {
        final long seed;
        final Random random;
        final Path disk;
        final Path verifyRoot;
        final Totals totals;
        final long segmentBytes;
        /** Every record acknowledged (stored=true), in any epoch. */
        final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        /** Records covered by a markDelivered call: these may be gone. */
        final Set<String> delivered = ConcurrentHashMap.newKeySet();
        final List<String> log = new ArrayList<>();

        Scenario(long seed, Path dir, Totals totals) {
            this.seed = seed;
            this.random = new Random(seed);
            this.disk = dir.resolve("disk");
            this.verifyRoot = dir.resolve("verify");
            this.totals = totals;
            this.segmentBytes = random.nextBoolean() ? 200 + random.nextInt(800) : 1000 + random.nextInt(4000);
        }

        void run() throws Exception {
            Files.createDirectories(disk);
            int epochs = 1 + random.nextInt(3);
            for (int epoch = 1; epoch <= epochs; epoch++) {
                epoch(epoch);
                verify(epoch);
            }
        }

        void epoch(int epoch) throws Exception {
            int when = random.nextInt(6);
            long cutAt = when == 0 ? Long.MAX_VALUE // after all the work
                    : when == 1 ? 1 + random.nextInt(20) // while recovering, or soon after
                    : 1 + random.nextInt(400);
            int failures = random.nextBoolean() ? 1 + random.nextInt(4) : 0;
            PowerLossFiles files = new PowerLossFiles(disk, new Random(random.nextLong()), cutAt, failures, 0.05);
            if (random.nextBoolean()) {
                files.cutSoonAfterFailure();
            }
            RecordedEvents events = new RecordedEvents();
            int phases = random.nextInt(4) == 0 ? 2 : 1; // now and then a clean restart within the epoch
            for (int phase = 1; phase <= phases && !files.isCut(); phase++) {
                Store store;
                files.newStore();
                try {
                    store = Store.open(disk.resolve("store"), files, UNLIMITED, events, () -> {}, segmentBytes);
                } catch (IOException e) {
                    if (!files.isCut()) {
                        throw e;
                    }
                    totals.cutsDuringOpen.incrementAndGet();
                    note("epoch " + epoch + ": cut while opening (" + e + ")");
                    break;
                }
                workload(store, files, epoch, phase, phase == phases);
            }
            files.cut();
            checkEvents("epoch " + epoch, events);
            if (!files.violations().isEmpty()) {
                throw new AssertionError("seed " + seed + ": " + files.violations());
            }
            PowerLossFiles.Damage damage = files.powerLoss();
            totals.cuts.incrementAndGet();
            totals.filesTorn.addAndGet(damage.filesTorn);
            totals.entriesLost.addAndGet(damage.entriesLost);
            if (files.injectedFailures() > 0) {
                totals.cutsAfterFailures.incrementAndGet();
            }
            note("epoch " + epoch + ": " + files.operations() + " operations, cutAt " + cutAt + ", "
                    + files.injectedFailures() + " injected failure(s), " + damage.filesTorn + " file(s) torn, "
                    + damage.entriesLost + " directory operation(s) undone " + damage.undone + "; events " + events);
        }

        /** Appenders and a replayer on one store, until the cut (or the end of the work and then the cut). */
        void workload(Store store, PowerLossFiles files, int epoch, int phase, boolean last) throws Exception {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> appenders = new ArrayList<>();
            int threads = 1 + random.nextInt(4);
            for (int t = 0; t < threads; t++) {
                long appenderSeed = random.nextLong();
                int thread = t;
                appenders.add(new Thread(() -> {
                    try {
                        append(store, files, new Random(appenderSeed), epoch, phase, thread);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "appender-" + t));
            }
            long replayerSeed = random.nextLong();
            AtomicBoolean stop = new AtomicBoolean();
            Thread replayer = new Thread(() -> {
                try {
                    replay(store, new Random(replayerSeed), stop);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "replayer");
            files.armFailures(true);
            appenders.forEach(Thread::start);
            replayer.start();
            for (Thread appender : appenders) {
                appender.join(60_000);
                if (appender.isAlive()) {
                    throw new TimeoutException("seed " + seed + ": an appender hung");
                }
            }
            if (last && random.nextBoolean()) {
                Thread.sleep(random.nextInt(5)); // the replayer goes on a little: the cut may meet it
            }
            stop.set(true);
            replayer.join(60_000);
            if (replayer.isAlive()) {
                throw new TimeoutException("seed " + seed + ": the replayer hung");
            }
            files.armFailures(false);
            if (last) {
                files.cut();
            }
            try {
                store.close();
            } catch (IOException e) {
                if (!files.isCut()) {
                    throw e;
                }
            }
            if (failure.get() != null) {
                throw new AssertionError("seed " + seed + ": " + failure.get(), failure.get());
            }
        }

        void append(Store store, PowerLossFiles files, Random random, int epoch, int phase, int thread)
                throws Exception {
            int appends = 3 + random.nextInt(40);
            for (int n = 0; n < appends; n++) {
                int size = 1 + (random.nextInt(5) == 0 ? random.nextInt(5) : 0);
                List<byte[]> batch = new ArrayList<>();
                List<String> ids = new ArrayList<>();
                for (int b = 0; b < size; b++) {
                    String id = "E" + epoch + "P" + phase + "T" + thread + "N" + n + "B" + b;
                    ids.add(id);
                    batch.add(body(id, random.nextInt(4) == 0 ? random.nextInt(600) : random.nextInt(60)));
                }
                AppendResult result = store.append(batch).get(30, TimeUnit.SECONDS);
                if (result.stored) {
                    acknowledged.addAll(ids);
                    totals.acknowledged.addAndGet(ids.size());
                } else if (files.isCut()) {
                    return;
                }
                if (random.nextInt(8) == 0) {
                    Thread.sleep(0, random.nextInt(200_000));
                }
            }
        }

        /** As the replayer does: read, mark delivered, checkpoint now and then, start a new reader now and then. */
        void replay(Store store, Random random, AtomicBoolean stop) throws Exception {
            int toDeliver = random.nextInt(3) == 0 ? Integer.MAX_VALUE : random.nextInt(200);
            SegmentReader reader = store.reader();
            long last = -1;
            List<String> read = new ArrayList<>();
            while (!stop.get()) {
                StoredRecord record;
                try {
                    record = reader.next();
                } catch (IOException e) {
                    return; // the power is gone
                }
                if (record == null) {
                    Thread.sleep(1);
                    continue;
                }
                if (record.sequence <= last) {
                    throw new AssertionError("reader went from sequence " + last + " to " + record.sequence);
                }
                last = record.sequence;
                String id = check(record);
                read.add(id);
                trace("read " + record.sequence + "=" + id);
                if (toDeliver > 0 && random.nextInt(3) > 0) {
                    toDeliver--;
                    delivered.addAll(read); // markDelivered covers everything read so far
                    read.clear();
                    try {
                        trace("markDelivered " + record.sequence);
                        store.markDelivered(record.sequence);
                        if (random.nextInt(10) == 0) {
                            store.checkpoint();
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
                if (random.nextInt(30) == 0) {
                    reader = store.reader(); // as the replayer does after a failed delivery
                    trace("new reader after " + store.delivered());
                    read.clear();
                    last = -1;
                }
            }
        }

        final boolean tracing = Boolean.getBoolean("echopost.powerloss.trace");

        void trace(String line) {
            if (tracing) {
                note("    " + line);
            }
        }

        void note(String line) {
            synchronized (log) {
                log.add(line);
            }
        }

        /** What a fresh store on a copy of the disk replays must include every undelivered acknowledged record. */
        void verify(int epoch) throws Exception {
            deleteTree(verifyRoot);
            copyTree(disk, verifyRoot);
            RecordedEvents events = new RecordedEvents();
            List<StoredRecord> records = new ArrayList<>();
            Store store = Store.open(verifyRoot.resolve("store"), new StoreFiles(), UNLIMITED, events, () -> {},
                    segmentBytes);
            try {
                SegmentReader reader = store.reader();
                StoredRecord record;
                while ((record = reader.next()) != null) {
                    records.add(record);
                }
            } finally {
                store.close();
            }
            note("verify after cut " + epoch + ": events " + events);
            checkEvents("after cut " + epoch, events);
            totals.replayed.addAndGet(records.size());
            totals.tornTails.addAndGet(events.named("torn_tail_truncated").size());

            Set<String> found = new HashSet<>();
            long lastSequence = Long.MIN_VALUE;
            long lastRound = 0;
            Map<String, Long> lastInThread = new HashMap<>();
            for (StoredRecord record : records) {
                String id = check(record);
                if (record.sequence <= lastSequence) {
                    throw failure("sequence " + record.sequence + " after " + lastSequence, records);
                }
                lastSequence = record.sequence;
                if (!found.add(id)) {
                    throw failure(id + " replayed twice", records);
                }
                Matcher m = BODY.matcher(new String(record.body, StandardCharsets.UTF_8));
                m.matches();
                long round = Long.parseLong(m.group(1)) * 10 + Long.parseLong(m.group(2));
                if (round < lastRound) {
                    throw failure(id + " after a record of a later epoch", records);
                }
                lastRound = round;
                String thread = m.group(1) + "/" + m.group(2) + "/" + m.group(3);
                long position = Long.parseLong(m.group(4)) * 100 + Long.parseLong(m.group(5));
                Long before = lastInThread.put(thread, position);
                if (before != null && before >= position) {
                    throw failure(id + " out of its appender's order", records);
                }
            }
            List<String> missing = new ArrayList<>();
            for (String id : acknowledged) {
                if (!delivered.contains(id) && !found.contains(id)) {
                    missing.add(id);
                }
            }
            if (!missing.isEmpty()) {
                missing.sort(Comparator.naturalOrder());
                throw failure(missing.size() + " acknowledged, undelivered record(s) lost after cut " + epoch + ": "
                        + missing.subList(0, Math.min(20, missing.size())), records);
            }
        }

        void checkEvents(String when, RecordedEvents events) {
            for (RecordedEvents.Event event : events.named("corrupt_segment")) {
                if (event.number("lost") > 0) {
                    throw failure(when + ": a segment older than the newest was damaged: " + event, null);
                }
            }
        }

        AssertionError failure(String what, List<StoredRecord> records) {
            StringBuilder text = new StringBuilder("seed " + seed + ", segments of " + segmentBytes + " bytes: " + what);
            synchronized (log) {
                for (String line : log) {
                    text.append("\n  ").append(line);
                }
            }
            text.append("\n  on the disk after the last cut: ").append(listing(disk));
            if (records != null) {
                text.append("\n  replayed:");
                for (StoredRecord record : records) {
                    String body = new String(record.body, StandardCharsets.UTF_8);
                    text.append(' ').append(record.sequence).append('=').append(body, 0, body.indexOf('|'));
                }
            }
            return new AssertionError(text.toString());
        }

        /** Names and sizes; segments with their first and last sequence. */
        String listing(Path root) {
            StringBuilder text = new StringBuilder();
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path path : (Iterable<Path>) walk.sorted()::iterator) {
                    if (Files.isRegularFile(path)) {
                        text.append(root.relativize(path)).append('(').append(Files.size(path));
                        if (path.toString().endsWith(Segment.END_SUFFIX)) {
                            byte[] bytes = Files.readAllBytes(path);
                            if (bytes.length == 8) {
                                text.append(", end ").append(ByteBuffer.wrap(bytes).getLong());
                            }
                        }
                        text.append(") ");
                    }
                }
            } catch (IOException e) {
                text.append(e);
            }
            return text.toString();
        }

        String check(StoredRecord record) {
            String body = new String(record.body, StandardCharsets.UTF_8);
            Matcher m = BODY.matcher(body);
            if (!m.matches() || !body.equals(new String(body(body.substring(0, body.indexOf('|')),
                    Integer.parseInt(m.group(6))), StandardCharsets.UTF_8))) {
                throw failure("record " + record.sequence + " is damaged: " + body, null);
            }
            return body.substring(0, body.indexOf('|'));
        }
    }

    /** {@code id|length|filler}: the filler follows from the id, so damage shows. */
    static byte[] body(String id, int length) {
        StringBuilder body = new StringBuilder(id).append('|').append(length).append('|');
        int h = id.hashCode();
        for (int i = 0; i < length; i++) {
            body.append((char) ('a' + Math.floorMod(h + i * 7, 26)));
        }
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path path : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(path);
            }
        }
    }

    @Test
    void theDiskModelLosesWhatWasNeverMadeDurable(@TempDir Path root) throws Exception {
        // The model itself: forced data and synced entries stay; the rest may go, and sometimes does.
        Path dir = root.resolve("d");
        boolean unforcedLost = false;
        boolean unforcedKept = false;
        boolean creationLost = false;
        boolean renameUndone = false;
        boolean deletionUndone = false;
        for (int seed = 0; seed < 60; seed++) {
            deleteTree(dir);
            Files.createDirectory(dir);
            Files.write(dir.resolve("checkpoint"), new byte[] {1});
            Files.write(dir.resolve("old"), new byte[] {9});
            PowerLossFiles files = new PowerLossFiles(root, new Random(seed), Long.MAX_VALUE, 0, 0);
            try (DurableFile kept = files.create(dir.resolve("kept"))) {
                kept.append(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                kept.force();
                files.forceDirectory(dir);
                kept.append(ByteBuffer.wrap(new byte[] {4, 5, 6}));
            }
            files.create(dir.resolve("never-synced")).close();
            try (DurableFile temp = files.create(dir.resolve("checkpoint.tmp"))) { // as the Ledger writes
                temp.append(ByteBuffer.wrap(new byte[] {2}));
                temp.force();
            }
            files.rename(dir.resolve("checkpoint.tmp"), dir.resolve("checkpoint"));
            files.delete(dir.resolve("old"));
            files.powerLoss();

            byte[] kept = Files.readAllBytes(dir.resolve("kept"));
            assertTrue(kept.length >= 3 && kept[0] == 1 && kept[1] == 2 && kept[2] == 3, "forced bytes stay");
            unforcedLost |= kept.length < 6 || kept[5] != 6;
            unforcedKept |= Arrays.equals(kept, new byte[] {1, 2, 3, 4, 5, 6});
            creationLost |= !Files.exists(dir.resolve("never-synced"));
            byte[] checkpoint = Files.readAllBytes(dir.resolve("checkpoint"));
            assertTrue(Arrays.equals(checkpoint, new byte[] {1}) || Arrays.equals(checkpoint, new byte[] {2}),
                    "the checkpoint is the old one or the new one, never anything else");
            renameUndone |= checkpoint[0] == 1;
            deletionUndone |= Files.exists(dir.resolve("old"));
        }
        assertTrue(unforcedLost && unforcedKept, "unforced bytes are lost in some cuts, kept in others");
        assertTrue(creationLost, "a file whose creation was never synced vanishes in some cuts");
        assertTrue(renameUndone, "an unsynced rename is undone in some cuts: the old checkpoint comes back");
        assertTrue(deletionUndone, "an unsynced deletion is undone in some cuts");

        // Once the directory is synced, the new checkpoint is there after every cut.
        for (int seed = 0; seed < 20; seed++) {
            PowerLossFiles files = new PowerLossFiles(root, new Random(seed), Long.MAX_VALUE, 0, 0);
            try (DurableFile temp = files.create(dir.resolve("checkpoint.tmp"))) {
                temp.append(ByteBuffer.wrap(new byte[] {(byte) (10 + seed)}));
                temp.force();
            }
            files.rename(dir.resolve("checkpoint.tmp"), dir.resolve("checkpoint"));
            files.forceDirectory(dir);
            files.powerLoss();
            assertTrue(Arrays.equals(Files.readAllBytes(dir.resolve("checkpoint")), new byte[] {(byte) (10 + seed)}));
            assertFalse(Files.exists(dir.resolve("checkpoint.tmp")));
        }
    }
}
