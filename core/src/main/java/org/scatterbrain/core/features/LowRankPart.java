package org.scatterbrain.core.features;

import java.util.Arrays;
import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.core.linalg.Parallel;
import org.scatterbrain.core.linalg.RowMajor;

/**
 * The low-rank (FAVOR+) part of attention for one input: stabilised query and key features, the key sums {@code G =
 * sum_j kbar_j v_j^T} (F x dv) and {@code g = sum_j kbar_j} (F), and per query the low-rank numerator {@code qbar_i^T
 * G} and denominator {@code qbar_i . g}, both in units of {@code exp(l_i)} with {@code l_i = logScale_q(i) +
 * logScale_k} (spec section 2.2, 4.2 step 3). Performer is this alone; Scatterbrain corrects it on a support.
 *
 * <p>Cost O((n + m) F (d + dv)); memory O((n + m) F). Every output row depends only on its own inputs, so results do
 * not depend on parallelism.
 */
public final class LowRankPart {
  private final PositiveRandomFeatures map;
  private final FeatureMatrix queries;
  private final FeatureMatrix keys;
  private final int dv;
  private final int width;
  private final double[] numDen; // n x width: [qbar G, qbar . g, 0...]
  private volatile double[] keysT; // F x m, built on the first row request (error metrics only)

  private LowRankPart(
      PositiveRandomFeatures map,
      FeatureMatrix queries,
      FeatureMatrix keys,
      int dv,
      int width,
      double[] numDen) {
    this.map = map;
    this.queries = queries;
    this.keys = keys;
    this.dv = dv;
    this.width = width;
    this.numDen = numDen;
  }

  /** Computes features and sums for {@code in}. Not modified: {@code in}. */
  public static LowRankPart compute(
      PositiveRandomFeatures map, AttentionInputs in, boolean parallel) {
    if (map.projection().dim() != in.headDim()) {
      throw new IllegalArgumentException(
          "projection has "
              + map.projection().dim()
              + " columns but the inputs' head dim is "
              + in.headDim());
    }
    int n = in.queryCount();
    int m = in.keyCount();
    int dv = in.valueDim();
    // the features' exponents hold tau |x|^2 / 2 and sqrt(tau) W x: both must be finite (the estimator's precondition)
    double qn = AttentionInputs.maxNorm(in.queriesRowMajor(), n, in.headDim());
    double kn = AttentionInputs.maxNorm(in.keysRowMajor(), m, in.headDim());
    double xn = Math.max(qn, kn);
    double exponent = in.scale() * xn * xn;
    double projected = Math.sqrt(in.scale()) * xn * map.projection().maxRowNorm();
    if (!Double.isFinite(exponent) || !Double.isFinite(projected)) {
      throw new IllegalArgumentException("random features overflow: tau max|x|^2 = " + exponent + " and sqrt(tau) max|w|"
          + " max|x| = " + projected + " must be finite (scale " + in.scale() + ", largest input norm " + xn + ")");
    }
    FeatureMatrix kf = map.keys(in.keysRowMajor(), m, in.scale(), parallel);
    FeatureMatrix qf = map.queries(in.queriesRowMajor(), n, in.scale(), kf, parallel);
    int f = qf.features();
    // [V | 1 | 0...] so one multiply gives both G and g; the width is padded to a multiple of 16 so that the SIMD
    // kernel covers every column (a lone 65th column would run through the scalar tail)
    int w = ((dv + 1 + 15) / 16) * 16;
    double[] v1 = new double[m * w];
    double[] v = in.valuesRowMajor();
    for (int j = 0; j < m; j++) {
      System.arraycopy(v, j * dv, v1, j * w, dv);
      v1[j * w + dv] = 1.0;
    }
    double[] gAug = keySums(kf.values(), v1, m, f, w, parallel);
    double[] numDen = new double[n * w];
    int rowChunks = Parallel.chunks(n, parallel);
    Parallel.forEachChunk(
        rowChunks,
        parallel,
        c -> {
          int r0 = Parallel.chunkStart(c, rowChunks, n);
          int r1 = Parallel.chunkEnd(c, rowChunks, n);
          Gemm.multiplyAdd(qf.values(), r0 * f, f, gAug, 0, w, numDen, r0 * w, w, r1 - r0, f, w);
        });
    return new LowRankPart(map, qf, kf, dv, w, numDen);
  }

  /**
   * {@code [G | g] = Kbar^T [V | 1]} (F x w), accumulated over key blocks in key order. Each feature row's chain of
   * updates runs in the same order whatever the chunking, so parallel and sequential results are identical.
   */
  private static double[] keySums(
      double[] kbar, double[] v1, int m, int f, int w, boolean parallel) {
    double[] gAug = new double[f * w];
    final int keyBlock = 256;
    int chunks = Parallel.chunks(Math.max(1, f / 32), parallel);
    Parallel.forEachChunk(
        chunks,
        parallel,
        c -> {
          int r0 = Parallel.chunkStart(c, chunks, f);
          int r1 = Parallel.chunkEnd(c, chunks, f);
          int rows = r1 - r0;
          double[] panel = new double[rows * keyBlock];
          for (int j0 = 0; j0 < m; j0 += keyBlock) {
            Parallel.checkInterrupted();
            int kb = Math.min(keyBlock, m - j0);
            // transpose in 8-key strips: contiguous writes, 8 open read streams
            for (int js = 0; js < kb; js += 8) {
              int je = Math.min(kb, js + 8);
              for (int r = 0; r < rows; r++) {
                int o = r * kb;
                for (int j = js; j < je; j++) {
                  panel[o + j] = kbar[(j0 + j) * f + r0 + r];
                }
              }
            }
            Gemm.multiplyAdd(panel, 0, kb, v1, j0 * w, w, gAug, r0 * w, w, rows, kb, w);
          }
        });
    return gAug;
  }

  /** The feature map used. */
  public PositiveRandomFeatures map() {
    return map;
  }

  /** Stabilised query features (per-row scales). */
  public FeatureMatrix queryFeatures() {
    return queries;
  }

  /** Stabilised key features (one scale per feature column). */
  public FeatureMatrix keyFeatures() {
    return keys;
  }

  /** {@code l_i}: the log of the unit of row i's low-rank quantities. */
  public double logScale(int i) {
    return queries.logScale()[i];
  }

  /** Low-rank denominator {@code qbar_i . g} of row i, in units of exp(l_i); at least 1 (see {@link FeatureMatrix}). */
  public double denominator(int i) {
    return numDen[i * width + dv];
  }

  /** Low-rank numerator entry {@code (qbar_i^T G)_c}, in units of exp(l_i). */
  public double numerator(int i, int c) {
    return numDen[i * width + c];
  }

  /**
   * Writes {@code qbar_i . kbar_j} for rows [from, to) and every key j into {@code dst} ((to - from) x m row-major).
   * Modified: {@code dst}.
   */
  public void products(int from, int to, double[] dst) {
    int m = keys.rows();
    int f = keys.features();
    double[] kt = keysT;
    if (kt == null) {
      kt = RowMajor.transpose(keys.values(), m, f);
      keysT = kt;
    }
    Arrays.fill(dst, 0, (to - from) * m, 0.0);
    Gemm.multiplyAdd(queries.values(), from * f, f, kt, 0, m, dst, 0, m, to - from, f, m);
  }

  /** Bytes held: features and the per-row sums. */
  public long bytes() {
    return queries.bytes() + keys.bytes() + 8L * numDen.length;
  }
}
