package io.datanadhi.agent.delivery;

import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.record.CapturedRecord;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The {@code stdout: true} action: the record as one JSON line on the process's standard
 * output. It writes to file descriptor 1 directly, so an application that redirects
 * {@code System.out} into its logging does not capture the agent's lines again.
 */
public final class StdoutPrinter {

    private final OutputStream out;
    private final Counters counters;

    public StdoutPrinter(Counters counters) {
        this(new FileOutputStream(FileDescriptor.out), counters);
    }

    StdoutPrinter(OutputStream out, Counters counters) {
        this.out = out;
        this.counters = counters;
    }

    public void print(CapturedRecord record) {
        byte[] line = record.logData();
        synchronized (this) {
            try {
                out.write(line);
                out.write('\n');
                out.flush();
                counters.countPrinted();
            } catch (IOException e) {
                // Standard output closed: nothing useful to do, and never the application's problem.
            }
        }
    }
}
