package org.scatterbrain.core;

/**
 * Nystrom landmark attention (Xiong et al. 2021, "Nystromformer").
 *
 * @param landmarks number of landmarks L (segment means of queries and of keys); counted as 2L entries per row, like
 *     2F for features: L for the query's row of the n x L kernel plus L for the key's column of the L x m kernel
 * @param pinvIterations iterations of the Nystromformer's iterative Moore-Penrose pseudo-inverse of the L x L landmark
 *     kernel (their eq. 12, after Razavi et al. 2014); the paper and its code use 6, which also keeps the estimate
 *     bounded when the kernel is ill-conditioned (the iteration has not yet amplified the small singular values). 0
 *     asks for the SVD pseudo-inverse instead (singular values below 1e-10 of the largest count as zero)
 */
public record NystromConfig(int landmarks, int pinvIterations) implements MethodConfig {
  /** The Nystromformer's number of pseudo-inverse iterations. */
  public static final int PAPER_ITERATIONS = 6;

  /** Validates. */
  public NystromConfig {
    Checks.requirePositive(landmarks, "landmarks");
    Checks.requireNonNegative(pinvIterations, "pinvIterations");
    Checks.requireAtMost(pinvIterations, 100, "pinvIterations", "100");
  }

  /** L landmarks with the paper's iterative pseudo-inverse. */
  public NystromConfig(int landmarks) {
    this(landmarks, PAPER_ITERATIONS);
  }

  /** L = B / 2 landmarks (2L entries per row), the paper's pseudo-inverse. */
  public static NystromConfig forBudget(int budget) {
    return forBudget(budget, PAPER_ITERATIONS);
  }

  /** L = B / 2 landmarks with {@code pinvIterations} (0: SVD). */
  public static NystromConfig forBudget(int budget, int pinvIterations) {
    Budgets.requireFits(budget >= 2, "nystrom", budget, "2 (1 landmark)");
    return new NystromConfig(budget / 2, pinvIterations);
  }

  @Override
  public AttentionEstimator create(boolean parallel) {
    return new NystromAttention(this, parallel);
  }

  @Override
  public String method() {
    return "nystrom";
  }

  @Override
  public double entriesPerRow(int n, int m) {
    return 2.0 * landmarks;
  }

  /**
   * Nystrom has no causal form: no published causal Nystrom approximation keeps the landmark form, because the key
   * landmarks are means over segments of all keys (and the landmark kernel mixes them), so every output row would
   * depend on later keys.
   */
  @Override
  public String causalUnsupported() {
    return "no published causal Nystrom approximation keeps its landmark form: the key landmarks average over all "
        + "keys, so every output row would depend on later keys";
  }

  @Override
  public void validateFor(int n, int m) {
    Checks.requireAtMost(landmarks, Math.min(n, m), "landmarks", "min(n, m)");
  }
}
