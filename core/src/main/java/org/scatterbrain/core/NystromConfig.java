package org.scatterbrain.core;

/**
 * Nystrom landmark attention (Xiong et al. 2021, "Nystromformer").
 *
 * @param landmarks number of landmarks L (segment means of queries and of keys); counted as 2L entries per row, like
 *     2F for features: L for the query's row of the n x L kernel plus L for the key's column of the L x m kernel
 */
public record NystromConfig(int landmarks) implements MethodConfig {
  /** Validates. */
  public NystromConfig {
    Checks.requirePositive(landmarks, "landmarks");
  }

  /** L = B / 2 landmarks (2L entries per row). */
  public static NystromConfig forBudget(int budget) {
    Budgets.requireFits(budget >= 2, "nystrom", budget, "2 (1 landmark)");
    return new NystromConfig(budget / 2);
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

  @Override
  public void validateFor(int n, int m) {
    Checks.requireAtMost(landmarks, Math.min(n, m), "landmarks", "min(n, m)");
  }
}
