package org.scatterbrain.core.features;

/**
 * Stabilised random features of a set of vectors: the true feature row is {@code phi(x_i) = values_i *
 * exp(logScale[i])} (spec section 2.2). Queries get one scale per row, so every stabilised row has largest entry 1;
 * keys share one scale, so that sums over keys can be accumulated.
 *
 * @param rows number of vectors
 * @param features feature dimension F
 * @param values row-major rows x F stabilised features, all in [0, 1] (plus eps)
 * @param logScale per-row log scale (all equal for keys)
 */
public record FeatureMatrix(int rows, int features, double[] values, double[] logScale) {
  /** Bytes held: the values and the scales. */
  public long bytes() {
    return 8L * values.length + 8L * logScale.length;
  }
}
