package org.scatterbrain.core.sparse;

import java.util.Arrays;
import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.features.FeatureMatrix;
import org.scatterbrain.core.linalg.Exp;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.core.linalg.Parallel;

/**
 * Per-query sums over a sparse support S, the one kernel every sparse estimator and Scatterbrain's correction use:
 *
 * <pre>
 *   max_i   = max_{j in S_i} s_ij                      (s_ij = tau q_i . k_j)
 *   sum_i   = sum_{j in S_i} c_ij exp(s_ij - max_i)    num_i   = sum_{j in S_i} c_ij exp(s_ij - max_i) v_j
 *   lrSum_i = sum_{j in S_i} qbar_i . kbar_j           lrNum_i = sum_{j in S_i} (qbar_i . kbar_j) v_j   (with features)
 * </pre>
 *
 * where c_ij is the pair's multiplicity (1 for a deduplicated support) and qbar, kbar are stabilised features (so
 * the low-rank sums are in units of exp(l_i), spec 2.2). Logits and feature products of each tile are computed by
 * {@link Gemm}; the running maximum is updated tile by tile as in streaming softmax, so nothing overflows.
 *
 * <p>Causal inputs: the support must already be masked ({@link CausalSupport}), and with features from {@link
 * org.scatterbrain.core.features.LowRankPart#computeCausal} (key j in units of {@code exp(kappa_j)}, the keys' log
 * scale) each product is rescaled to its row's unit, {@code qbar_i . kbar_j exp(kappa_j - kappa_{L_i})}.
 *
 * <p>Memory: O(n dv) for the sums plus one tile of scratch per worker. Flops: 2 |tiles| (d + F + 2 dv) per tile
 * entry.
 */
public final class SupportSums {
  /** Row maxima of the logits over the support (-infinity for an empty row). */
  public final double[] max;

  /** Scaled exact mass per row. */
  public final double[] sum;

  /** Scaled exact numerators, n x dv row-major. */
  public final double[] num;

  /** Stabilised low-rank mass on the support per row, or null without features. */
  public final double[] lrSum;

  /** Stabilised low-rank numerators on the support, n x dv, or null without features. */
  public final double[] lrNum;

  private SupportSums(int n, int dv, boolean features) {
    max = new double[n];
    Arrays.fill(max, Double.NEGATIVE_INFINITY);
    sum = new double[n];
    num = new double[n * dv];
    lrSum = features ? new double[n] : null;
    lrNum = features ? new double[n * dv] : null;
  }

  /** Bytes of the sums. */
  public long bytes() {
    long b = 8L * (max.length + sum.length + num.length);
    if (lrSum != null) {
      b += 8L * (lrSum.length + lrNum.length);
    }
    return b;
  }

  /**
   * Accumulates the sums over {@code support}. With {@code qf} and {@code kf} non-null, also the low-rank sums.
   * Not modified: all arguments.
   */
  public static SupportSums compute(
      SparseSupport support,
      AttentionInputs in,
      FeatureMatrix qf,
      FeatureMatrix kf,
      boolean parallel) {
    int dv = in.valueDim();
    boolean features = qf != null;
    SupportSums out = new SupportSums(in.queryCount(), dv, features);
    for (int round = 0; round < support.rounds(); round++) {
      int tiles = support.tiles(round);
      int chunks = Parallel.chunks(tiles, parallel);
      final int r = round;
      Parallel.forEachChunk(
          chunks,
          parallel,
          c -> {
            Worker w = new Worker(support, in, qf, kf);
            for (int t = Parallel.chunkStart(c, chunks, tiles);
                t < Parallel.chunkEnd(c, chunks, tiles);
                t++) {
              Parallel.checkInterrupted();
              support.fillTile(r, t, w.tile);
              w.accumulate(out);
            }
          });
    }
    return out;
  }

  /** Scratch for one worker thread. */
  private static final class Worker {
    final Tile tile;
    final AttentionInputs in;
    final FeatureMatrix qf;
    final FeatureMatrix kf;
    final int d;
    final int dv;
    final int f;
    final double[] qs;
    final double[] kt;
    final double[] s;
    final double[] vg;
    final double[] qbar;
    final double[] kbarT;
    final double[] p;
    final double[] acc;

    Worker(SparseSupport support, AttentionInputs in, FeatureMatrix qf, FeatureMatrix kf) {
      int mq = support.maxTileQueries();
      int mk = support.maxTileKeys();
      this.tile = new Tile(mq, mk);
      this.in = in;
      this.qf = qf;
      this.kf = kf;
      this.d = in.headDim();
      this.dv = in.valueDim();
      this.f = qf == null ? 0 : qf.features();
      qs = new double[mq * d];
      kt = new double[d * mk];
      s = new double[mq * mk];
      vg = new double[mk * dv];
      qbar = new double[mq * f];
      kbarT = new double[f * mk];
      p = new double[qf == null ? 0 : mq * mk];
      acc = new double[mq * dv];
    }

