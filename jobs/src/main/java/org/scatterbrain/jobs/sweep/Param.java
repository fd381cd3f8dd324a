package org.scatterbrain.jobs.sweep;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One method parameter: its HOCON key (also its name in a trial's canonical text), type, result column, whether a
 * budget sets it, and how a variant name shows it. Parameters are shared between methods (Performer and Scatterbrain
 * both have {@code features}); {@link Params} lists the built-in ones in the order of the canonical text.
 *
 * @param key HOCON key and canonical name, e.g. {@code cluster-size}
 * @param type value type
 * @param column result column, e.g. {@code cluster_size}
 * @param size whether a budget axis sets it (then a sweep may not list it)
 * @param qualifier whether its value is part of the method's label ({@code scatterbrain-local}) rather than a
 *     parameter of the variant
 * @param shortName prefix in variant names, e.g. {@code h} for {@code h=2} (numbers and choices)
 * @param trueLabel word a variant name shows for a boolean parameter that is true (null: nothing)
 * @param falseLabel word a variant name shows for a boolean parameter that is false (null: nothing)
 * @param idDefault a value left out of the canonical text (so adding a parameter with its default keeps old ids)
 * @param choices allowed values of a {@link ParamType#CHOICE}
 * @param min smallest value of a {@link ParamType#NUMBER}
 * @param max largest value of a {@link ParamType#NUMBER}
 * @param allowed what is allowed, for error messages
 */
public record Param(
    String key,
    ParamType type,
    String column,
    boolean size,
    boolean qualifier,
    String shortName,
    String trueLabel,
    String falseLabel,
    Object idDefault,
    List<String> choices,
    double min,
    double max,
    String allowed)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Validates. */
  public Param {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(column, "column");
    choices = List.copyOf(choices);
    if (!key.matches("[a-z][a-z0-9-]*") || !column.matches("[a-z][a-z0-9_]*")) {
      throw new IllegalArgumentException("parameter key '" + key + "' / column '" + column + "' is not lower-case");
    }
  }

  /** A positive integer; {@code size} when a budget sets it. */
  public static Param positiveInt(String key, String column, boolean size, String shortName) {
    return new Param(key, ParamType.POSITIVE_INT, column, size, false, shortName, null, null, null, List.of(), 0, 0,
        "positive integers");
  }

  /** A flag shown in variant names as {@code trueLabel} or {@code falseLabel}, omitted from ids at {@code idDefault}. */
  public static Param flag(String key, String column, String trueLabel, String falseLabel, Boolean idDefault) {
    return new Param(key, ParamType.BOOLEAN, column, false, false, null, trueLabel, falseLabel, idDefault, List.of(), 0,
        0, "true or false");
  }

  /** One of {@code choices}; a {@code qualifier} is part of the method label. */
  public static Param choice(String key, String column, boolean qualifier, List<String> choices) {
    return new Param(key, ParamType.CHOICE, column, false, qualifier, key, null, null, null, choices, 0, 0,
        String.join(", ", choices));
  }

  /** A finite number in [min, max]. */
  public static Param number(String key, String column, String shortName, double min, double max) {
    return new Param(key, ParamType.NUMBER, column, false, false, shortName, null, null, null, List.of(), min, max,
        "numbers in [" + Canonical.number(min) + ", " + Canonical.number(max) + "]");
  }

  /** The same parameter with another message of what is allowed. */
  public Param allowing(String text) {
    return new Param(key, type, column, size, qualifier, shortName, trueLabel, falseLabel, idDefault, choices, min, max,
        text);
  }

  /** A count in [0, max] that a budget sets ({@code size}). */
  public static Param sizeCount(String key, String column, String shortName, int max) {
    return new Param(key, ParamType.COUNT, column, true, false, shortName, null, null, null, List.of(), 0, max,
        "integers in [0, " + max + "]");
  }

  /** One of {@code choices} with a default left out of ids and names ({@code idDefault}). */
  public static Param choice(String key, String column, boolean qualifier, List<String> choices, String idDefault) {
    return new Param(key, ParamType.CHOICE, column, false, qualifier, key, null, null, idDefault, choices, 0, 0,
        String.join(", ", choices));
  }

  /** An integer in [0, max]; {@code idDefault} is left out of trial ids (so it can be added to an existing method). */
  public static Param count(String key, String column, String shortName, int max, Integer idDefault) {
    return new Param(key, ParamType.COUNT, column, false, false, shortName, null, null, idDefault, List.of(), 0, max,
        "integers in [0, " + max + "]");
  }

  /** An even integer >= 0 (for example a bucket count, where 0 asks for the default). */
  public static Param evenInt(String key, String column, String shortName, String allowed) {
    return new Param(key, ParamType.EVEN_INT, column, false, false, shortName, null, null, null, List.of(), 0, 0,
        allowed);
  }

  /**
   * Checks and converts one unwrapped HOCON value ({@code path} names it in the error), or throws {@link
   * SweepConfigException} saying what is allowed.
   */
  public Object parse(Object u, String path) {
    switch (type) {
      case BOOLEAN -> {
        if (u instanceof Boolean) {
          return u;
        }
      }
      case CHOICE -> {
        if (u instanceof String s && choices.contains(s)) {
          return s;
        }
      }
      case POSITIVE_INT, EVEN_INT, COUNT -> {
        if (u instanceof Number x && HoconReader.isIntegral(x)) {
          long v = x.longValue();
          boolean ok = switch (type) {
            case POSITIVE_INT -> v > 0;
            case EVEN_INT -> v >= 0 && v % 2 == 0;
            default -> v >= 0 && v <= max;
          };
          if (ok && v <= Integer.MAX_VALUE) {
            return (int) v;
          }
        }
      }
      case NUMBER -> {
        if (u instanceof Number x && Double.isFinite(x.doubleValue()) && x.doubleValue() >= min
            && x.doubleValue() <= max) {
          return x.doubleValue();
        }
      }
    }
    throw new SweepConfigException(path, u, allowed);
  }

  /** The canonical text of a value (null when the value is left out of ids). */
  String canonical(Object value) {
    if (value == null || value.equals(idDefault)) {
      return null;
    }
    return key + "=" + type.canonical(value);
  }

  /** How a variant name shows a value (null: not at all). */
  String show(Object value) {
    if (value == null || qualifier || value.equals(idDefault)) {
      return null;
    }
    if (type == ParamType.BOOLEAN) {
      return (Boolean) value ? trueLabel : falseLabel;
    }
    return shortName + "=" + type.canonical(value);
  }
}
