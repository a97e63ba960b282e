package io.spillway.engine.config;

/**
 * A config value the store refuses. The message always names the key, the value as given, where it
 * came from when not set in code, and what is allowed, e.g.
 * {@code config key 'segment_size' = '3' is invalid: must be a multiple of alignment (4096) between 1 MiB and 64 GiB}.
 *
 * <p>It is an {@link IllegalArgumentException} because a bad value is the caller's argument, found
 * before anything touches the disk; opening never starts with half-valid settings.
 */
public final class ConfigException extends IllegalArgumentException {

    /** The pseudo-key used for problems with the YAML file itself (missing, unreadable, not a mapping). */
    public static final String CONFIG_FILE = "config file";

    private static final long serialVersionUID = 1L;

    private final String key;
    private final String value;

    /**
     * @param key the config key in its YAML spelling ({@code segment_size}), or {@link #CONFIG_FILE}
     * @param value the value as the user wrote it
     * @param source where the value came from ("YAML file /etc/spillway.yaml"), or null when set in code
     * @param problem what is wrong and what is allowed ("must be between 1 and 256")
     */
    public ConfigException(String key, String value, String source, String problem) {
        this(key, value, source, problem, null);
    }

    public ConfigException(String key, String value, String source, String problem, Throwable cause) {
        super(message(key, value, source, problem), cause);
        this.key = key;
        this.value = value;
    }

    /** A value set in code, where no source is worth naming. */
    public ConfigException(String key, String value, String problem) {
        this(key, value, null, problem, null);
    }

    private static String message(String key, String value, String source, String problem) {
        String from = source == null ? "" : " (from " + source + ")";
        return "config key '" + key + "' = '" + value + "'" + from + " is invalid: " + problem;
    }

    /** The key in its YAML spelling, or {@link #CONFIG_FILE}. */
    public String key() {
        return key;
    }

    /** The refused value, as given. */
    public String value() {
        return value;
    }
}
