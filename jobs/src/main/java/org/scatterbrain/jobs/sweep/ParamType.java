package org.scatterbrain.jobs.sweep;

/**
 * The value type of a method parameter: how a HOCON value is checked and converted, and how it is written to the
 * canonical text of a trial (and so to its id).
 */
public enum ParamType {
  /** An integer in [1, 2^31 - 1], as {@link Integer}. */
  POSITIVE_INT,
  /** An even integer in [0, 2^31 - 2], as {@link Integer}. */
  EVEN_INT,
  /** An integer in [0, a parameter's max], as {@link Integer}. */
  COUNT,
  /** true or false, as {@link Boolean}. */
  BOOLEAN,
  /** One of a parameter's {@link Param#choices}, as {@link String}. */
  CHOICE,
  /** A finite number in a parameter's [min, max], as {@link Double}. */
  NUMBER;

  /** The canonical text of a value of this type (part of trial ids: never change it for an existing type). */
  String canonical(Object value) {
    return this == NUMBER ? Canonical.number((Double) value) : value.toString();
  }
}
