package org.scatterbrain.core;

import java.util.Objects;

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

  @Override
  public void validateFor(int n, int m) {
    sparse.validateFor(n, m);
    lowRank.validateFor(n, m);
  }
}
