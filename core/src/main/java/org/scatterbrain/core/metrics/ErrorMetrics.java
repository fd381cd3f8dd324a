package org.scatterbrain.core.metrics;

import java.util.Arrays;
import org.scatterbrain.core.ApproximateAttention;
import org.scatterbrain.core.Estimate;
import org.scatterbrain.core.ExactReference;
import org.scatterbrain.core.linalg.Exp;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.core.linalg.Parallel;
import org.scatterbrain.core.linalg.RowMajor;
import org.scatterbrain.core.sparse.SparseSupport;

/**
 * Error metrics of an estimate against exact attention ({@link ErrorReport}, {@link AttentionErrors}), computed in
 * blocks of rows: exact rows are recomputed from the logits and the reference's row log-normalisers, approximate rows
 * from the estimate, so memory is O((n + m) d + B m) for blocks of B rows, never n x m. Per-row partial results are
 * reduced in row order, so results do not depend on parallelism.
 *
 * <p>Under the causal mask the exact rows are 0 on masked keys ({@code j > i + m - n}, logit -infinity), so an estimate
 * that put mass there would have an infinite KL divergence; every causal estimator keeps them at 0.
 */
public final class ErrorMetrics {
  /** Entries per row block (rows x m) of scratch. */
  private static final int BLOCK_ENTRIES = 1 << 16;

  private ErrorMetrics() {}

  /**
   * Compares {@code estimate} with {@code reference}; attention-matrix errors only when {@code attentionErrors}.
   * Not modified: both arguments.
   */
  public static ErrorReport compare(
      ExactReference reference, Estimate estimate, boolean attentionErrors, boolean parallel) {
    int n = reference.inputs().queryCount();
    int dv = reference.inputs().valueDim();
    double[] exact = reference.outputRowMajor();
    double[] approx = estimate.outputRowMajor();
    if (approx.length != exact.length) {
      throw new IllegalArgumentException(
          "estimate output has " + approx.length + " entries, the reference " + exact.length);
    }
    double diff = 0;
    double norm = 0;
    double maxAbs = 0;
    for (int x = 0; x < n * dv; x++) {
      double e = approx[x] - exact[x];
      diff += e * e;
      norm += exact[x] * exact[x];
      maxAbs = Math.max(maxAbs, Math.abs(e));
    }
    double rel = norm > 0 ? Math.sqrt(diff / norm) : Math.sqrt(diff);
    if (Double.isNaN(rel)) {
      throw new ArithmeticException("estimate output contains NaN");
    }
    AttentionErrors att =
        attentionErrors ? attentionErrors(reference, estimate.attention(), parallel) : null;
    return new ErrorReport(rel, maxAbs, att);
  }

  /** Attention-matrix errors of {@code approx} against {@code reference}. */
  public static AttentionErrors attentionErrors(
      ExactReference reference, ApproximateAttention approx, boolean parallel) {
    int n = reference.inputs().queryCount();
    int m = reference.inputs().keyCount();
    int d = reference.inputs().headDim();
    double tau = reference.inputs().scale();
    double[] q = reference.inputs().queriesRowMajor();
    double[] kt = RowMajor.transpose(reference.inputs().keysRowMajor(), m, d);
    SparseSupport support = approx.support();
    double[] diff2 = new double[n];
    double[] exact2 = new double[n];
    double[] maxAbs = new double[n];
    double[] kl = new double[n];
    double[] tv = new double[n];
    double[] mass = new double[n];
    int block = Math.max(1, Math.min(64, BLOCK_ENTRIES / m));
    int blocks = (n + block - 1) / block;
    int chunks = Parallel.chunks(blocks, parallel);
    Parallel.forEachChunk(
        chunks,
        parallel,
        c -> {
          double[] qs = new double[block * d];
          double[] logits = new double[block * m];
          double[] a = new double[block * m];
          double[] exactRow = new double[m];
          int[] keys = support == null ? null : new int[support.maxRowSupport()];
          int[] counts = support == null ? null : new int[support.maxRowSupport()];
          for (int b = Parallel.chunkStart(c, chunks, blocks); b < Parallel.chunkEnd(c, chunks, blocks); b++) {
            Parallel.checkInterrupted();
            int i0 = b * block;
            int rows = Math.min(block, n - i0);
            for (int x = 0; x < rows * d; x++) {
              qs[x] = tau * q[i0 * d + x];
            }
            Arrays.fill(logits, 0, rows * m, 0.0);
            Gemm.multiplyAdd(qs, 0, d, kt, 0, m, logits, 0, m, rows, d, m);
            approx.rows(i0, i0 + rows, a);
            for (int r = 0; r < rows; r++) {
              int i = i0 + r;
              int vis = reference.inputs().visibleKeys(i);
              Arrays.fill(logits, r * m + vis, r * m + m, Double.NEGATIVE_INFINITY);
              Exp.expShifted(logits, r * m, reference.logNormalizer(i), exactRow, 0, m);
              rowErrors(i, r * m, m, logits, a, exactRow, reference.logNormalizer(i), diff2, exact2, maxAbs, kl, tv);
              if (support != null) {
                int len = support.rowSupport(i, keys, counts);
                double s = 0;
                for (int x = 0; x < len; x++) {
                  s += exactRow[keys[x]];
                }
                mass[i] = s;
              }
            }
          }
        });
    double d2 = 0;
    double e2 = 0;
    double mx = 0;
    double klSum = 0;
    double klMax = 0;
    double tvSum = 0;
    double tvMax = 0;
    double massSum = 0;
    // means as sums of x / n: a row KL can be near the largest double (attention at extreme temperatures), and the
    // mean of finite values stays finite this way
    for (int i = 0; i < n; i++) {
      d2 += diff2[i];
      e2 += exact2[i];
      mx = Math.max(mx, maxAbs[i]);
      klSum += kl[i] / n;
      klMax = Math.max(klMax, kl[i]);
      tvSum += tv[i] / n;
      tvMax = Math.max(tvMax, tv[i]);
      massSum += mass[i] / n;
    }
    return new AttentionErrors(
        Math.sqrt(d2 / e2),
        mx,
        klSum,
        klMax,
        tvSum,
        tvMax,
        support == null ? Double.NaN : massSum);
  }

  private static void rowErrors(
      int i,
      int o,
      int m,
      double[] logits,
      double[] a,
      double[] exactRow,
      double logZ,
      double[] diff2,
      double[] exact2,
      double[] maxAbs,
      double[] kl,
      double[] tv) {
    double dd = 0;
    double ee = 0;
    double mx = 0;
    double abs = 0;
    double positive = 0;
    for (int j = 0; j < m; j++) {
      double p = exactRow[j];
      double ah = a[o + j];
      double e = ah - p;
      dd += e * e;
      ee += p * p;
      mx = Math.max(mx, Math.abs(e));
      abs += Math.abs(e);
      if (ah > 0) {
        positive += ah;
      }
    }
    // KL(A_hat_i || A_i) with ln A_ij = s_ij - ln Z_i exactly (no underflow); rows are clipped at 0 and
    // renormalised (a no-op up to round-off unless entries are negative, as Nystrom's can be), rows without mass contribute 0
    double k = 0;
    if (positive > 0) {
      double norm = positive;
      for (int j = 0; j < m; j++) {
        double ah = a[o + j];
        if (ah > 0) {
          double w = ah / norm;
          k += w * (Math.log(w) - (logits[o + j] - logZ));
        }
      }
    }
    diff2[i] = dd;
    exact2[i] = ee;
    maxAbs[i] = mx;
    kl[i] = Math.max(0.0, k);
    tv[i] = 0.5 * abs;
  }
}
