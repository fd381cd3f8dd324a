package org.scatterbrain.core.linalg;

import java.util.Arrays;

/**
 * Streamed exact softmax attention: {@code out = softmax_row(tau Q K^T) V} computed in blocks of query rows and key
 * columns with a running row maximum (the "online softmax"), so no n x m matrix ever exists. Memory: O((n + m) d + n
 * dv) plus one {@value #QUERY_BLOCK} x {@value #KEY_BLOCK} scratch block per worker. Flops: {@code 2 n m (d + dv)}
 * plus n m exponentials ({@link Exp}).
 *
 * <p>Besides the output, each row's log-normaliser {@code ln Z_i = ln sum_j exp(tau q_i . k_j)} and its entropy
 * {@code H_i = -sum_j A_ij ln A_ij} are returned, so that exact attention rows can be re-created later one block at a
 * time ({@code A_ij = exp(tau q_i . k_j - ln Z_i)}) and results can be read against entropy as the paper does.
 *
 * <p>Causal mask ({@link #attend(double[], int, double[], double[], int, int, int, double, boolean, boolean)}):
 * query i sees keys {@code j <= i + m - n} only. A block of queries scans only the keys its last row sees, and each
 * row's maximum, weights and sums cover only its visible keys (masked weights are exactly 0), so the masked form does
 * about half the work and its rows are exactly the softmax over the visible keys.
 *
 * <p>Numerics: every exponent is {@code s - max <= 0}, so nothing overflows at any temperature; the entropy is
 * accumulated as {@code sum_j e^{s_j - M} (s_j - M)}, which avoids cancelling large logits against each other.
 */
public final class ExactKernel {
  /** Query rows per block. */
  static final int QUERY_BLOCK = 32;

  /** Key columns per block. */
  static final int KEY_BLOCK = 256;

  private ExactKernel() {}

  /** Output of {@link #attend}: row-major n x dv output, and per-row ln Z and entropy (nats). */
  public record Result(double[] output, double[] logNormalizer, double[] entropy) {}

  /**
   * Exact attention of row-major queries {@code q} (n x d) over keys given transposed, {@code kt} (d x m row-major,
   * i.e. key j is column j), and values {@code v} (m x dv). Not modified: {@code q}, {@code kt}, {@code v}.
   */
  public static Result attend(
      double[] q,
      int n,
      double[] kt,
      double[] v,
      int m,
      int d,
      int dv,
      double scale,
      boolean parallel) {
    return attend(q, n, kt, v, m, d, dv, scale, false, parallel);
  }

  /**
   * As {@link #attend(double[], int, double[], double[], int, int, int, double, boolean)}, with the causal mask when
   * {@code causal} (query i sees keys {@code j <= i + m - n}; needs m >= n).
   */
  public static Result attend(
      double[] q,
      int n,
      double[] kt,
      double[] v,
      int m,
      int d,
      int dv,
      double scale,
      boolean causal,
      boolean parallel) {
    if (causal && m < n) {
      throw new IllegalArgumentException("a causal mask needs m >= n, got n = " + n + ", m = " + m);
    }
    int offset = causal ? m - n : -1;
    double[] out = new double[n * dv];
    double[] logZ = new double[n];
    double[] entropy = new double[n];
    int blocks = (n + QUERY_BLOCK - 1) / QUERY_BLOCK;
    int chunks = Parallel.chunks(blocks, parallel);
    Parallel.forEachChunk(
        chunks,
        parallel,
        c -> {
          Scratch s = new Scratch(d);
          int b0 = Parallel.chunkStart(c, chunks, blocks);
          int b1 = Parallel.chunkEnd(c, chunks, blocks);
          for (int b = b0; b < b1; b++) {
            Parallel.checkInterrupted();
            int i0 = b * QUERY_BLOCK;
            int rows = Math.min(QUERY_BLOCK, n - i0);
            attendBlock(q, i0, rows, kt, v, m, d, dv, scale, offset, out, logZ, entropy, s);
          }
        });
    return new Result(out, logZ, entropy);
  }

  private static final class Scratch {
    final double[] qs;
    final double[] logits = new double[QUERY_BLOCK * KEY_BLOCK];
    final double[] weights = new double[QUERY_BLOCK * KEY_BLOCK];
    final double[] rowMax = new double[QUERY_BLOCK];
    final double[] sum = new double[QUERY_BLOCK];
    final double[] ent = new double[QUERY_BLOCK];

