package io.datanadhi.agent.record;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * ISO-8601 times in UTC, written by hand for years 0 to 9999: about 50 {@code java.time} classes
 * and a dozen method handles fewer at the agent's start than {@link DateTimeFormatter} (which
 * {@link Instant#toString()} uses), and a few times quicker per record. Other years go to the
 * formatter.
 */
public final class UtcTime {
    /** Epoch milliseconds of 0000-01-01 and 10000-01-01: the years written with four digits by hand. */
    private static final long FIRST_MILLIS = -62_167_219_200_000L;
    private static final long END_MILLIS = 253_402_300_800_000L;

    private UtcTime() {}

    /** {@code uuuu-MM-dd'T'HH:mm:ss.SSS'Z'}: the record's timestamp. */
    public static String millis(long epochMillis) {
        if (epochMillis < FIRST_MILLIS || epochMillis >= END_MILLIS) {
            return WideYears.TIMESTAMP.format(Instant.ofEpochMilli(epochMillis));
        }
        char[] text = new char[24];
        dateAndTime(text, Math.floorDiv(epochMillis, 1000L));
        text[19] = '.';
        digits(text, 20, (int) Math.floorMod(epochMillis, 1000L), 3);
        text[23] = 'Z';
        return new String(text);
    }

    /**
     * What {@link Instant#toString()} gives: the fraction of a second in groups of three digits,
     * as many as it needs (none for a whole second).
     */
    public static String of(Instant instant) {
        long seconds = instant.getEpochSecond();
        if (seconds < Math.floorDiv(FIRST_MILLIS, 1000L) || seconds >= END_MILLIS / 1000L) {
            return instant.toString();
        }
        int nanos = instant.getNano();
        int fractionDigits = nanos == 0 ? 0 : nanos % 1_000_000 == 0 ? 3 : nanos % 1000 == 0 ? 6 : 9;
        char[] text = new char[19 + (fractionDigits == 0 ? 0 : 1 + fractionDigits) + 1];
        dateAndTime(text, seconds);
        if (fractionDigits > 0) {
            text[19] = '.';
            int divisor = fractionDigits == 3 ? 1_000_000 : fractionDigits == 6 ? 1000 : 1;
            digits(text, 20, nanos / divisor, fractionDigits);
        }
        text[text.length - 1] = 'Z';
        return new String(text);
    }

    /** {@code uuuu-MM-dd'T'HH:mm:ss} into the first 19 characters. */
    private static void dateAndTime(char[] text, long epochSeconds) {
        long days = Math.floorDiv(epochSeconds, 86_400L);
        int secondOfDay = (int) Math.floorMod(epochSeconds, 86_400L);
        // Days to a civil date (H. Hinnant's algorithm): eras of 400 years from 0000-03-01.
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long dayOfEra = z - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long shiftedMonth = (5 * dayOfYear + 2) / 153;
        int day = (int) (dayOfYear - (153 * shiftedMonth + 2) / 5 + 1);
        int month = (int) (shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9);
        int year = (int) (yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
        digits(text, 0, year, 4);
        text[4] = '-';
        digits(text, 5, month, 2);
        text[7] = '-';
        digits(text, 8, day, 2);
        text[10] = 'T';
        digits(text, 11, secondOfDay / 3600, 2);
        text[13] = ':';
        digits(text, 14, secondOfDay / 60 % 60, 2);
        text[16] = ':';
        digits(text, 17, secondOfDay % 60, 2);
    }

    private static void digits(char[] text, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            text[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    /** Loaded only for a time before year 0 or after 9999. */
    private static final class WideYears {
        static final DateTimeFormatter TIMESTAMP =
                DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    }
}
