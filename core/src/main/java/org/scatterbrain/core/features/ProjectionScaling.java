package org.scatterbrain.core.features;

/**
 * Row norms of a block-orthogonal Gaussian projection (spec section 2.1, step 3).
 *
 * <ul>
 *   <li>{@link #CHI} ("scaling = 0", the default): each row gets the norm of an independent d-dimensional standard
 *       Gaussian, so every row is marginally N(0, I_d) and the kernel estimate stays unbiased;
 *   <li>{@link #SQRT_D} ("scaling = 1"): every row has norm sqrt(d).
 * </ul>
 */
public enum ProjectionScaling {
  /** Row norms drawn from the chi distribution with d degrees of freedom. */
  CHI,
  /** Every row norm equals sqrt(d). */
  SQRT_D;

  /** Parses "chi" or "sqrt-d" (case-insensitive), naming the allowed values on failure. */
  public static ProjectionScaling parse(String s) {
    switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "chi":
      case "0":
        return CHI;
      case "sqrt-d":
      case "sqrt_d":
      case "1":
        return SQRT_D;
      default:
        throw new IllegalArgumentException(
            "projection scaling must be one of 'chi', 'sqrt-d', got '" + s + "'");
    }
  }
}
