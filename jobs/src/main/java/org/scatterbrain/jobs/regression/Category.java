package org.scatterbrain.jobs.regression;

/** What a regression metric measures, which decides how it is compared. */
public enum Category {
  /** Approximation error of a trial of the regression sweep: reproducible to round-off with fixed seeds. */
  ACCURACY,
  /** Entries and bytes an estimate stores: exact integers, compared exactly. */
  MEMORY,
  /** A method's time relative to exact attention measured in the same run ({@link SpeedProbe}). */
  SPEED,
  /** A JMH benchmark's time relative to the exact-attention benchmark at the same n, from JMH JSON results. */
  JMH;

  /** Lower-case name used in reports and baselines. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The category named {@code label} (as written by {@link #label()}). */
  public static Category of(String label) {
    for (Category c : values()) {
      if (c.label().equals(label)) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown category '" + label + "' (allowed: accuracy, memory, speed, jmh)");
  }
}
