package io.datanadhi.agent.capture.log4j2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.datanadhi.agent.record.Level;
import org.junit.jupiter.api.Test;

class Log4j2EventsTest {

    @Test
    void log4jLevelsMapOntoTheDataNadhiLevels() {
        assertEquals(Level.CRITICAL, Log4j2Events.level(100)); // FATAL
        assertEquals(Level.ERROR, Log4j2Events.level(200));
        assertEquals(Level.WARNING, Log4j2Events.level(300));
        assertEquals(Level.INFO, Log4j2Events.level(400));
        assertEquals(Level.DEBUG, Log4j2Events.level(500));
        assertEquals(Level.DEBUG, Log4j2Events.level(600)); // TRACE
        assertEquals(Level.WARNING, Log4j2Events.level(250), "a custom level between ERROR and WARN");
        assertEquals(Level.CRITICAL, Log4j2Events.level(0), "OFF's value, were it ever logged");
    }
}
