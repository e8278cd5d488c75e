package io.datanadhi.agent.capture.log4j1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.datanadhi.agent.record.Level;
import org.junit.jupiter.api.Test;

class Log4j1EventsTest {

    @Test
    void log4jLevelsMapOntoTheDataNadhiLevels() {
        assertEquals(Level.CRITICAL, Log4j1Events.level(50000)); // FATAL
        assertEquals(Level.ERROR, Log4j1Events.level(40000));
        assertEquals(Level.WARNING, Log4j1Events.level(30000));
        assertEquals(Level.INFO, Log4j1Events.level(20000));
        assertEquals(Level.DEBUG, Log4j1Events.level(10000));
        assertEquals(Level.DEBUG, Log4j1Events.level(5000)); // TRACE
        assertEquals(Level.WARNING, Log4j1Events.level(35000), "a custom level between WARN and ERROR");
    }
}
