package io.spillway.engine.config;

import java.util.Map;

/**
 * What a config made of one {@link ConfigSchema}'s {@link Settings} is, whichever component it
 * configures ({@link StoreConfig}, {@code GpuConfig}): typed access to any key, the description
 * of every effective value, and value equality.
 */
public abstract class SettingsConfig {

    /** The checked values behind this config. */
    protected final Settings settings;

    protected SettingsConfig(Settings settings) {
        this.settings = settings;
    }

    /** The value of any key of this config's schema. */
    public <T> T get(Key<T> key) {
        return settings.get(key);
    }

    /**
     * Every key with its effective value, in declaration order, each printed so that it parses back
     * (e.g. {@code segment_size → "1 GiB"}, {@code storage_backends → "/a,/b"}). The {@code stats}
     * CLI prints it.
     */
    public Map<String, String> describe() {
        return settings.describe();
    }

    /** Equal to a config of the same class with the same effective values. */
    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && settings.equals(((SettingsConfig) o).settings);
    }

    @Override
    public final int hashCode() {
        return settings.hashCode();
    }

    /** The class's simple name and {@link #describe()}: {@code StoreConfig{segment_size=1 GiB, ...}}. */
    @Override
    public String toString() {
        return getClass().getSimpleName() + describe();
    }
}