    void accumulate(SupportSums out) {
      int qn = tile.queryCount;
      int kn = tile.keyCount;
      if (qn == 0 || kn == 0) {
        return;
      }
      double[] q = in.queriesRowMajor();
      double[] k = in.keysRowMajor();
      double[] v = in.valuesRowMajor();
      double tau = in.scale();
      for (int r = 0; r < qn; r++) {
        int src = tile.queries[r] * d;
        for (int c = 0; c < d; c++) {
          qs[r * d + c] = tau * q[src + c];
        }
      }
      transposeRows(k, tile.keys, kn, d, kt);
      for (int c = 0; c < kn; c++) {
        System.arraycopy(v, tile.keys[c] * dv, vg, c * dv, dv);
      }
      Arrays.fill(s, 0, qn * kn, 0.0);
      Gemm.multiplyAdd(qs, 0, d, kt, 0, kn, s, 0, kn, qn, d, kn);
      if (qf != null) {
        double[] qv = qf.values();
        double[] kv = kf.values();
        for (int r = 0; r < qn; r++) {
          System.arraycopy(qv, tile.queries[r] * f, qbar, r * f, f);
        }
        transposeRows(kv, tile.keys, kn, f, kbarT);
        Arrays.fill(p, 0, qn * kn, 0.0);
        Gemm.multiplyAdd(qbar, 0, f, kbarT, 0, kn, p, 0, kn, qn, f, kn);
        if (in.causal()) {
          double[] kappa = kf.logScale();
          int offset = in.keyCount() - in.queryCount();
          for (int r = 0; r < qn; r++) {
            double ref = kappa[Math.min(tile.queries[r] + offset, in.keyCount() - 1)];
            for (int c = 0; c < kn; c++) {
              int j = tile.keys[c];
              // masked pairs are excluded below; keep their (unused) product finite
              p[r * kn + c] = j <= tile.queries[r] + offset ? p[r * kn + c] * Math.exp(kappa[j] - ref) : 0.0;
            }
          }
        }
      }
      boolean[] inc = tile.include;
      for (int r = 0; r < qn; r++) {
        int i = tile.queries[r];
        int base = r * kn;
        double mx = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < kn; c++) {
          double x = inc[base + c] ? s[base + c] : Double.NEGATIVE_INFINITY;
          mx = x > mx ? x : mx;
        }
        double old = out.max[i];
        if (mx > old) {
          if (out.sum[i] > 0) {
            double scale = Math.exp(old - mx);
            out.sum[i] *= scale;
            for (int x = 0; x < dv; x++) {
              out.num[i * dv + x] *= scale;
            }
          }
          out.max[i] = mx;
        }
        double ref = out.max[i];
        double l = 0;
        double lr = 0;
        if (mx > Double.NEGATIVE_INFINITY) {
          Exp.expShifted(s, base, ref, s, base, kn);
        }
        for (int c = 0; c < kn; c++) {
          if (inc[base + c]) {
            l += s[base + c];
            if (p.length > 0) {
              lr += p[base + c];
            }
          } else {
            s[base + c] = 0.0;
            if (p.length > 0) {
              p[base + c] = 0.0;
            }
          }
        }
        out.sum[i] += l;
        if (out.lrSum != null) {
          out.lrSum[i] += lr;
        }
      }
      // numerators: rows of the tile are scattered, so accumulate into a contiguous block, then add
      double[] acc = this.acc;
      Arrays.fill(acc, 0, qn * dv, 0.0);
      Gemm.multiplyAdd(s, 0, kn, vg, 0, dv, acc, 0, dv, qn, kn, dv);
      scatterAdd(acc, out.num, qn, dv);
      if (out.lrNum != null) {
        Arrays.fill(acc, 0, qn * dv, 0.0);
        Gemm.multiplyAdd(p, 0, kn, vg, 0, dv, acc, 0, dv, qn, kn, dv);
        scatterAdd(acc, out.lrNum, qn, dv);
      }
    }

    /**
     * {@code dst[t * count + c] = src[rows[c] * width + t]}: the selected rows of {@code src} as columns, in strips of
     * 8 rows so that writes are contiguous.
     */
    private static void transposeRows(double[] src, int[] rows, int count, int width, double[] dst) {
      for (int c0 = 0; c0 < count; c0 += 8) {
        int c1 = Math.min(count, c0 + 8);
        for (int t = 0; t < width; t++) {
          int o = t * count;
          for (int c = c0; c < c1; c++) {
            dst[o + c] = src[rows[c] * width + t];
          }
        }
      }
    }

    private void scatterAdd(double[] acc, double[] dst, int qn, int dvv) {
      for (int r = 0; r < qn; r++) {
        int o = tile.queries[r] * dvv;
        for (int x = 0; x < dvv; x++) {
          dst[o + x] += acc[r * dvv + x];
        }
      }
    }
  }
}
