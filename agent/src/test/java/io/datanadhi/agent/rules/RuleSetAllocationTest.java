package io.datanadhi.agent.rules;

import io.datanadhi.agent.record.Level;
import io.datanadhi.agent.record.RecordView;
import io.datanadhi.bootstrap.CapturedEvent;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.testing.AllocationMeter;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evaluation runs inside every log call of the application: a record that matches no rule must
 * cost no allocation at all, and a matching one none in steady state either.
 */
class RuleSetAllocationTest {

    private static final int ROUNDS = 200_000;
    // An evaluation that allocated even one small object per call would show ROUNDS * 16 bytes.
    private static final long BOUND_BYTES = 16 * 1024;

    private static final String RULES =
            "- conditions: [{key: log_record.level, type: exact, value: ERROR}]\n"
            + "  pipelines: [errors]\n"
            + "  stdout: true\n"
            + "- any_condition_match: true\n"
            + "  conditions:\n"
            + "    - {key: log_record.level, type: exact, value: CRITICAL}\n"
            + "    - {key: message, type: regex, value: '^Database.*error'}\n"
            + "  pipelines: [alerts]\n"
            + "- conditions: [{key: context.user.type, type: exact, value: guest, negate: true}]\n"
            + "  pipelines: [authenticated]\n"
            + "- conditions: [{key: log_record.module_name, type: partial, value: .payment.}]\n"
            + "  pipelines: [payments]\n"
            + "- conditions: [{key: context.retry_count, type: exact, value: '3'}]\n"
            + "  pipelines: [retries]\n"
            + "- conditions: [{key: context.latency_ms, type: regex, value: '[0-9]{4,}'}]\n"
            + "  pipelines: [slow]\n"
            + "- conditions: [{key: context.ratio, type: partial, value: '.75'}]\n"
            + "  pipelines: [ratio]\n";

    private static final String QUIET = "{\"message\":\"plain info\",\"log_record\":{\"level\":\"INFO\","
            + "\"module_name\":\"com.acme.App\",\"line_number\":7},"
            + "\"context\":{\"retry_count\":13,\"latency_ms\":12,\"ratio\":0.5,\"user\":{\"type\":\"guest\"}}}";

    private static final String LOUD = "{\"message\":\"Database connection error\",\"log_record\":"
            + "{\"level\":\"ERROR\",\"module_name\":\"com.acme.payment.Charges\"},"
            + "\"context\":{\"retry_count\":3,\"latency_ms\":12000,\"user\":{\"type\":\"admin\"}}}";

    @TempDir
    static Path dir;

    private static RuleSet rules;

    @BeforeAll
    static void load() {
        rules = RuleTestSupport.rules(dir, RULES);
    }

    @Test
    void evaluatingARecordThatMatchesNoRuleAllocatesNothing() {
        RecordView quiet = RuleTestSupport.event(QUIET);
        assertSame(Match.NONE, rules.evaluate(quiet));
        long allocated = allocatedBytesOf(() -> rules.evaluate(quiet));
        assertTrue(allocated < BOUND_BYTES,
                "evaluate allocated " + allocated + " bytes over " + ROUNDS + " non-matching records");
    }

    @Test
    void evaluatingAMatchingRecordAllocatesNothingInSteadyState() {
        RecordView loud = RuleTestSupport.event(LOUD);
        Match match = rules.evaluate(loud);
        assertTrue(match.stdout());
        assertTrue(match.pipelines().containsAll(
                List.of("errors", "alerts", "authenticated", "payments", "retries", "slow")), match.toString());
        long allocated = allocatedBytesOf(() -> rules.evaluate(loud));
        assertTrue(allocated < BOUND_BYTES,
                "evaluate allocated " + allocated + " bytes over " + ROUNDS + " matching records");
    }

    @Test
    void quickRulesAllocateNothingMatchingOrNot() {
        RuleSet quick = RuleTestSupport.rules(dir, "- conditions: [{key: log_record.level, type: exact, value: ERROR}]\n"
                + "  pipelines: [errors]\n"
                + "- conditions: [{key: log_record.module_name, type: regex, value: 'com\\.acme\\.pay.*'}]\n"
                + "  pipelines: [payments]\n");
        assertTrue(quick.quick());
        QuickRulesTest.NameMapper mapper = new QuickRulesTest.NameMapper();
        CapturedEvent orders = QuickRulesTest.event("logback", "com.acme.Orders");
        CapturedEvent payment = QuickRulesTest.event("logback", "com.acme.payment");
        assertSame(Match.NONE, quick.evaluate(Level.INFO, mapper, orders));
        long unmatched = allocatedBytesOf(() -> quick.evaluate(Level.INFO, mapper, orders));
        assertTrue(unmatched < BOUND_BYTES, "quick evaluation allocated " + unmatched + " bytes, no rule matching");
        long matched = allocatedBytesOf(() -> quick.evaluate(Level.ERROR, mapper, payment));
        assertTrue(matched < BOUND_BYTES, "quick evaluation allocated " + matched + " bytes, both rules matching");
    }

    /** The meter itself must see allocations, or the tests above prove nothing. */
    @Test
    void theAllocationMeterSeesAnAllocationPerCall() {
        long allocated = allocatedBytesOf(() -> new StringBuilder("x").append(System.nanoTime()));
        assertFalse(allocated < BOUND_BYTES, "the meter saw only " + allocated + " bytes");
    }

    /** Bytes allocated by this thread over ROUNDS calls, after as many calls to warm up the JIT. */
    private static long allocatedBytesOf(Supplier<?> call) {
        return AllocationMeter.bytesOf(ROUNDS, call);
    }
}
