package io.datanadhi.agent.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * Reads a dropped file line by line from a byte offset, knowing where each line starts and ends,
 * and tells a record ({@code {"pipelines":[...],"log_data":{...}}}) from a line that is not one.
 * Blank lines are skipped. The last line may lack its newline.
 */
final class DroppedLines {

    /** Longer lines are not held in memory: they are reported unreadable and kept. */
    static final int MAX_LINE_BYTES = 16 * 1024 * 1024;

    private static final JsonFactory JSON = new JsonFactory();

    /** One line: bytes {@code [start, end)} of the file, its newline included. */
    static final class Line {
        final long start;
        final long end;
        /** 1-based. */
        final long number;
        /** The record as it goes on the wire, or null when the line is not a record. */
        final byte[] envelope;

        Line(long start, long end, long number, byte[] envelope) {
            this.start = start;
            this.end = end;
            this.number = number;
            this.envelope = envelope;
        }
    }

    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    private long position;
    private long lineNumber;
    private byte[] line = new byte[4096];

    /** @param lineNumber the number of lines before {@code offset} */
    DroppedLines(FileChannel channel, long offset, long lineNumber) {
        this.channel = channel;
        this.position = offset;
        this.lineNumber = lineNumber;
        buffer.flip();
    }

    /** Where the next line starts. */
    long position() {
        return position;
    }

    /** The next non-blank line, or null at the end of the file. */
    Line next() throws IOException {
        while (true) {
            long start = position;
            int length = 0;
            boolean tooLong = false;
            boolean newline = false;
            while (!newline) {
                if (!buffer.hasRemaining()) {
                    buffer.clear();
                    int n = channel.read(buffer, position);
                    buffer.flip();
                    if (n <= 0) {
                        break;
                    }
                }
                byte b = buffer.get();
                position++;
                if (b == '\n') {
                    newline = true;
                } else if (length < MAX_LINE_BYTES) {
                    if (length == line.length) {
                        line = Arrays.copyOf(line, Math.min(MAX_LINE_BYTES, line.length * 2));
                    }
                    line[length++] = b;
                } else {
                    tooLong = true;
                }
            }
            if (position == start) {
                return null;
            }
            lineNumber++;
            if (!tooLong && isBlank(length)) {
                continue;
            }
            byte[] envelope = !tooLong && isRecord(line, length) ? Arrays.copyOf(line, length) : null;
            return new Line(start, position, lineNumber, envelope);
        }
    }

    private boolean isBlank(int length) {
        for (int i = 0; i < length; i++) {
            byte b = line[i];
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    /**
     * True for one JSON object with a {@code pipelines} array and a {@code log_data} object,
     * and nothing after it: what the agent writes. The whole line is parsed, so a line cut short
     * (a crash while it was written) is not a record.
     */
    static boolean isRecord(byte[] bytes, int length) {
        try (JsonParser parser = JSON.createParser(bytes, 0, length)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            boolean pipelines = false;
            boolean logData = false;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.getCurrentName();
                JsonToken value = parser.nextToken();
                if (name.equals("pipelines")) {
                    pipelines = value == JsonToken.START_ARRAY;
                } else if (name.equals("log_data")) {
                    logData = value == JsonToken.START_OBJECT;
                }
                parser.skipChildren();
            }
            return parser.currentToken() == JsonToken.END_OBJECT && parser.nextToken() == null && pipelines && logData;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
