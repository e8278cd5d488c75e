package io.datanadhi.agent.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.record.TestRecords;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue's overflow to {@code dropped/queue_full_*}: at exit, each record written or counted lost. */
class OverflowSpillerTest {

    @TempDir
    Path dir;

    private final Counters counters = new Counters();
    private final List<String> diagnostics = new CopyOnWriteArrayList<>();
    private final Consumer<String> listener = diagnostics::add;

    @BeforeEach
    void quietDiagnostics() {
        Diagnostics.addListener(listener);
        Diagnostics.setOutput(new ByteArrayOutputStream());
    }

    @AfterEach
    void restoreDiagnostics() {
        Diagnostics.removeListener(listener);
        Diagnostics.setOutput(new FileOutputStream(FileDescriptor.err));
    }

    @Test
    void whatIsBufferedIsWrittenWhenThereIsTime() throws IOException {
        OverflowSpiller spiller = new OverflowSpiller(1_000, new DroppedFiles(dir, counters), new StdoutPrinter(counters),
                counters);
        spiller.start();
        for (int i = 0; i < 1_000; i++) {
            spiller.spill(TestRecords.shipped("r-" + i, "p"));
        }
        spiller.close(30_000);
        assertEquals(1_000, writtenOnce().size());
        assertEquals(0, counters.lost());
    }

    @Test
    void outOfTimeAtExitWhatIsNotWrittenIsCountedLostNotLeftBehind() throws Exception {
        int records = 200_000;
        OverflowSpiller spiller = new OverflowSpiller(records, new DroppedFiles(dir, counters), new StdoutPrinter(counters),
                counters);
        for (int i = 0; i < records; i++) {
            spiller.spill(TestRecords.shipped("r-" + i, "p"));
        }
        spiller.start();
        spiller.close(1); // far less than 200 000 records take to write
        Set<String> written = writtenOnce();
        Thread.sleep(500);
        assertEquals(written, writtenOnce(), "nothing written after close returned");
        assertTrue(counters.lost() > 0, "lost " + counters.lost());
        assertEquals(records, written.size() + counters.lost(), "each record written once or counted lost");
        assertTrue(diagnostics.stream().anyMatch(l -> l.contains("\"event\":\"records_lost\"")
                && l.contains("within async.exit_timeout")), diagnostics.toString());
    }

    /** The messages in {@code dropped/}, each once (fails on a repeat). */
    private Set<String> writtenOnce() throws IOException {
        Set<String> messages = new HashSet<>();
        for (Path file : DroppedFilesTest.files(dir.resolve("dropped"))) {
            for (String message : DroppedFilesTest.messages(file)) {
                assertTrue(messages.add(message), "twice: " + message);
            }
        }
        return messages;
    }
}
