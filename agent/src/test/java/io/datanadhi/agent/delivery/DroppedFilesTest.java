package io.datanadhi.agent.delivery;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.diag.Counters.DropKind;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.record.CapturedRecord;
import io.datanadhi.agent.record.RecordWriter;
import io.datanadhi.agent.record.TestRecords;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The last resort for records: {@code dropped/<reason>_<epoch-ms>_<n>.jsonl}, owner-only. */
class DroppedFilesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("([a-z_]+)_(\\d+)_(\\d+)\\.jsonl");

    @TempDir
    Path dir;

    private final Counters counters = new Counters();

    @Test
    void writesOneFileNamedReasonEpochMillisAndSequence() throws IOException {
        DroppedFiles dropped = new DroppedFiles(dir, counters);
        long before = System.currentTimeMillis();
        dropped.write(DropKind.PRIMARY_FAILED, List.of(TestRecords.shipped("a", "p")));
        long after = System.currentTimeMillis();

        assertEquals(dir.resolve("dropped"), dropped.directory());
        List<Path> files = files(dropped.directory());
        assertEquals(1, files.size(), files.toString());
        Matcher m = NAME.matcher(files.get(0).getFileName().toString());
        assertTrue(m.matches(), files.get(0).toString());
        assertEquals("primary_failed", m.group(1));
        long millis = Long.parseLong(m.group(2));
        assertTrue(millis >= before && millis <= after, millis + " not in [" + before + ", " + after + "]");
    }

    @Test
    void aWorkerStoppedByAnInterruptStillWritesEveryRecordAndKeepsItsInterrupt() throws Exception {
        DroppedFiles dropped = new DroppedFiles(dir, counters);
        List<CapturedRecord> records = new java.util.ArrayList<>();
        for (int i = 0; i < 500; i++) {
            records.add(TestRecords.shipped("i-" + i, "p"));
        }
        java.util.concurrent.atomic.AtomicBoolean stillInterrupted = new java.util.concurrent.atomic.AtomicBoolean();
        Thread worker = new Thread(() -> {
            Thread.currentThread().interrupt(); // as the shutdown hook does to a worker
            dropped.write(DropKind.SHUTDOWN_UNSENT, records);
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        worker.start();
        worker.join(10_000);
        assertTrue(stillInterrupted.get(), "the interrupt is the caller's, kept for it");
        assertEquals(0, counters.lost());
        assertEquals(500, counters.dropped(DropKind.SHUTDOWN_UNSENT));
        List<Path> files = files(dropped.directory());
        assertEquals(1, files.size(), files.toString());
        assertEquals(500, messages(files.get(0)).size());
    }

    @Test
    void eachWriteGetsItsOwnFileWithARisingSequence() throws IOException {
        DroppedFiles dropped = new DroppedFiles(dir, counters);
        dropped.write(DropKind.QUEUE_FULL, List.of(TestRecords.shipped("a", "p")));
        dropped.write(DropKind.QUEUE_FULL, List.of(TestRecords.shipped("b", "p")));
        List<Path> files = files(dropped.directory());
        assertEquals(2, files.size());
        List<Long> sequences = files.stream().map(f -> {
            Matcher m = NAME.matcher(f.getFileName().toString());
            assertTrue(m.matches());
            return Long.parseLong(m.group(3));
        }).sorted().collect(Collectors.toList());
        assertNotEquals(sequences.get(0), sequences.get(1));
        assertEquals(List.of("a"), messages(fileWithSequence(files, sequences.get(0))));
        assertEquals(List.of("b"), messages(fileWithSequence(files, sequences.get(1))));
    }

    @Test
    void fileNamePrefixIsTheLowerCaseReason() {
        assertEquals("primary_failed", DroppedFiles.fileName(DropKind.PRIMARY_FAILED));
        assertEquals("fallback_failed", DroppedFiles.fileName(DropKind.FALLBACK_FAILED));
        assertEquals("drain_worker_failed", DroppedFiles.fileName(DropKind.DRAIN_WORKER_FAILED));
        assertEquals("queue_full", DroppedFiles.fileName(DropKind.QUEUE_FULL));
        assertEquals("shutdown_unsent", DroppedFiles.fileName(DropKind.SHUTDOWN_UNSENT));
    }

    @Test
    void oneEnvelopeLinePerRecordInOrder() throws IOException {
        DroppedFiles dropped = new DroppedFiles(dir, counters);
        List<CapturedRecord> records = List.of(
                TestRecords.shipped("first", "errors"),
                TestRecords.builder().message("second\nwith a newline").traceId(null).pipelines(List.of("a", "b")).build(),
                TestRecords.shipped("third", "errors"));
        dropped.write(DropKind.SHUTDOWN_UNSENT, records);

        Path file = files(dropped.directory()).get(0);
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(3, lines.size());
        for (int i = 0; i < records.size(); i++) {
            assertEquals(new String(RecordWriter.envelope(records.get(i)), StandardCharsets.UTF_8), lines.get(i));
            JsonNode line = JSON.readTree(lines.get(i));
            assertEquals(List.of("pipelines", "log_data"), List.copyOf(iterable(line.fieldNames())));
        }
        assertEquals(List.of("first", "second\nwith a newline", "third"), messages(file));
        assertTrue(Files.readString(file).endsWith("\n"));
    }

    @Test
    void directoryIsOwnerOnlyAndFilesAreReadableByTheOwnerOnly() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
        // Permission bits are checked, not access: this holds when running as root too.
        DroppedFiles dropped = new DroppedFiles(dir, counters);
        dropped.write(DropKind.PRIMARY_FAILED, List.of(TestRecords.shipped("a", "p")));

        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dropped.directory())));
        Path file = files(dropped.directory()).get(0);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void emptyBatchCreatesNothing() {
        DroppedFiles dropped = new DroppedFiles(dir, counters);
        dropped.write(DropKind.QUEUE_FULL, List.of());
        assertFalse(Files.exists(dropped.directory()), "not even the directory");
        assertEquals(0, counters.dropped(DropKind.QUEUE_FULL));
    }

    @Test
    void batchClosedWithoutRecordsLeavesNoFile() throws IOException {
        DroppedFiles dropped = new DroppedFiles(dir, counters);
        Path file;
        try (DroppedFiles.Batch batch = dropped.open(DropKind.QUEUE_FULL)) {
            file = batch.file();
            assertTrue(Files.exists(file));
        }
        assertFalse(Files.exists(file));
        assertEquals(List.of(), files(dropped.directory()));
    }

    @Test
    void batchAppendsAndCounts() throws IOException {
        DroppedFiles dropped = new DroppedFiles(dir, counters);
        Path file;
        try (DroppedFiles.Batch batch = dropped.open(DropKind.QUEUE_FULL)) {
            file = batch.file();
            batch.append(TestRecords.shipped("x", "p"));
            batch.append(TestRecords.shipped("y", "p"));
            assertEquals(2, batch.count());
        }
        assertEquals(List.of("x", "y"), messages(file));
        assertEquals(2, counters.dropped(DropKind.QUEUE_FULL));
    }

    @Test
    void countersCountRecordsPerReason() {
        DroppedFiles dropped = new DroppedFiles(dir, counters);
        dropped.write(DropKind.PRIMARY_FAILED, List.of(TestRecords.shipped("a", "p"), TestRecords.shipped("b", "p")));
        dropped.write(DropKind.PRIMARY_FAILED, List.of(TestRecords.shipped("c", "p")));
        dropped.write(DropKind.SHUTDOWN_UNSENT, List.of(TestRecords.shipped("d", "p")));
        assertEquals(3, counters.dropped(DropKind.PRIMARY_FAILED));
        assertEquals(1, counters.dropped(DropKind.SHUTDOWN_UNSENT));
        assertEquals(0, counters.dropped(DropKind.QUEUE_FULL));
        assertEquals(0, counters.lost());
    }

    @Test
    void unwritableDirectoryNeverThrowsAndCountsTheRecordsLost() throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        DroppedFiles dropped = new DroppedFiles(notADirectory, counters);
        List<String> lines = new CopyOnWriteArrayList<>();
        Consumer<String> listener = lines::add;
        Diagnostics.addListener(listener);
        Diagnostics.setOutput(new ByteArrayOutputStream());
        try {
            assertDoesNotThrow(() -> dropped.write(DropKind.PRIMARY_FAILED,
                    List.of(TestRecords.shipped("a", "p"), TestRecords.shipped("b", "p"))));
        } finally {
            Diagnostics.removeListener(listener);
            Diagnostics.setOutput(new FileOutputStream(FileDescriptor.err));
        }
        assertEquals(2, counters.lost());
        assertEquals(0, counters.dropped(DropKind.PRIMARY_FAILED));
        assertEquals(1, lines.size(), lines.toString());
        JsonNode line = JSON.readTree(lines.get(0));
        assertEquals("dropped_write_failed", line.get("event").textValue());
        assertEquals(2, line.get("count").intValue());
        assertEquals("primary_failed", line.get("reason").textValue());
    }

    // ---- Helpers.

    static List<Path> files(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(directory)) {
            return s.sorted().collect(Collectors.toList());
        }
    }

    static List<String> messages(Path file) throws IOException {
        List<String> messages = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            messages.add(JSON.readTree(line).get("log_data").get("message").textValue());
        }
        return messages;
    }

    private static Path fileWithSequence(List<Path> files, long sequence) {
        return files.stream().filter(f -> f.getFileName().toString().endsWith("_" + sequence + ".jsonl"))
                .findFirst().orElseThrow();
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
