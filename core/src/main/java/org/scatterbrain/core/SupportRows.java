package org.scatterbrain.core;

import org.scatterbrain.core.features.LowRankPart;
import org.scatterbrain.core.sparse.SparseSupport;

/**
 * Normalised rows of a sparse or Scatterbrain estimate: {@code c_ij exp(s_ij - ln Z_i)} on the support, and off it 0
 * (sparse) or {@code qbar_i . kbar_j exp(l_i - ln Z_i)} (Scatterbrain, with {@code lowRank} non-null and the
 * weights {@code exp(l_i - ln Z_i)} per row).
 */
final class SupportRows extends LogitRows {
  private final LowRankPart lowRank;
  private final double[] lowRankWeights;

  SupportRows(
      AttentionInputs in,
      SparseSupport support,
      double[] logZ,
      LowRankPart lowRank,
      double[] lowRankWeights) {
    super(in, support, logZ);
    this.lowRank = lowRank;
    this.lowRankWeights = lowRankWeights;
  }

  @Override
  public void rows(int from, int to, double[] dst) {
    Logits logits = logits();
    int m = in.keyCount();
    if (lowRank != null) {
      lowRank.products(from, to, dst);
    } else {
      java.util.Arrays.fill(dst, 0, (to - from) * m, 0.0);
    }
    int[] keys = new int[support.maxRowSupport()];
    int[] counts = new int[support.maxRowSupport()];
    for (int i = from; i < to; i++) {
      int o = (i - from) * m;
      double z = logZ[i];
      if (z == Double.NEGATIVE_INFINITY) {
        java.util.Arrays.fill(dst, o, o + m, 0.0);
        continue;
      }
      if (lowRank != null) {
        double f = lowRankWeights[i]; // exp(l_i - ln Z_i), computed without overflow by the estimator
        for (int j = 0; j < m; j++) {
          dst[o + j] *= f;
        }
      }
      supportEntries(logits, i, dst, o, keys, counts);
    }
  }
}
