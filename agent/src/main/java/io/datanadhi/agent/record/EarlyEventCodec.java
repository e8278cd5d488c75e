package io.datanadhi.agent.record;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An {@link EarlyEvent} as bytes: the form in which the start-up buffer keeps it, in memory and
 * in the spill file. Encoded on the thread that logged the event (each thread its own, no shared
 * buffer), so that the spill thread only copies bytes and keeps up with any number of logging
 * threads. The exception is kept as its formatted text. Written and read by one process: the
 * format is checked against corruption, not kept compatible.
 */
public final class EarlyEventCodec {

    private static final byte NULL = 0;
    private static final byte STRING = 1;
    private static final byte BOOLEAN = 2;
    private static final byte INTEGER = 3;
    private static final byte LONG = 4;
    private static final byte DOUBLE = 5;
    private static final byte FLOAT = 6;
    private static final byte SHORT = 7;
    private static final byte BYTE = 8;
    private static final byte BIG_DECIMAL = 9;
    private static final byte BIG_INTEGER = 10;
    private static final byte MAP = 11;
    private static final byte LIST = 12;

    private static final Level[] LEVELS = Level.values();

    private EarlyEventCodec() {}

    /** @param maxStackTraceBytes the stack trace's limit in a record, which the text is cut to */
    public static byte[] encode(EarlyEvent event, int maxStackTraceBytes) {
        Writer out = new Writer();
        out.string(event.framework);
        out.writeByte(event.level.ordinal());
        out.string(event.nativeLevel);
        out.string(event.loggerName);
        out.string(event.message);
        out.string(event.threadName);
        out.writeLong(event.timestampMillis);
        Caller caller = event.caller();
        out.string(caller.className);
        out.string(caller.methodName);
        out.string(caller.fileName);
        out.writeInt(caller.lineNumber);
        out.writeByte(event.callerRecorded ? 1 : 0);
        writeValue(out, event.context);
        Throwable thrown = event.thrown;
        out.writeByte(thrown != null ? 1 : 0);
        if (thrown != null) {
            out.string(ThrowableFormatter.type(thrown));
            out.string(ThrowableFormatter.message(thrown));
            out.string(ThrowableFormatter.stackTrace(thrown, maxStackTraceBytes));
        }
        out.string(event.traceId);
        out.string(event.spanId);
        return out.bytes();
    }

    @SuppressWarnings("unchecked")
    public static EarlyEvent decode(byte[] bytes) throws IOException {
        Reader in = new Reader(bytes);
        String framework = intern(in.string());
        int level = in.readByte() & 0xff;
        if (level >= LEVELS.length) {
            throw new IOException("corrupt early event: level " + level);
        }
        String nativeLevel = intern(in.string());
        String loggerName = in.string();
        String message = in.string();
        String threadName = in.string();
        long timestamp = in.readLong();
        Caller caller = new Caller(in.string(), in.string(), in.string(), in.readInt());
        boolean callerRecorded = in.readByte() != 0;
        Object context = readValue(in, 0);
        if (context != null && !(context instanceof Map)) {
            throw new IOException("corrupt early event: context is a " + context.getClass().getSimpleName());
        }
        Throwable thrown = null;
        if (in.readByte() != 0) {
            thrown = new RecordedThrowable(in.string(), in.string(), in.string());
        }
        String traceId = in.string();
        String spanId = in.string();
        if (in.position != bytes.length) {
            throw new IOException("corrupt early event: " + (bytes.length - in.position) + " bytes left over");
        }
        return new EarlyEvent(framework, LEVELS[level], nativeLevel, loggerName, message, threadName, timestamp,
                caller, callerRecorded, (Map<String, Object>) context, thrown, traceId, spanId);
    }

    private static String intern(String s) {
        return s == null ? null : s.intern();
    }

