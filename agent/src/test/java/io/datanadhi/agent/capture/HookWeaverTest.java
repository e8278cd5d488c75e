package io.datanadhi.agent.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.bootstrap.CaptureBridge;
import io.datanadhi.bootstrap.CaptureSink;
import io.datanadhi.bootstrap.CapturedEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bytecode the weaver inserts: the right bridge call with the right arguments on entry, a
 * matching call on every normal and exceptional exit, nothing else changed, and a class the JVM's
 * verifier accepts. Fixtures are woven and defined in a fresh class loader, then run for real.
 */
class HookWeaverTest {

    // ---- Fixtures: woven copies are called through these interfaces (loaded by the test's loader).

    public interface EntryApi {
        String log(long before, double ratio, String event);

        String log(String event);

        String other(long before, double ratio, String event);

        void fail(long before, Object event, RuntimeException toThrow);

        String catchesOwn(double ratio, Object event);

        long sum(long a, Object event, long b);

        double half(Object event, double value);

        int countDown(int n, Object event);

        long localsAcrossBranches(int n, Object event);
    }

    public static class EntryFixture implements EntryApi {
        @Override
        public String log(long before, double ratio, String event) {
            return event + ":" + before + ":" + ratio;
        }

        @Override
        public String log(String event) {
            return "overload " + event;
        }

        @Override
        public String other(long before, double ratio, String event) {
            return "other " + event;
        }

        @Override
        public void fail(long before, Object event, RuntimeException toThrow) {
            if (before >= 0) {
                throw toThrow;
            }
        }

        @Override
        public String catchesOwn(double ratio, Object event) {
            try {
                if (ratio > 0) {
                    throw new IllegalStateException("own");
                }
                return "not thrown";
            } catch (IllegalStateException e) {
                return "caught " + e.getMessage();
            } finally {
                ratio = -1;
            }
        }

        @Override
        public long sum(long a, Object event, long b) {
            return a + b;
        }

        @Override
        public double half(Object event, double value) {
            return value / 2;
        }

        @Override
        public int countDown(int n, Object event) {
            do {
                n--;
            } while (n > 0);
            return n;
        }

        /** Locals of every width declared in the body, live across branches: frames that list them. */
        @Override
        public long localsAcrossBranches(int n, Object event) {
            long total = 0;
            for (int i = 0; i < n; i++) {
                double x = i * 0.5;
                if (x > 1) {
                    String text = "a" + i;
                    total += text.length();
                } else {
                    total += (long) x;
                }
            }
            return total;
        }
    }

    public interface ExitApi {
        void publish(int level, List<String> event);

        void publishAndFail(double ratio, List<String> event, RuntimeException toThrow);
    }

    public static class ExitFixture implements ExitApi {
        @Override
        public void publish(int level, List<String> event) {
            event.add("body ran at level " + level);
        }

        @Override
        public void publishAndFail(double ratio, List<String> event, RuntimeException toThrow) {
            event.add("body ran");
            throw toThrow;
        }
    }

    public static class StaticFixture {
        public static String log(double ratio, long count, Object event) {
            return "static " + event + " " + ratio + " " + count;
        }

        public static long exitLog(long count, List<String> event) {
            event.add("static body ran");
            return count + 1;
        }
    }

    public interface ForwardApi {
        String forward(String marker, Object event);
    }

    public static class ForwardFixture implements ForwardApi {
        @Override
        public String forward(String marker, Object event) {
            return marker + event;
        }
    }

    /** Abstract methods have no code to weave. */
    public abstract static class AbstractFixture {
        public abstract String log(long before, double ratio, String event);
    }

    // ---- Recording sink.

    static final class Capture {
        final String framework;
        final Object event;
        final Object logger;
        final List<String> eventContentAtCapture;

        @SuppressWarnings("unchecked")
        Capture(String framework, Object event, Object logger) {
            this.framework = framework;
            this.event = event;
            this.logger = logger;
            eventContentAtCapture = event instanceof List ? new ArrayList<>((List<String>) event) : null;
        }
    }

    private final List<Capture> captures = new CopyOnWriteArrayList<>();
    private final CaptureSink sink = (scratch, framework, event, logger) -> {
        assertNull(scratch.event, "the thread's scratch event arrives empty");
        captures.add(new Capture(framework, event, logger));
    };

