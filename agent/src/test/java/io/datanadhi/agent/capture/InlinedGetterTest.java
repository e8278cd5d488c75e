package io.datanadhi.agent.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InlinedGetterTest {

    public static final class Level {
        public final int value;

        Level(int value) {
            this.value = value;
        }
    }

    /**
     * Three event classes: a framework's mutable and immutable events, and a second copy of it in
     * another class loader.
     */
    public static class EventA {
        public Level getLevel() {
            return new Level(20);
        }

        public String getLoggerName() {
            return "a";
        }
    }

    public static final class EventC extends EventA {
        private static final Level LEVEL = new Level(60); // a framework's levels are constants

        @Override
        public Level getLevel() {
            return LEVEL;
        }

        @Override
        public String getLoggerName() {
            return "c";
        }
    }

    public static final class EventB extends EventA {
        @Override
        public Level getLevel() {
            return new Level(40);
        }

        @Override
        public String getLoggerName() {
            return "b";
        }
    }

    static final class Access extends HandleAccess {
        Access(Class<?> type) {
            try {
                MethodHandles.Lookup lookup = MethodHandles.publicLookup();
                level = lookup.unreflect(type.getMethod("getLevel")).asType(FrameworkApi.GETTER);
                levelValue = lookup.unreflectGetter(Level.class.getField("value"))
                        .asType(MethodType.methodType(int.class, Object.class));
                loggerName = lookup.unreflect(type.getMethod("getLoggerName")).asType(FrameworkApi.GETTER);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override public String message(Object event) { return null; }
        @Override public Throwable thrown(Object event) { return null; }
        @Override public Map<String, ?> context(Object event) { return null; }
    }

    private static final Map<Class<?>, Access> ACCESS = Map.of(EventA.class, new Access(EventA.class),
            EventB.class, new Access(EventB.class), EventC.class, new Access(EventC.class));

    @Test
    void theFirstTwoClassesAreBoundAndEveryOtherClassStillReadsItsOwnValues() throws Throwable {
        MethodHandle level = new InlinedGetter(InlinedGetter.Kind.LEVEL_VALUE, ACCESS::get).invoker();
        MethodHandle name = new InlinedGetter(InlinedGetter.Kind.LOGGER_NAME, ACCESS::get).invoker();
        for (int i = 0; i < 20_000; i++) { // long enough for the JIT to compile the bound site
            assertEquals(20, (int) level.invokeExact((Object) new EventA()));
            assertEquals(40, (int) level.invokeExact((Object) new EventB()));
            assertEquals("a", (Object) name.invokeExact((Object) new EventA()));
            assertEquals("b", (Object) name.invokeExact((Object) new EventB()));
            assertEquals(60, (int) level.invokeExact((Object) new EventC()));
            assertEquals("c", (Object) name.invokeExact((Object) new EventC()));
        }
    }

    /** A class past the bound ones takes the general path, which makes nothing per call: its handle is made once. */
    @Test
    void aThirdClassIsReadWithoutAllocating() throws Throwable {
        MethodHandle level = new InlinedGetter(InlinedGetter.Kind.LEVEL_VALUE, ACCESS::get).invoker();
        Object a = new EventA();
        Object b = new EventB();
        Object c = new EventC();
        assertEquals(20, (int) level.invokeExact(a));
        assertEquals(40, (int) level.invokeExact(b));
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        @SuppressWarnings("deprecation")
        long thread = Thread.currentThread().getId();
        long sum = 0;
        for (int i = 0; i < 100_000; i++) {
            sum += (int) level.invokeExact(c);
        }
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < 100_000; i++) {
            sum += (int) level.invokeExact(c);
        }
        long allocated = threads.getThreadAllocatedBytes(thread) - before;
        assertEquals(60L * 200_000, sum);
        org.junit.jupiter.api.Assertions.assertTrue(allocated < 16 * 1024,
                allocated + " bytes over 100 000 reads of a third class");
    }
}
