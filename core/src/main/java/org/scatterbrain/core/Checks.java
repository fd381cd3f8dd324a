package org.scatterbrain.core;

/**
 * Argument checks whose messages name the parameter, show the offending value and say what is allowed.
 * Every config record and input validates through these, so messages read the same everywhere.
 */
public final class Checks {
  private Checks() {}

  /** Throws unless {@code value > 0}. */
  public static int requirePositive(int value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, got " + value);
    }
    return value;
  }

  /** Throws unless {@code value >= 0}. */
  public static int requireNonNegative(int value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must be >= 0, got " + value);
    }
    return value;
  }

  /** Throws unless {@code value} is finite and {@code > 0}. */
  public static double requirePositiveFinite(double value, String name) {
    if (!(value > 0) || !Double.isFinite(value)) {
      throw new IllegalArgumentException(name + " must be finite and > 0, got " + value);
    }
    return value;
  }

  /** Throws unless {@code value} is finite and {@code >= 0}. */
  public static double requireNonNegativeFinite(double value, String name) {
    if (!(value >= 0) || !Double.isFinite(value)) {
      throw new IllegalArgumentException(name + " must be finite and >= 0, got " + value);
    }
    return value;
  }

  /** Throws unless {@code value} is even and {@code > 0}. */
  public static int requirePositiveEven(int value, String name, String why) {
    if (value <= 0 || value % 2 != 0) {
      throw new IllegalArgumentException(
          name + " must be a positive even number (" + why + "), got " + value);
    }
    return value;
  }

  /** Throws unless {@code value <= limit}. */
  public static int requireAtMost(int value, int limit, String name, String limitName) {
    if (value > limit) {
      throw new IllegalArgumentException(
          name + " must be <= " + limitName + " (" + limit + "), got " + value);
    }
    return value;
  }

  /**
   * Throws {@link IllegalArgumentException} naming the method and the reason when {@code inputs} carry the causal mask
   * but {@code config}'s method has no causal form ({@link MethodConfig#causalUnsupported}). Every estimator calls
   * this first, so a masked problem is never silently computed without its mask.
   */
  public static void requireCausalForm(MethodConfig config, AttentionInputs inputs) {
    if (inputs.causal()) {
      String why = config.causalUnsupported();
      if (why != null) {
        throw new IllegalArgumentException(config.method() + " has no causal form: " + why + " (got causal inputs "
            + inputs + ")");
      }
    }
  }
}
