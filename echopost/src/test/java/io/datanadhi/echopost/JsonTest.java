package io.datanadhi.echopost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void bodyIsTheRecordInUtf8BetweenThePipelinesAndTheClosingBrace() {
        for (String json : List.of("{}", "{\"a\":\"x\"}", "{\"é\":\"ü ß\"}", "{\"k\":\"€ 中文\"}",
                "{\"emoji\":\"\uD83D\uDE00 \uD83C\uDF89\"}", "{\"lone\":\"\uD800 \uDC00 x\uD83D\"}", "{\"end\":\"\uD83D\"}",
                "{\"mixed\":\"a\u007f\u0080\u07ff\u0800\uffff\"}")) {
            byte[] expected = ("{\"pipelines\":[\"p\",\"q\\\"\"],\"log_data\":" + json + "}").getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(expected, Json.body(List.of("p", "q\""), json, true), json);
            assertEquals(json.getBytes(StandardCharsets.UTF_8).length, Json.utf8Length(json), json);
        }
    }

    @Test
    void invalidJsonIsStoredAsAnEmptyObject() {
        assertArrayEquals("{\"pipelines\":[],\"log_data\":{}}".getBytes(StandardCharsets.UTF_8),
                Json.body(List.of(), "not json", false));
    }
}
