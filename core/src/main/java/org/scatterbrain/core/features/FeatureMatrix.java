package org.scatterbrain.core.features;

/**
 * Stabilised random features of a set of vectors (spec section 2.2, with pitfall P6's per-feature key scales).
 *
 * <p>Keys: {@code kbar_jf = phi(k_j)_f sqrt(F) / exp(c_f)} with one scale per feature column, {@code c_f = max_j
 * ln(phi(k_j)_f sqrt(F))}, so every column has largest entry 1 and no key sum {@code g_f = sum_j kbar_jf} is below 1.
 *
 * <p>Queries: stabilised against the key scales, {@code qbar_if = phi(q_i)_f sqrt(F) exp(c_f - M_i)} with {@code M_i}
 * chosen so the row's largest entry is 1, and a per-row log scale {@code logScale[i] = M_i - ln F}, so that
 *
 * <pre>
 *   phi(q_i) . phi(k_j) = exp(logScale[i]) * sum_f qbar_if kbar_jf.
 * </pre>
 *
 * With both sides normalised this way, the low-rank denominator {@code qbar_i . g} is at least 1 for every row, so it
 * never underflows however large the logits.
 *
 * @param rows number of vectors
 * @param features feature dimension F
 * @param values row-major rows x F stabilised features, all in (0, 1] (plus eps)
 * @param logScale per-row log scale (queries), or zeros (keys)
 * @param columnLogScale per-feature log scale c_f (keys), or null (queries)
 */
public record FeatureMatrix(
    int rows, int features, double[] values, double[] logScale, double[] columnLogScale) {
  /** Bytes held: the values and the scales. */
  public long bytes() {
    return 8L * values.length
        + 8L * logScale.length
        + (columnLogScale == null ? 0 : 8L * columnLogScale.length);
  }
}
