package org.migware.proxy.internal.keeper;

import java.util.Locale;

/**
 * How the service's application cuts the client's byte stream into records, as far as MigWare
 * needs to know: where a record starts. With {@code resume} delivery the replica's application
 * receives the client's stream from the first byte the primary did not acknowledge; when that
 * byte lies inside a record, the replica would see a torn first record. Knowing the framing,
 * MigWare prepends the record's head (which it saw on the wire) instead.
 */
public enum RecordFraming {
    /** No framing: the replica resumes exactly at the primary's acknowledgement. */
    NONE("none", 0),
    /** Records end with {@code '\n'}. */
    NEWLINE("newline", 0),
    /** Each record is a 2-byte big-endian length followed by that many bytes. */
    LENGTH_PREFIXED_2("length-prefixed-2", 2),
    /** Each record is a 4-byte big-endian length followed by that many bytes. */
    LENGTH_PREFIXED_4("length-prefixed-4", 4);

    private final String configName;
    private final int lengthBytes;

    RecordFraming(String configName, int lengthBytes) {
        this.configName = configName;
        this.lengthBytes = lengthBytes;
    }

    /** @return the value of the {@code framing} configuration property */
    public String configName() {
        return configName;
    }

    /** @return the size of the length prefix, 0 for the other framings */
    int lengthBytes() {
        return lengthBytes;
    }

    /**
     * @param text a {@code framing} configuration value
     * @return the framing
     * @throws IllegalArgumentException naming the accepted values
     */
    public static RecordFraming parse(String text) {
        String wanted = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        for (RecordFraming framing : values()) {
            if (framing.configName.equals(wanted)) {
                return framing;
            }
        }
        throw new IllegalArgumentException("framing '" + text + "' is not one of none, newline, length-prefixed-2, length-prefixed-4");
    }
}