    @BeforeEach
    void installSink() {
        CaptureBridge.install(sink);
    }

    @AfterEach
    void uninstallSink() {
        CaptureBridge.install(null);
        // A failed test may leave this thread inside a hook; extra exits clamp at depth 0, so
        // this returns the thread to a clean state and one failure does not cascade.
        Object state = CaptureBridge.enterOuter();
        for (int i = 0; i < 17; i++) {
            CaptureBridge.exit(state);
        }
    }

    private static final String ENTRY_TYPE = EntryFixture.class.getName();
    private static final String LOG_DESCRIPTOR = "(JDLjava/lang/String;)Ljava/lang/String;";

    private static List<HookPoint> entryPoints() {
        return List.of(
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, "fw-log", ENTRY_TYPE, "log", LOG_DESCRIPTOR, 2),
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, "fw-fail", ENTRY_TYPE, "fail",
                        "(JLjava/lang/Object;Ljava/lang/RuntimeException;)V", 1),
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, "fw-catch", ENTRY_TYPE, "catchesOwn",
                        "(DLjava/lang/Object;)Ljava/lang/String;", 1),
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, "fw-sum", ENTRY_TYPE, "sum",
                        "(JLjava/lang/Object;J)J", 1),
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, "fw-half", ENTRY_TYPE, "half",
                        "(Ljava/lang/Object;D)D", 0),
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, "fw-loop", ENTRY_TYPE, "countDown",
                        "(ILjava/lang/Object;)I", 1),
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, "fw-locals", ENTRY_TYPE, "localsAcrossBranches",
                        "(ILjava/lang/Object;)J", 1));
    }

    private static EntryApi wovenEntryFixture() throws Exception {
        return (EntryApi) newInstance(weaveAndDefine(EntryFixture.class, entryPoints()));
    }

    private static ExitApi wovenExitFixture() throws Exception {
        String type = ExitFixture.class.getName();
        return (ExitApi) newInstance(weaveAndDefine(ExitFixture.class, List.of(
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_EXIT, "fw-exit", type, "publish",
                        "(ILjava/util/List;)V", 1),
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_EXIT, "fw-exit-fail", type, "publishAndFail",
                        "(DLjava/util/List;Ljava/lang/RuntimeException;)V", 1))));
    }

    // ---- Capture on entry.

    @Test
    void captureOnEntryPassesFrameworkEventParameterAndThis() throws Exception {
        EntryApi fixture = wovenEntryFixture();
        String result = fixture.log(7L, 0.5, "the-event");

        assertEquals("the-event:7:0.5", result, "the method's own result is unchanged");
        assertEquals(1, captures.size());
        Capture c = captures.get(0);
        assertEquals("fw-log", c.framework);
        assertEquals("the-event", c.event, "the event parameter, found after a long and a double");
        assertSame(fixture, c.logger, "this is passed as the logger");
    }

    @Test
    void eventSlotAccountsForWideParametersBeforeIt() throws Exception {
        EntryApi fixture = wovenEntryFixture();
        Object event = new Object();
        assertEquals(5L, fixture.sum(2L, event, 3L));
        assertEquals(2.5, fixture.half(event, 5.0));
        assertEquals(2, captures.size());
        assertSame(event, captures.get(0).event);
        assertEquals("fw-sum", captures.get(0).framework);
        assertSame(event, captures.get(1).event);
        assertEquals("fw-half", captures.get(1).framework);
    }

    @Test
    void entryHookIsBalancedByAnExitOnNormalReturn() throws Exception {
        EntryApi fixture = wovenEntryFixture();
        assertBalanced(() -> fixture.log(1L, 1.0, "e"));
        assertBalanced(() -> fixture.sum(1L, "e", 2L));
        assertBalanced(() -> fixture.half("e", 2.0));
    }

    @Test
    void exceptionPropagatesUnchangedAndTheExitStillRuns() throws Exception {
        EntryApi fixture = wovenEntryFixture();
        IllegalArgumentException thrown = new IllegalArgumentException("from the method");

        IllegalArgumentException seen = assertThrows(IllegalArgumentException.class,
                () -> fixture.fail(1L, "failing-event", thrown));
        assertSame(thrown, seen);
        assertEquals(1, captures.size());
        assertEquals("fw-fail", captures.get(0).framework);
        assertEquals("failing-event", captures.get(0).event);

        assertBalanced(() -> {
            try {
                fixture.fail(1L, "e", thrown);
            } catch (IllegalArgumentException expected) {
                return;
            }
            throw new AssertionError("the exception did not propagate");
        });
    }

    @Test
    void methodsOwnTryCatchStillCatchesItsExceptions() throws Exception {
        EntryApi fixture = wovenEntryFixture();
        assertEquals("caught own", fixture.catchesOwn(1.0, "e"));
        assertEquals(1, captures.size());
        assertEquals("fw-catch", captures.get(0).framework);
        assertBalanced(() -> fixture.catchesOwn(1.0, "e"));
    }

    @Test
    void aLoopAtTheMethodsStartDoesNotRepeatTheEntryHook() throws Exception {
        EntryApi fixture = wovenEntryFixture();
        assertEquals(0, fixture.countDown(5, "looping"));
        assertEquals(1, captures.size());
        assertBalanced(() -> fixture.countDown(3, "e"));
    }

    @Test
    void theMethodsOwnLocalsKeepTheirValuesNextToTheHooksState() throws Exception {
        EntryApi fixture = wovenEntryFixture();
        // i = 0..5: x = 0, 0.5, 1 add 0, 0, 1; x = 1.5, 2, 2.5 add the length of "a3", "a4", "a5".
        assertEquals(7L, fixture.localsAcrossBranches(6, "locals"));
        assertEquals(1, captures.size());
        assertEquals("fw-locals", captures.get(0).framework);
        assertBalanced(() -> fixture.localsAcrossBranches(4, "e"));
    }

    @Test
    void methodsNotMatchingNameAndDescriptorAreUntouched() throws Exception {
        EntryApi fixture = wovenEntryFixture();
        assertEquals("overload x", fixture.log("x"));
        assertEquals("other x", fixture.other(1L, 1.0, "x"));
        assertTrue(captures.isEmpty(), "same name, other descriptor / same descriptor, other name");
        assertBalanced(() -> fixture.log("x"));
        assertBalanced(() -> fixture.other(1L, 1.0, "x"));
    }

    // ---- Capture on exit.

    @Test
    void captureOnExitPassesTheEventAfterTheBodyRan() throws Exception {
        ExitApi fixture = wovenExitFixture();
        List<String> event = new ArrayList<>();
        fixture.publish(3, event);

        assertEquals(1, captures.size());
        Capture c = captures.get(0);
        assertEquals("fw-exit", c.framework);
        assertSame(event, c.event);
        assertSame(fixture, c.logger);
        assertEquals(List.of("body ran at level 3"), c.eventContentAtCapture, "captured on the way out");
        assertBalanced(() -> fixture.publish(1, new ArrayList<>()));
    }

    @Test
    void captureOnExitAlsoCapturesWhenTheMethodThrows() throws Exception {
        ExitApi fixture = wovenExitFixture();
        List<String> event = new ArrayList<>();
        IllegalStateException thrown = new IllegalStateException("handler failed");

        IllegalStateException seen = assertThrows(IllegalStateException.class,
                () -> fixture.publishAndFail(0.25, event, thrown));
        assertSame(thrown, seen);
        assertEquals(1, captures.size());
        assertEquals("fw-exit-fail", captures.get(0).framework);
        assertSame(event, captures.get(0).event);
        assertEquals(List.of("body ran"), captures.get(0).eventContentAtCapture);
        assertBalanced(() -> {
            try {
                fixture.publishAndFail(0.25, new ArrayList<>(), thrown);
            } catch (IllegalStateException expected) {
                return;
            }
            throw new AssertionError("the exception did not propagate");
        });
    }

    @Test
    void captureOnExitNestedInAnotherOuterHookDoesNotCapture() throws Exception {
        ExitApi fixture = wovenExitFixture();
        Object outer = CaptureBridge.enterOuter();
        fixture.publish(1, new ArrayList<>());
        assertTrue(captures.isEmpty(), "not the outermost hook");
        CaptureBridge.exitOuter(outer, "outer", "outer-event", null);
        assertEquals(1, captures.size());
        assertEquals("outer-event", captures.get(0).event, "the woven method left exactly one level");
    }

    // ---- Static methods.

    @Test
    void staticMethodsPassNullAsTheLogger() throws Exception {
        String type = StaticFixture.class.getName();
        Class<?> woven = weaveAndDefine(StaticFixture.class, List.of(
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, "fw-static", type, "log",
                        "(DJLjava/lang/Object;)Ljava/lang/String;", 2),
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_EXIT, "fw-static-exit", type, "exitLog",
                        "(JLjava/util/List;)J", 1)));
        Method log = woven.getMethod("log", double.class, long.class, Object.class);
        Method exitLog = woven.getMethod("exitLog", long.class, List.class);

        assertEquals("static e 1.5 9", invoke(log, 1.5, 9L, "e"));
        List<String> event = new ArrayList<>();
        assertEquals(5L, invoke(exitLog, 4L, event));

        assertEquals(2, captures.size());
        assertEquals("fw-static", captures.get(0).framework);
        assertEquals("e", captures.get(0).event);
        assertNull(captures.get(0).logger);
        assertEquals("fw-static-exit", captures.get(1).framework);
        assertSame(event, captures.get(1).event);
        assertNull(captures.get(1).logger);
        assertEquals(List.of("static body ran"), captures.get(1).eventContentAtCapture);
        assertBalanced(() -> invoke(log, 1.0, 1L, "e"));
        assertBalanced(() -> invoke(exitLog, 1L, new ArrayList<String>()));
    }

    // ---- Forwarded.

    @Test
    void forwardedOnlyMarksTheEnclosingEvent() throws Exception {
        String type = ForwardFixture.class.getName();
        ForwardApi fixture = (ForwardApi) newInstance(weaveAndDefine(ForwardFixture.class, List.of(
                HookPoint.forwarded("fw-forward", type, "forward", "(Ljava/lang/String;Ljava/lang/Object;)Ljava/lang/String;"))));

        assertEquals("m-e", fixture.forward("m-", "e"));
        assertTrue(captures.isEmpty(), "a forwarded entry never captures by itself");

        // Inside an outer hook, the event counts as handed to another framework.
        Object outer = CaptureBridge.enterOuter();
        fixture.forward("m-", "e");
        CaptureBridge.exitOuter(outer, "outer", "outer-event", null);
        assertTrue(captures.isEmpty(), "the outer hook saw the forward mark");

        // And it leaves the depth alone.
        assertBalanced(() -> fixture.forward("m-", "e"));
    }

    // ---- Capture before a call (Logback's callAppenders, before its first logger's appenders).

    public interface ChainApi {
        int callAppenders(List<String> event);

        int callAppendersOnly(List<String> event);

        int callNobody(List<String> event);
    }

    /** Shaped like Logback's Logger: the event goes up a chain of loggers, one call each. */
    public static class ChainFixture implements ChainApi {
        private final ChainFixture parent;

        public ChainFixture() {
            this(new ChainFixture(new ChainFixture(null)));
        }

        ChainFixture(ChainFixture parent) {
            this.parent = parent;
        }

        @Override
        public int callAppenders(List<String> event) {
            event.add("entry"); // what another agent's code on entry does: a tracer putting its ids in the MDC
            int writes = 0;
            for (ChainFixture logger = this; logger != null; logger = logger.parent) {
                writes += logger.appendLoop(event);
            }
            return writes;
        }

        @Override
        public int callAppendersOnly(List<String> event) {
            int writes = 0;
            for (ChainFixture logger = this; logger != null; logger = logger.parent) {
                writes += logger.appendLoop(event);
            }
            return writes;
        }

        @Override
        public int callNobody(List<String> event) {
            event.add("entry");
            return 0;
        }

        private int appendLoop(List<String> event) {
            event.add("appended");
            return 1;
        }
    }

    private static ChainApi wovenChainFixture() throws Exception {
        String type = ChainFixture.class.getName();
        String owner = type.replace('.', '/');
        return (ChainApi) newInstance(weaveAndDefine(ChainFixture.class, List.of(
                HookPoint.captureBeforeCall("fw-chain", type, "callAppenders", "(Ljava/util/List;)I", 0,
                        owner, "appendLoop", "(Ljava/util/List;)I"),
                HookPoint.captureBeforeCall("fw-only", type, "callAppendersOnly", "(Ljava/util/List;)I", 0,
                        owner, "appendLoop", "(Ljava/util/List;)I"),
                HookPoint.captureBeforeCall("fw-nobody", type, "callNobody", "(Ljava/util/List;)I", 0,
                        owner, "appendLoop", "(Ljava/util/List;)I"))));
    }

    @Test
    void captureBeforeACallSeesWhatTheMethodsEntryDidAndCapturesOncePerEvent() throws Exception {
        ChainApi fixture = wovenChainFixture();
        List<String> event = new ArrayList<>();
        assertEquals(3, fixture.callAppenders(event), "the method's own result is unchanged");
        assertEquals(List.of("entry", "appended", "appended", "appended"), event);
        assertEquals(1, captures.size(), "three loggers, one capture");
        assertEquals("fw-chain", captures.get(0).framework);
        assertSame(fixture, captures.get(0).logger);
        assertEquals(List.of("entry"), captures.get(0).eventContentAtCapture,
                "captured after the entry's code and before the first appender");
        assertBalanced(() -> fixture.callAppenders(new ArrayList<>()));
    }

    @Test
    void captureBeforeACallThatNothingPrecedesIsOnEntry() throws Exception {
        // The framework's own method: no other agent's code on entry, so capturing there is the same.
        ChainApi fixture = wovenChainFixture();
        List<String> event = new ArrayList<>();
        assertEquals(3, fixture.callAppendersOnly(event));
        assertEquals(1, captures.size());
        assertEquals("fw-only", captures.get(0).framework);
        assertEquals(List.of(), captures.get(0).eventContentAtCapture, "on entry");
        assertBalanced(() -> fixture.callAppendersOnly(new ArrayList<>()));
    }

    @Test
    void captureBeforeACallThatIsNotThereIsOnEntry() throws Exception {
        ChainApi fixture = wovenChainFixture();
        assertEquals(0, fixture.callNobody(new ArrayList<>()));
        assertEquals(1, captures.size());
        assertEquals(List.of(), captures.get(0).eventContentAtCapture, "on entry, as before");
        assertBalanced(() -> fixture.callNobody(new ArrayList<>()));
    }

    // ---- What is not woven.

    @Test
    void weaveReturnsNullWhenNoMethodMatches() throws Exception {
        byte[] original = bytesOf(EntryFixture.class);
        assertNull(HookWeaver.weave(original, List.of(
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, "fw", ENTRY_TYPE, "missing", LOG_DESCRIPTOR, 2),
                HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, "fw", ENTRY_TYPE, "log",
                        "(Ljava/lang/Object;)Ljava/lang/String;", 0))));
        assertNull(HookWeaver.weave(original, List.of()));
    }

    @Test
    void abstractMethodsAreNotWoven() throws Exception {
        assertNull(HookWeaver.weave(bytesOf(AbstractFixture.class), List.of(HookPoint.capture(
                HookPoint.Kind.CAPTURE_ON_ENTRY, "fw", AbstractFixture.class.getName(), "log", LOG_DESCRIPTOR, 2))));
        assertNull(HookWeaver.weave(bytesOf(EntryApi.class), entryPoints()));
    }

    @Test
    void everyMethodWovenWithEveryKindPassesTheVerifier() throws Exception {
        // Defining and initializing the class runs the JVM's split verifier over every method,
        // including the added handler and its stack map frame.
        for (Class<?> fixture : List.of(EntryFixture.class, ExitFixture.class, StaticFixture.class)) {
            for (HookPoint.Kind kind : HookPoint.Kind.values()) {
                List<HookPoint> points = new ArrayList<>();
                for (Method m : fixture.getDeclaredMethods()) {
                    int event = firstReferenceParameter(m);
                    if (kind == HookPoint.Kind.FORWARDED) {
                        points.add(HookPoint.forwarded("fw", fixture.getName(), m.getName(), descriptor(m)));
                    } else if (kind == HookPoint.Kind.CAPTURE_BEFORE_CALL && event >= 0) {
                        // Before a call made with operands already on the stack (string concatenation).
                        points.add(HookPoint.captureBeforeCall("fw", fixture.getName(), m.getName(), descriptor(m),
                                event, "java/lang/StringBuilder", "append",
                                "(Ljava/lang/String;)Ljava/lang/StringBuilder;"));
                    } else if (event >= 0) {
                        points.add(HookPoint.capture(kind, "fw", fixture.getName(), m.getName(), descriptor(m), event));
                    }
                }
                Class<?> woven = weaveAndDefine(fixture, points);
                assertSame(woven, Class.forName(woven.getName(), true, woven.getClassLoader()), kind.toString());
            }
        }
    }

    // ---- Helpers.

    /**
     * Runs the woven call inside an enclosing claimed event and checks that the call left the
     * thread exactly as it found it: no missing exit (which would leave the depth raised) and no
     * extra exit (which would end the enclosing event early and let the probe be captured).
     */
    private void assertBalanced(ThrowingRunnable wovenCall) throws Exception {
        captures.clear();
        Object enclosing = CaptureBridge.enter("test", "enclosing", null);
        try {
            wovenCall.run();
            CaptureBridge.exit(CaptureBridge.enter("test", "probe", null));
        } finally {
            CaptureBridge.exit(enclosing);
        }
        CaptureBridge.exitOuter(CaptureBridge.enterOuter(), "test", "after", null);
        List<Object> events = new ArrayList<>();
        for (Capture c : captures) {
            events.add(c.event);
        }
        captures.clear();
        assertEquals(List.of("enclosing", "after"), events,
                "a probe captured means an extra exit; 'after' missing means a missing exit");
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static Object invoke(Method method, Object... args) throws Exception {
        try {
            return method.invoke(null, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw e;
        }
    }

    private static int firstReferenceParameter(Method m) {
        Class<?>[] types = m.getParameterTypes();
        for (int i = 0; i < types.length; i++) {
            if (!types[i].isPrimitive()) {
                return i;
            }
        }
        return -1;
    }

    private static String descriptor(Method m) {
        StringBuilder b = new StringBuilder("(");
        for (Class<?> p : m.getParameterTypes()) {
            b.append(net.bytebuddy.jar.asm.Type.getDescriptor(p));
        }
        return b.append(')').append(net.bytebuddy.jar.asm.Type.getDescriptor(m.getReturnType())).toString();
    }

    private static Object newInstance(Class<?> type) throws Exception {
        return type.getDeclaredConstructor().newInstance();
    }

    static byte[] bytesOf(Class<?> type) {
        String resource = type.getName().substring(type.getName().lastIndexOf('.') + 1) + ".class";
        try (InputStream in = type.getResourceAsStream(resource)) {
            assertNotNull(in, resource);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Weaves the fixture's bytes and defines them, under the fixture's own name, in a new loader. */
    private static Class<?> weaveAndDefine(Class<?> fixture, List<HookPoint> points) throws Exception {
        byte[] woven = HookWeaver.weave(bytesOf(fixture), points);
        assertNotNull(woven, "no method of " + fixture.getName() + " was woven");
        Class<?> defined = new WovenLoader(HookWeaverTest.class.getClassLoader(), fixture.getName(), woven)
                .loadClass(fixture.getName());
        assertTrue(defined != fixture && defined.getClassLoader() instanceof WovenLoader, "the woven copy is used");
        return defined;
    }

    /** Defines one class itself; everything else (the fixture's interface, the bridge) from the parent. */
    static final class WovenLoader extends ClassLoader {
        private final String name;
        private final byte[] bytes;

        WovenLoader(ClassLoader parent, String name, byte[] bytes) {
            super(parent);
            this.name = name;
            this.bytes = bytes;
        }

        @Override
        protected Class<?> loadClass(String className, boolean resolve) throws ClassNotFoundException {
            if (!className.equals(name)) {
                return super.loadClass(className, resolve);
            }
            synchronized (getClassLoadingLock(className)) {
                Class<?> loaded = findLoadedClass(className);
                if (loaded == null) {
                    loaded = defineClass(className, bytes, 0, bytes.length);
                }
                if (resolve) {
                    resolveClass(loaded);
                }
                return loaded;
            }
        }
    }
}
