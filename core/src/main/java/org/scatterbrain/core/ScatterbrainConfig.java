package org.scatterbrain.core;

import java.util.Objects;
import java.util.function.IntFunction;

/**
 * Scatterbrain: a sparse support plus FAVOR+ features, exact on the support and low-rank elsewhere (spec section 4).
 *
 * @param lowRank the feature map
 * @param sparse the support (SMYRF, Reformer-style LSH or a local window); its pairs are always counted once
 */
public record ScatterbrainConfig(PerformerConfig lowRank, SparseConfig sparse)
    implements MethodConfig {
  /** Validates. */
  public ScatterbrainConfig {
    Objects.requireNonNull(lowRank, "lowRank");
    Objects.requireNonNull(sparse, "sparse");
  }

  /**
   * Half the budget each (spec section 6's equal split): F = B / 4 features rounded down to even (at least 2), and
   * the sparse part built by {@code sparseForBudget} for B / 2 entries.
   *
   * @param sparseForBudget the sparse part's own budget rule, e.g. {@code b -> LocalConfig.forBudget(b)}
   */
  public static ScatterbrainConfig forBudget(int budget, IntFunction<SparseConfig> sparseForBudget) {
    Checks.requirePositive(budget, "budget");
    PerformerConfig lowRank = PerformerConfig.of(Math.max(2, Budgets.evenFloor(budget / 4)));
    int half = Math.max(1, budget / 2);
    SparseConfig sparse;
    try {
      sparse = sparseForBudget.apply(half);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("budget " + budget + " is too small for scatterbrain: its sparse half of "
          + half + " entries: " + e.getMessage(), e);
    }
    ScatterbrainConfig c = new ScatterbrainConfig(lowRank, sparse);
    int max = (int) Math.ceil(c.lowRank.entriesPerRow(1, 1) + half);
    Budgets.requireFits(max <= budget, "scatterbrain", budget, "8 (2 antithetic features and 4 sparse entries)");
    return c;
  }

  @Override
  public AttentionEstimator create(boolean parallel) {
    return new ScatterbrainAttention(this, parallel);
  }

  @Override
  public String method() {
    return "scatterbrain";
  }

  /** Name of the sparse part: "smyrf", "reformer" or "local". */
  public String sparseKind() {
    return sparse.method();
  }

  @Override
  public double entriesPerRow(int n, int m) {
    return sparse.entriesPerRow(n, m) + lowRank.entriesPerRow(n, m);
  }

  /** The sparse part's causal count plus 2F for the features. */
  @Override
  public double entriesPerRow(int n, int m, boolean causal) {
    return sparse.entriesPerRow(n, m, causal) + lowRank.entriesPerRow(n, m, causal);
  }

  /** A causal form exists when both parts have one. */
  @Override
  public String causalUnsupported() {
    String low = lowRank.causalUnsupported();
    if (low != null) {
      return "its low-rank part: " + low;
    }
    String sp = sparse.causalUnsupported();
    return sp == null ? null : "its sparse part (" + sparse.method() + "): " + sp;
  }

  @Override
  public void validateFor(int n, int m) {
    sparse.validateFor(n, m);
    lowRank.validateFor(n, m);
  }
}
