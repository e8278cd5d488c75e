package io.datanadhi.agent.capture;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The warm-up weaves its target: every hook kind it names is found, so the weaver's classes load. */
class WeaverWarmUpTest {

    @Test
    void theWarmUpTargetIsWoven() {
        assertTrue(WeaverWarmUp.run());
    }
}
