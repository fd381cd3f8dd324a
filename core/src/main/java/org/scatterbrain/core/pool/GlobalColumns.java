package org.scatterbrain.core.pool;

import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.linalg.Gemm;

/**
 * Global key columns: the G keys with the largest logit against the mean query, {@code tau qbar . k_j}. Since {@code
 * ln A_ij = tau q_i . k_j - ln Z_i}, the mean over rows of {@code ln A_ij} is {@code tau qbar . k_j} minus a constant:
 * this ranks keys by the geometric mean of their attention column, which finds the keys every row attends to
 * (attention sinks such as the first token) in O(m d), without any n x m work. Deterministic; ties go to the lower
 * index.
 */
public final class GlobalColumns {
  private GlobalColumns() {}

  /**
   * The first G keys {@code 0 .. G - 1} (G = min(count, m)): the causal rule, which no later key can change (decoders'
   * attention sinks are their first tokens).
   */
  public static int[] leading(int count, int m) {
    int g = Math.max(0, Math.min(count, m));
    int[] out = new int[g];
    for (int j = 0; j < g; j++) {
      out[j] = j;
    }
    return out;
  }

  /** The G keys with the largest mean-query logit, ascending by index (G = min(count, m)). */
  public static int[] of(AttentionInputs in, int count) {
    int n = in.queryCount();
    int m = in.keyCount();
    int d = in.headDim();
    int g = Math.min(count, m);
    if (g <= 0) {
      return new int[0];
    }
    double[] qbar = new double[d];
    double[] q = in.queriesRowMajor();
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < d; c++) {
        qbar[c] += q[i * d + c];
      }
    }
    for (int c = 0; c < d; c++) {
      qbar[c] /= n;
    }
    double[] score = new double[m];
    Gemm.multiplyAdd(in.keysRowMajor(), 0, d, qbar, 0, 1, score, 0, 1, m, d, 1);
    Integer[] order = new Integer[m];
    for (int j = 0; j < m; j++) {
      order[j] = j;
    }
    java.util.Arrays.sort(order, (a, b) -> score[a] != score[b] ? Double.compare(score[b], score[a]) : a - b);
    int[] out = new int[g];
    for (int x = 0; x < g; x++) {
      out[x] = order[x];
    }
    java.util.Arrays.sort(out);
    return out;
  }
}
