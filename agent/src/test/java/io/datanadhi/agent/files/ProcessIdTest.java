package io.datanadhi.agent.files;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ProcessIdTest {

    @Test
    void isTheJdksProcessId() {
        assertEquals(ProcessHandle.current().pid(), ProcessId.current());
        assertEquals(ProcessId.current(), ProcessId.current());
    }
}
