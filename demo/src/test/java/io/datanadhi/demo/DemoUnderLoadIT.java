package io.datanadhi.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command while two threads hold both cores: the outage in the middle of the
 * demo is bridged by EchoPost (started on a busy machine, on a fresh directory) and nothing is
 * lost. Once on the build's JDK and once on the second JDK when the machine has it.
 */
class DemoUnderLoadIT {

    private static final Path SECOND_JDK = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");

    @TempDir
    Path dir;

    @Test
    void theDemoLosesNothingWhileBothCoresAreBusy() throws Exception {
        List<String> javas = new ArrayList<>(List.of(System.getProperty("it.java", "java")));
        if (Files.isExecutable(SECOND_JDK)) {
            javas.add(SECOND_JDK.toString());
        }
        for (String java : javas) {
            String output = runWhileBusy(java);
            assertTrue(output.contains("the shop exited with 0"), output);
            assertTrue(output.matches("(?s).*sent (\\d+), received \\1, lost 0\\b.*"), output);
            assertTrue(output.contains("echopost_started") || output.contains("EchoPost"), output);
        }
    }

    private String runWhileBusy(String java) throws Exception {
        Path out = dir.resolve("demo-" + Math.abs(java.hashCode()) + ".out");
        Spin spin = new Spin();
        List<Thread> spinners = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Thread thread = new Thread(spin, "busy-" + i);
            thread.setDaemon(true);
            thread.start();
            spinners.add(thread);
        }
        try {
            ProcessBuilder builder = new ProcessBuilder(java, "-jar", Path.of("target", "datanadhi-demo.jar").toString(),
                    "--orders", "10").redirectErrorStream(true).redirectOutput(out.toFile());
            builder.environment().keySet().removeIf(name -> name.startsWith("DATANADHI_") || name.equals("JAVA_TOOL_OPTIONS"));
            Process demo = builder.start();
            if (!demo.waitFor(180, TimeUnit.SECONDS)) {
                demo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("the demo did not end within 180 s:\n" + Files.readString(out));
            }
            String output = Files.readString(out, StandardCharsets.UTF_8);
            assertEquals(0, demo.exitValue(), output);
            return output;
        } finally {
            spin.stop = true;
            for (Thread thread : spinners) {
                thread.join();
            }
        }
    }

    /** Holds a core. */
    private static final class Spin implements Runnable {
        volatile boolean stop;

        @Override
        public void run() {
            long x = 1;
            while (!stop) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
            if (x == 42) {
                System.out.println();
            }
        }
    }
}
