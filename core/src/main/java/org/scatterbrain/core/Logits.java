package org.scatterbrain.core;

import java.util.Arrays;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.core.linalg.RowMajor;

/** Blocks of exact logits {@code s_ij = tau q_i . k_j} for rows of one input, recomputed on demand. */
final class Logits {
  private final AttentionInputs in;
  private final double[] keysT;
  private final double[] scaled;

  Logits(AttentionInputs in) {
    this.in = in;
    this.keysT = RowMajor.transpose(in.keysRowMajor(), in.keyCount(), in.headDim());
    double[] q = in.queriesRowMajor();
    this.scaled = new double[q.length];
    for (int x = 0; x < q.length; x++) {
      scaled[x] = in.scale() * q[x];
    }
  }

  /** Writes logits of rows [from, to) against every key into dst ((to - from) x m). Modified: {@code dst}. */
  void rows(int from, int to, double[] dst) {
    int m = in.keyCount();
    int d = in.headDim();
    Arrays.fill(dst, 0, (to - from) * m, 0.0);
    Gemm.multiplyAdd(scaled, from * d, d, keysT, 0, m, dst, 0, m, to - from, d, m);
  }

  /**
   * One logit, from the keys as the inputs hold them (row-major: key j's d entries are contiguous, where the
   * transposed copy for {@link #rows} would read them m entries apart, a cache line each). The same fused products in
   * the same order as a read of the transposed copy, so the same bits.
   */
  double logit(int i, int j) {
    int d = in.headDim();
    double[] k = in.keysRowMajor();
    double s = 0;
    for (int t = 0; t < d; t++) {
      s = Math.fma(scaled[i * d + t], k[j * d + t], s);
    }
    return s;
  }

  long bytes() {
    return 8L * (keysT.length + scaled.length);
  }
}
