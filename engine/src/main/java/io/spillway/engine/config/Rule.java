package io.spillway.engine.config;

import java.util.Objects;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What values one key allows, written once for the README and the error message alike.
 *
 * <p>A rule may read other keys through the {@link Settings} it is given (write_group_size must be a
 * multiple of alignment; gc_low_watermark must be below gc_high_watermark). Keys are checked in
 * declaration order, so a rule only reads keys declared, and so checked, before its own; Java's
 * ban on forward references to a static field makes that the natural way to write it.
 *
 * @param allowed the allowed values in words, for the README's "allowed" column ("1 MiB – 64 GiB")
 * @param check the check itself
 * @param <T> the key's value type
 */
public record Rule<T>(String allowed, Check<T> check) {

    /** The check behind a rule. */
    @FunctionalInterface
    public interface Check<T> {
        /**
         * @return empty when {@code value} is allowed, else the requirement as the message states it
         *     ("must be between 1 MiB and 1 GiB"), which may quote the values of other keys
         */
        Optional<String> problem(T value, Settings settings);
    }

    public Rule {
        Objects.requireNonNull(allowed, "allowed");
        Objects.requireNonNull(check, "check");
    }

    /** A rule on the value alone, with a fixed requirement. */
    public static <T> Rule<T> of(String allowed, Predicate<T> ok, String requirement) {
        return new Rule<>(allowed, (value, settings) -> ok.test(value) ? Optional.empty() : Optional.of(requirement));
    }

    /** A rule that reads earlier keys, with a requirement that may quote them. */
    public static <T> Rule<T> of(String allowed, BiPredicate<T, Settings> ok, Function<Settings, String> requirement) {
        return new Rule<>(allowed, (value, settings) ->
                ok.test(value, settings) ? Optional.empty() : Optional.of(requirement.apply(settings)));
    }

    /** The problem with {@code value}, if any. */
    public Optional<String> problem(T value, Settings settings) {
        return check.problem(value, settings);
    }
}
