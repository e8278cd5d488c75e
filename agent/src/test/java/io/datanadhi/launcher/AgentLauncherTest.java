package io.datanadhi.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The version gate: Java 11 and newer start the agent; anything else prints one line. */
class AgentLauncherTest {

    @ParameterizedTest
    @ValueSource(strings = {"11", "12", "17", "21", "25", "17.0", "100"})
    void java11AndNewerAreSupported(String specification) {
        assertTrue(Launcher.supported(specification), specification);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.8", "1.7", "1.11", "9", "10", "10.0"})
    void olderJavaIsNotSupported(String specification) {
        assertFalse(Launcher.supported(specification), specification);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "abc", "eleven", " 11", "11a", "-11", ".11", "1.", "99999999999"})
    void unreadableVersionsAreNotSupported(String specification) {
        assertFalse(Launcher.supported(specification), String.valueOf(specification));
    }

    @Test
    void theAgentsParentIsThePlatformClassLoader() {
        assertSame(ClassLoader.getPlatformClassLoader(), Launcher.platformClassLoader());
    }

    @Test
    void aCustomSystemClassLoaderAboveTheApplicationLoaderStillLeadsToThePlatformLoader() {
        ClassLoader custom = new ClassLoader(ClassLoader.getSystemClassLoader()) {};
        assertSame(ClassLoader.getPlatformClassLoader(), Launcher.platformClassLoader(custom));
    }

    @Test
    void aCustomSystemClassLoaderWithNoParentIsNotTakenForThePlatformLoader() {
        ClassLoader orphan = new ClassLoader(null) {};
        assertSame(ClassLoader.getPlatformClassLoader(), Launcher.platformClassLoader(orphan));
    }

    @Test
    void thisJvmIsSupported() {
        assertTrue(Launcher.supported(Launcher.javaSpecification()));
    }

    @Test
    void unsupportedMessageNamesTheRequiredAndTheActualVersion() {
        assertEquals("datanadhi-agent: Java 11 or newer is required, this JVM is Java 1.8; the agent is not active.",
                Launcher.unsupportedMessage("1.8", "the agent is not active"));
    }
}