    Scratch(int d) {
      qs = new double[QUERY_BLOCK * d];
    }
  }

  private static void attendBlock(
      double[] q,
      int i0,
      int rows,
      double[] kt,
      double[] v,
      int m,
      int d,
      int dv,
      double scale,
      int offset,
      double[] out,
      double[] logZ,
      double[] entropy,
      Scratch s) {
    double[] qs = s.qs;
    for (int x = 0; x < rows * d; x++) {
      qs[x] = scale * q[i0 * d + x];
    }
    double[] rowMax = s.rowMax;
    double[] sum = s.sum;
    double[] ent = s.ent;
    Arrays.fill(rowMax, Double.NEGATIVE_INFINITY);
    Arrays.fill(sum, 0.0);
    Arrays.fill(ent, 0.0);
    double[] p = s.logits;
    double[] w = s.weights;
    int outOff = i0 * dv;
    // keys [0, limit) are seen by some row of the block: all of them, or up to the last row's under the mask
    int limit = offset < 0 ? m : i0 + rows + offset;
    for (int j0 = 0; j0 < limit; j0 += KEY_BLOCK) {
      int cols = Math.min(KEY_BLOCK, limit - j0);
      Arrays.fill(p, 0, rows * cols, 0.0);
      Gemm.multiplyAdd(qs, 0, d, kt, j0, m, p, 0, cols, rows, d, cols);
      for (int r = 0; r < rows; r++) {
        int base = r * cols;
        // this row's visible columns of the block (all without the mask; every row sees key 0, so a row's first
        // block always has at least one)
        int vis = offset < 0 ? cols : Math.min(cols, i0 + r + offset + 1 - j0);
        if (vis <= 0) {
          Arrays.fill(w, base, base + cols, 0.0);
          continue;
        }
        double mx = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < vis; j++) {
          mx = Math.max(mx, p[base + j]);
        }
        double old = rowMax[r];
        if (mx > old) {
          if (sum[r] > 0) {
            double f = Math.exp(old - mx);
            ent[r] = f * (ent[r] + (old - mx) * sum[r]);
            sum[r] *= f;
            int o = outOff + r * dv;
            for (int c = 0; c < dv; c++) {
              out[o + c] *= f;
            }
          }
          rowMax[r] = mx;
        }
        double ref = rowMax[r];
        Exp.expShifted(p, base, ref, w, base, vis);
        if (vis < cols) {
          Arrays.fill(w, base + vis, base + cols, 0.0);
        }
        // fixed four-way split of the sums: the same order whatever kernel computed the weights
        double l0 = 0;
        double l1 = 0;
        double l2 = 0;
        double l3 = 0;
        double e0 = 0;
        double e1 = 0;
        double e2 = 0;
        double e3 = 0;
        int j = 0;
        for (; j + 4 <= vis; j += 4) {
          int x = base + j;
          l0 += w[x];
          l1 += w[x + 1];
          l2 += w[x + 2];
          l3 += w[x + 3];
          e0 += w[x] * (p[x] - ref);
          e1 += w[x + 1] * (p[x + 1] - ref);
          e2 += w[x + 2] * (p[x + 2] - ref);
          e3 += w[x + 3] * (p[x + 3] - ref);
        }
        for (; j < vis; j++) {
          l0 += w[base + j];
          e0 += w[base + j] * (p[base + j] - ref);
        }
        l0 += l2;
        l1 += l3;
        e0 += e2;
        e1 += e3;
        sum[r] += l0 + l1;
        ent[r] += e0 + e1;
      }
      Gemm.multiplyAdd(w, 0, cols, v, j0 * dv, dv, out, outOff, dv, rows, cols, dv);
    }
    for (int r = 0; r < rows; r++) {
      double inv = 1.0 / sum[r];
      int o = outOff + r * dv;
      for (int c = 0; c < dv; c++) {
        out[o + c] *= inv;
      }
      double lnSum = Math.log(sum[r]);
      logZ[i0 + r] = rowMax[r] + lnSum;
      entropy[i0 + r] = Math.max(0.0, lnSum - ent[r] * inv);
    }
  }
}
