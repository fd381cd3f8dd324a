package org.scatterbrain.core;

/** Naive dense logits for small test problems. */
final class ExactLogitsTestUtil {
  private ExactLogitsTestUtil() {}

  /** Row-major n x m matrix of tau q_i . k_j, summed naively. */
  static double[] logits(AttentionInputs in) {
    int n = in.queryCount();
    int m = in.keyCount();
    int d = in.headDim();
    double[] q = in.queriesRowMajor();
    double[] k = in.keysRowMajor();
    double[] s = new double[n * m];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        double dot = 0;
        for (int t = 0; t < d; t++) {
          dot += q[i * d + t] * k[j * d + t];
        }
        s[i * m + j] = in.scale() * dot;
      }
    }
    return s;
  }
}