    /** A value as {@link ContextValues} copies them; anything else as its text. */
    private static void writeValue(Writer out, Object value) {
        if (value == null) {
            out.writeByte(NULL);
        } else if (value instanceof String) {
            out.writeByte(STRING);
            out.string((String) value);
        } else if (value instanceof Boolean) {
            out.writeByte(BOOLEAN);
            out.writeByte((Boolean) value ? 1 : 0);
        } else if (value instanceof Integer) {
            out.writeByte(INTEGER);
            out.writeInt((Integer) value);
        } else if (value instanceof Long) {
            out.writeByte(LONG);
            out.writeLong((Long) value);
        } else if (value instanceof Double) {
            out.writeByte(DOUBLE);
            out.writeLong(Double.doubleToRawLongBits((Double) value));
        } else if (value instanceof Float) {
            out.writeByte(FLOAT);
            out.writeInt(Float.floatToRawIntBits((Float) value));
        } else if (value instanceof Short) {
            out.writeByte(SHORT);
            out.writeInt((Short) value);
        } else if (value instanceof Byte) {
            out.writeByte(BYTE);
            out.writeByte((Byte) value);
        } else if (value instanceof BigDecimal) {
            out.writeByte(BIG_DECIMAL);
            out.string(value.toString());
        } else if (value instanceof BigInteger) {
            out.writeByte(BIG_INTEGER);
            out.string(value.toString());
        } else if (value instanceof Map) {
            Map<?, ?> map = (Map<?, ?>) value;
            out.writeByte(MAP);
            out.writeInt(map.size());
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.string(String.valueOf(e.getKey()));
                writeValue(out, e.getValue());
            }
        } else if (value instanceof List) {
            List<?> list = (List<?>) value;
            out.writeByte(LIST);
            out.writeInt(list.size());
            for (Object item : list) {
                writeValue(out, item);
            }
        } else {
            out.writeByte(STRING);
            out.string(ContextValues.text(value, Integer.MAX_VALUE));
        }
    }

    private static Object readValue(Reader in, int depth) throws IOException {
        if (depth > 64) {
            throw new IOException("corrupt early event: values nested too deep");
        }
        byte tag = in.readByte();
        switch (tag) {
            case NULL: return null;
            case STRING: return in.string();
            case BOOLEAN: return in.readByte() != 0;
            case INTEGER: return in.readInt();
            case LONG: return in.readLong();
            case DOUBLE: return Double.longBitsToDouble(in.readLong());
            case FLOAT: return Float.intBitsToFloat(in.readInt());
            case SHORT: return (short) in.readInt();
            case BYTE: return in.readByte();
            case BIG_DECIMAL: return new BigDecimal(in.string());
            case BIG_INTEGER: return new BigInteger(in.string());
            case MAP: {
                int size = in.size();
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < size; i++) {
                    map.put(in.string(), readValue(in, depth + 1));
                }
                return map;
            }
            case LIST: {
                int size = in.size();
                List<Object> list = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    list.add(readValue(in, depth + 1));
                }
                return list;
            }
            default:
                throw new IOException("corrupt early event: value tag " + tag);
        }
    }

    /** A growing array, big-endian, strings as their UTF-8 length and bytes (-1: null). */
    private static final class Writer {
        private byte[] bytes = new byte[256];
        private int length;

        private void room(int more) {
            if (length + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
            }
        }

        void writeByte(int b) {
            room(1);
            bytes[length++] = (byte) b;
        }

        void writeInt(int v) {
            room(4);
            for (int shift = 24; shift >= 0; shift -= 8) {
                bytes[length++] = (byte) (v >>> shift);
            }
        }

        void writeLong(long v) {
            room(8);
            for (int shift = 56; shift >= 0; shift -= 8) {
                bytes[length++] = (byte) (v >>> shift);
            }
        }

        void string(String s) {
            if (s == null) {
                writeInt(-1);
                return;
            }
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            writeInt(utf8.length);
            room(utf8.length);
            System.arraycopy(utf8, 0, bytes, length, utf8.length);
            length += utf8.length;
        }

        byte[] bytes() {
            return Arrays.copyOf(bytes, length);
        }
    }

    private static final class Reader {
        private final byte[] bytes;
        int position;

        Reader(byte[] bytes) {
            this.bytes = bytes;
        }

        private void need(int count) throws IOException {
            if (count < 0 || bytes.length - position < count) {
                throw new IOException("corrupt early event: ends " + count + " bytes early at " + position);
            }
        }

        byte readByte() throws IOException {
            need(1);
            return bytes[position++];
        }

        int readInt() throws IOException {
            need(4);
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v = (v << 8) | (bytes[position++] & 0xff);
            }
            return v;
        }

        long readLong() throws IOException {
            need(8);
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (bytes[position++] & 0xff);
            }
            return v;
        }

        int size() throws IOException {
            int size = readInt();
            need(size); // every element takes at least a byte
            return size;
        }

        String string() throws IOException {
            int length = readInt();
            if (length == -1) {
                return null;
            }
            need(length);
            String s = new String(bytes, position, length, StandardCharsets.UTF_8);
            position += length;
            return s;
        }
    }
}
