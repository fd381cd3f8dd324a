package org.scatterbrain.core;

/**
 * The oracle reference (not a practical estimator: it reads the exact attention matrix, row by row): each row's
 * exact top-k keys, renormalised ({@code uniformRest = false}), or the top-k keys plus the exact mass of the other
 * keys spread uniformly over them ({@code uniformRest = true}). It shows the headroom of sparse + low-rank methods:
 * what an estimator that found the right keys and the right off-support mass would reach.
 *
 * @param topK keys per row, k
 * @param uniformRest whether the exact off-support mass is spread uniformly over the other keys
 */
public record OracleConfig(int topK, boolean uniformRest) implements MethodConfig {
  /** Validates. */
  public OracleConfig {
    Checks.requirePositive(topK, "topK");
  }

  /** Top-B keys ({@code uniformRest = false}), or top-B/2 keys and the uniform rest, at a budget of B entries. */
  public static OracleConfig forBudget(int budget, boolean uniformRest) {
    int k = uniformRest ? budget / 2 : budget;
    Budgets.requireFits(k >= 1, "oracle", budget, uniformRest ? "2 (1 key)" : "1 (1 key)");
    return new OracleConfig(k, uniformRest);
  }

  @Override
  public AttentionEstimator create(boolean parallel) {
    return new OracleAttention(this, parallel);
  }

  @Override
  public String method() {
    return "oracle";
  }

  /**
   * k entries, or 2k with the uniform rest: the rest stands for what the low-rank half of a sparse + low-rank
   * method would hold, so the oracle is counted at the budget it is the headroom of ({@link #forBudget}).
   */
  @Override
  public double entriesPerRow(int n, int m) {
    return uniformRest ? Math.min(2.0 * topK, m) : Math.min(topK, m);
  }

  /**
   * Under the mask, row i keeps {@code min(k, v)} of its {@code v = i + m - n + 1} visible keys ({@code min(2k, v)}
   * with the uniform rest, counted as above): the mean over rows.
   */
  @Override
  public double entriesPerRow(int n, int m, boolean causal) {
    if (!causal) {
      return entriesPerRow(n, m);
    }
    double s = 0;
    for (int i = 0; i < n; i++) {
      int visible = i + m - n + 1;
      s += uniformRest ? Math.min(2.0 * topK, visible) : Math.min(topK, visible);
    }
    return s / n;
  }

  /** The oracle among the visible keys ({@link OracleAttention}). */
  @Override
  public String causalUnsupported() {
    return null;
  }

  @Override
  public void validateFor(int n, int m) {
    Checks.requireAtMost(topK, m, "topK", "m");
  }
}
