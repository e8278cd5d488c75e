package io.datanadhi.agent.capture;

import io.datanadhi.agent.AgentThreads;
import java.io.InputStream;
import java.util.List;

/**
 * Weaves a small class of the agent's own, once, on a thread of the agent's started in premain,
 * so that the weaver's classes (ByteBuddy's ASM, about 30) are loaded and verified there and not
 * on the application's thread that first loads a logging framework's class: that thread then
 * mostly only weaves (JUL's {@code Logger} on a hello-world application: 14 ms of its main thread
 * before, 8 of them loading classes; 7 ms after). The woven bytes are thrown away.
 */
final class WeaverWarmUp {

    private static final String TARGET = "io.datanadhi.agent.capture.WeaverWarmUp$Target";

    private WeaverWarmUp() {}

    /** Never throws: the warm-up is optional, and premain goes on without it. */
    static void start() {
        try {
            AgentThreads.newThread("datanadhi-warm-up", new Runnable() {
                @Override
                public void run() {
                    weave();
                }
            }).start();
        } catch (Throwable t) {
            // no thread to spare: the first real weave loads the classes itself
        }
    }

    /** The target woven, or null (for tests); never throws. */
    static byte[] weave() {
        try (InputStream in = WeaverWarmUp.class.getClassLoader()
                .getResourceAsStream(TARGET.replace('.', '/') + ".class")) {
            if (in == null) {
                return null;
            }
            return HookWeaver.weave(in.readAllBytes(), List.of(
                    HookPoint.capture(HookPoint.Kind.CAPTURE_ON_EXIT, "warm-up", TARGET, "log", "(Ljava/lang/Object;)V", 0),
                    HookPoint.captureBeforeCall("warm-up", TARGET, "callAppenders", "(Ljava/lang/Object;)V", 0,
                            TARGET.replace('.', '/'), "append", "(Ljava/lang/Object;)I"),
                    HookPoint.forwarded("warm-up", TARGET, "forward", "(Ljava/lang/Object;)V")));
        } catch (Throwable t) {
            return null; // only a warm-up: the real weave reports its own problems
        }
    }

    /**
     * Shaped like the methods the hooks are put into: a capture on exit, a capture before a call
     * in a loop that other code precedes, a forwarding entry.
     */
    @SuppressWarnings("unused")
    static final class Target {
        private int count;

        void log(Object event) {
            if (event != null) {
                count++;
            }
        }

        void callAppenders(Object event) {
            count += event.hashCode() & 1; // a call before the loop's, as another agent's entry code makes
            for (int i = 0; i < 2; i++) {
                count += append(event);
            }
        }

        int append(Object event) {
            return event == null ? 0 : 1;
        }

        void forward(Object event) {
            log(event);
        }
    }
}
