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
        @Override
        public Level getLevel() {
            return new Level(60);
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
        MethodHandle level = new InlinedGetter(InlinedGetter.Kind.LEVEL_VALUE, e -> ACCESS.get(e.getClass())).invoker();
        MethodHandle name = new InlinedGetter(InlinedGetter.Kind.LOGGER_NAME, e -> ACCESS.get(e.getClass())).invoker();
        for (int i = 0; i < 20_000; i++) { // long enough for the JIT to compile the bound site
            assertEquals(20, (int) level.invokeExact((Object) new EventA()));
            assertEquals(40, (int) level.invokeExact((Object) new EventB()));
            assertEquals("a", (Object) name.invokeExact((Object) new EventA()));
            assertEquals("b", (Object) name.invokeExact((Object) new EventB()));
            assertEquals(60, (int) level.invokeExact((Object) new EventC()));
            assertEquals("c", (Object) name.invokeExact((Object) new EventC()));
        }
    }
}
