package org.scatterbrain.core;

import org.scatterbrain.core.sparse.SparseSupport;

/**
 * Read access to an estimate's normalised attention matrix {@code A_hat} (n x m, rows summing to 1) one block of
 * rows at a time, so error metrics never hold the whole matrix. Each implementation recomputes rows from what its
 * estimator stored (features, support, normalisers): cost per row is O(m d) for logits plus O(m F) with features.
 */
public interface ApproximateAttention {
  /** Number of rows n. */
  int queryCount();

  /** Number of columns m. */
  int keyCount();

  /**
   * Writes rows [from, to) of the normalised approximate attention into {@code dst} (row-major, (to - from) x m).
   * Modified: {@code dst}.
   */
  void rows(int from, int to, double[] dst);

  /**
   * ln of row i's estimated normaliser {@code Z_hat_i = sum_j A_hat_unnormalised_ij}, so the unnormalised estimate is
   * {@code rows(i) * exp(logNormalizer(i))} (-infinity for an empty row). For Nystrom, which has no unnormalised
   * estimate, this is the log of the row sum.
   */
  double logNormalizer(int i);

  /** The sparse support the estimate is exact on, or null for dense and low-rank estimators. */
  SparseSupport support();
}
