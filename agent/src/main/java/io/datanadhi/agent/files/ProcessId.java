package io.datanadhi.agent.files;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This JVM's process id, for the names of the files it writes. Read from {@code /proc/self} where
 * there is one: {@code ProcessHandle}'s first use starts the JDK's process reaper machinery
 * (lambdas and method handles: about 10 ms of the agent's start on JDK 25), which the agent
 * otherwise never needs.
 */
public final class ProcessId {
    private static volatile long known;

    private ProcessId() {}

    public static long current() {
        long pid = known;
        if (pid == 0) {
            pid = lookUp();
            known = pid;
        }
        return pid;
    }

    private static long lookUp() {
        try {
            // A link to /proc/<pid> as this process's own procfs (its PID namespace) sees it.
            long pid = Long.parseLong(Files.readSymbolicLink(Path.of("/proc/self")).toString());
            if (pid > 0) {
                return pid;
            }
        } catch (Exception e) {
            // no procfs (macOS, Windows), or not readable: the JDK's way
        }
        return ProcessHandle.current().pid();
    }
}
