package org.scatterbrain.core.features;

import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.core.linalg.Parallel;

/**
 * The prefix sums of causal FAVOR+ (Choromanski et al. 2021, "unidirectional" attention): for query i with last
 * visible key {@code L_i = i + m - n},
 *
 * <pre>
 *   out_i = sum_f a_if sum_{j <= L_i} khat_jf exp(kappa_j - kappa_{L_i}) x_j  +  eps (sum_f a_if) sum_{j <= L_i} x_j
 * </pre>
 *
 * for query weights a (n x F), key features {@code khat_jf} stored in units of {@code exp(kappa_j)}, where {@code
 * kappa} is a running (prefix) maximum, and rows {@code x_j} of width w (the values with a column of ones, so one pass
 * gives numerators and denominators). The key-side stabiliser {@code kappa_{L_i}} is the largest of the keys query i
 * sees, never a later one, so each row is computed from its visible keys only, bit for bit.
 *
 * <p>Computed blockwise: keys in blocks of {@value #BLOCK}, aligned with the queries whose last visible key falls in
 * them. A running state {@code S = sum_j khat_j exp(kappa_j - kappa) x_j^T} (F x w, in units of the current kappa) holds
 * the keys of earlier blocks; a query adds its own block's visible keys through one B x B product with the future
 * pairs zeroed. Memory O(F w + B F + B^2) besides the output, never O(n F w); cost O((n + m) F w + n B (F + w)).
 * Sequential, so the result does not depend on parallelism.
 */
public final class CausalPrefixSums {
  /** Keys (and queries) per block. */
  static final int BLOCK = 64;

  private CausalPrefixSums() {}

  /** Bytes of working state for F features and width w: the running sums and one block of scratch. */
  public static long scratchBytes(int f, int w) {
    return 8L * ((long) f * w + w + (long) f * BLOCK + (long) BLOCK * BLOCK);
  }

  /**
   * The n x w prefix sums above. Not modified: any argument.
   *
   * @param a query weights, n x F row-major
   * @param khat key features, m x F row-major, key j in units of {@code exp(kappa[j])}
   * @param kappa non-decreasing per-key log units (a prefix maximum), m entries
   * @param x rows to sum, m x w row-major
   * @param eps the per-feature constant added to every key feature in units of {@code exp(kappa_{L_i})} (0: none)
   */
  public static double[] compute(
      double[] a, int n, int f, double[] khat, double[] kappa, int m, double[] x, int w, double eps) {
    if (m < n) {
      throw new IllegalArgumentException("a causal mask needs m >= n, got n = " + n + ", m = " + m);
    }
    int offset = m - n;
    double[] out = new double[n * w];
    double[] state = new double[f * w];
    double[] prefix = new double[w]; // sum of the rows x_j added to the state (for eps)
    double[] panel = new double[f * BLOCK];
    double[] p = new double[BLOCK * BLOCK];
    double[] stateLog = {Double.NEGATIVE_INFINITY};
    for (int j0 = 0; j0 < offset; j0 += BLOCK) {
      Parallel.checkInterrupted();
      add(khat, kappa, f, x, w, j0, Math.min(offset, j0 + BLOCK), state, stateLog, prefix, panel);
    }
    for (int i0 = 0; i0 < n; i0 += BLOCK) {
      Parallel.checkInterrupted();
      int rows = Math.min(BLOCK, n - i0);
      int j0 = i0 + offset;
      // the earlier blocks, rescaled to each row's own stabiliser kappa_{L_i}
      if (stateLog[0] > Double.NEGATIVE_INFINITY) {
        Gemm.multiplyAdd(a, i0 * f, f, state, 0, w, out, i0 * w, w, rows, f, w);
        for (int r = 0; r < rows; r++) {
          double s = Math.exp(stateLog[0] - kappa[j0 + r]);
          int o = (i0 + r) * w;
          for (int c = 0; c < w; c++) {
            out[o + c] *= s;
          }
        }
      }
      // this block's visible keys: a_i . khat_j exp(kappa_j - kappa_{L_i}) for j <= L_i, 0 for later keys
      transpose(khat, f, j0, rows, panel);
      java.util.Arrays.fill(p, 0, rows * rows, 0.0);
      Gemm.multiplyAdd(a, i0 * f, f, panel, 0, rows, p, 0, rows, rows, f, rows);
      for (int r = 0; r < rows; r++) {
        double ref = kappa[j0 + r];
        for (int c = 0; c < rows; c++) {
          p[r * rows + c] = c <= r ? p[r * rows + c] * Math.exp(kappa[j0 + c] - ref) : 0.0;
        }
      }
      Gemm.multiplyAdd(p, 0, rows, x, j0 * w, w, out, i0 * w, w, rows, rows, w);
      if (eps > 0) {
        double[] run = prefix.clone();
        for (int r = 0; r < rows; r++) {
          int xo = (j0 + r) * w;
          double aSum = 0;
          for (int t = 0; t < f; t++) {
            aSum += a[(i0 + r) * f + t];
          }
          int o = (i0 + r) * w;
          for (int c = 0; c < w; c++) {
            run[c] += x[xo + c];
            out[o + c] += eps * aSum * run[c];
          }
        }
      }
      add(khat, kappa, f, x, w, j0, j0 + rows, state, stateLog, prefix, panel);
    }
    return out;
  }

  /** Adds keys [j0, j1) to the state, first rescaling it to the units of kappa[j1 - 1]. */
  private static void add(
      double[] khat,
      double[] kappa,
      int f,
      double[] x,
      int w,
      int j0,
      int j1,
      double[] state,
      double[] stateLog,
      double[] prefix,
      double[] panel) {
    int cols = j1 - j0;
    double target = kappa[j1 - 1];
    if (stateLog[0] > Double.NEGATIVE_INFINITY && stateLog[0] != target) {
      double s = Math.exp(stateLog[0] - target);
      for (int t = 0; t < state.length; t++) {
        state[t] *= s;
      }
    }
    transpose(khat, f, j0, cols, panel);
    for (int c = 0; c < cols; c++) {
      double s = Math.exp(kappa[j0 + c] - target);
      for (int t = 0; t < f; t++) {
        panel[t * cols + c] *= s;
      }
    }
    Gemm.multiplyAdd(panel, 0, cols, x, j0 * w, w, state, 0, w, f, cols, w);
    stateLog[0] = target;
    for (int j = j0; j < j1; j++) {
      for (int c = 0; c < w; c++) {
        prefix[c] += x[j * w + c];
      }
    }
  }

  /** {@code panel[t * cols + c] = khat[(j0 + c) * f + t]}: keys j0 .. j0 + cols as columns. */
  private static void transpose(double[] khat, int f, int j0, int cols, double[] panel) {
    for (int c = 0; c < cols; c++) {
      int o = (j0 + c) * f;
      for (int t = 0; t < f; t++) {
        panel[t * cols + c] = khat[o + t];
      }
    }
  }
}
