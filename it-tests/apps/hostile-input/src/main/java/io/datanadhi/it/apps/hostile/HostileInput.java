package io.datanadhi.it.apps.hostile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What an application may hand its logging framework that misbehaves, shared by the sample apps'
 * {@code hostile} scenario, and the run of the cases: each case is followed by an ordinary event
 * and an {@code app: after <case> <phase>} line, so that a test sees the application went on.
 */
public final class HostileInput {

    /** Phases: at once (the agent is likely still starting), then once the agent is ready. */
    private static final String[] PHASES = {"early", "ready"};
    private static final long READY_TIMEOUT_MILLIS = 30_000;

    private HostileInput() {}

    /** Runs every case in each phase; {@code normalEvent} logs an ordinary INFO event with the given message. */
    public static void run(Map<String, Runnable> cases, Consumer<String> normalEvent) throws InterruptedException {
        for (String phase : PHASES) {
            if (phase.equals("ready")) {
                awaitAgentReady();
            }
            for (Map.Entry<String, Runnable> c : cases.entrySet()) {
                try {
                    c.getValue().run();
                } catch (Throwable t) {
                    // What the framework itself does: the test compares it with a run without the agent.
                    System.out.println("app: " + c.getKey() + " threw " + t.getClass().getName());
                }
                normalEvent.accept("after " + c.getKey() + " " + phase);
                System.out.println("app: after " + c.getKey() + " " + phase);
            }
        }
    }

    /** The agent writes its resolved rules once events flow through them; without the agent, no wait. */
    private static void awaitAgentReady() throws InterruptedException {
        String dir = System.getenv("DATANADHI_DIR");
        boolean agent = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .anyMatch(a -> a.startsWith("-javaagent:"));
        if (dir == null || !agent) {
            return;
        }
        Path resolved = Path.of(dir, ".rules.resolved.json");
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MILLIS;
        while (!Files.exists(resolved) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
    }

    /** An ordered map of cases, for the apps' {@code hostile} scenario. */
    public static Map<String, Runnable> cases() {
        return new LinkedHashMap<>();
    }

    public static Object throwingToString() {
        return new Object() {
            @Override
            public String toString() {
                throw new IllegalStateException("toString refuses");
            }
        };
    }

    /** A toString that calls itself until the stack overflows. */
    public static Object recursiveToString() {
        return new Object() {
            @Override
            public String toString() {
                return "again " + this;
            }
        };
    }

    /** About {@code megabytes} MB of text in UTF-8, mostly ASCII with multibyte characters and surrogate pairs. */
    public static String text(int megabytes) {
        String unit = "0123456789abc\u00e9\u20ac\ud83d\ude00";   // 13 + 2 + 3 + 4 = 22 bytes
        return unit.repeat(megabytes * 1024 * 1024 / 22);
    }

    public static Map<String, String> entries(int count) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            map.put("key" + i, "value" + i);
        }
        return map;
    }

    /** A list that holds itself ten times: copied naively to any depth, it never ends. */
    public static Object selfContainingList() {
        java.util.List<Object> list = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            list.add(list);
        }
        return list;
    }

    public static Throwable throwingGetMessage() {
        return new RuntimeException() {
            @Override
            public String getMessage() {
                throw new IllegalStateException("getMessage refuses");
            }
        };
    }

    /** a caused by b caused by a. */
    public static Throwable cyclicCauses() {
        RuntimeException a = new RuntimeException("cause cycle a");
        RuntimeException b = new RuntimeException("cause cycle b");
        a.initCause(b);
        b.initCause(a);
        return a;
    }

    /** An exception that is its own cause (getCause is overridable, initCause refuses itself). */
    public static Throwable ownCause() {
        return new RuntimeException("its own cause") {
            @Override
            public synchronized Throwable getCause() {
                return this;
            }
        };
    }

    /**
     * An exception among the suppressed of its own suppressed: addSuppressed refuses only itself
     * directly, and getSuppressed is final.
     */
    public static Throwable selfSuppressed() {
        RuntimeException a = new RuntimeException("suppression cycle a");
        RuntimeException b = new RuntimeException("suppression cycle b");
        a.addSuppressed(b);
        b.addSuppressed(a);
        return a;
    }
}
