package io.spillway.engine.config;

import java.util.Locale;

/**
 * An enum that config files spell as its constants' names in lower case ({@code "batch"}), the
 * spelling {@link ConfigTypes#enumOf} reads (case-insensitively) and prints.
 */
public interface LowerCaseName {

    /** The constant's name. */
    String name();

    /** The config spelling, lower case, which the enum's key reads back. */
    default String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
