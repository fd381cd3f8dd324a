package org.scatterbrain.core.features;

import java.util.Arrays;
import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.linalg.Exp;
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
 *
 * <p>Causal form ({@link #computeCausal}): the published causal FAVOR+ (Choromanski et al. 2021, "unidirectional"),
 * {@code qbar_i^T sum_{j <= L_i} kbar_j v_j^T / qbar_i . sum_{j <= L_i} kbar_j} with {@code L_i = i + m - n}, by
 * prefix sums ({@link CausalPrefixSums}). The stabilisers are per prefix: key j's features are kept in units of
 * {@code exp(kappa_j)}, kappa the running maximum of the keys' log-features, and row i's unit is {@code l_i = mu_i +
 * kappa_{L_i} - ln F} with mu_i the query's own largest log-feature, so a row's result depends on its visible keys
 * only (bit for bit). One scalar per prefix, not one per feature column as the bidirectional form: a denominator can
 * underflow where the visible keys' features are all far below the prefix maximum (only at extreme temperatures).
 */
public final class LowRankPart {
  private final PositiveRandomFeatures map;
  private final FeatureMatrix queries;
  private final FeatureMatrix keys;
  private final int dv;
  private final int width;
  private final double[] numDen; // n x width: [qbar G, qbar . g, 0...]
  private final boolean causal;
  private final long scratchBytes;
  private volatile double[] keysT; // F x m, built on the first row request (error metrics only)

  private LowRankPart(
      PositiveRandomFeatures map,
      FeatureMatrix queries,
      FeatureMatrix keys,
      int dv,
      int width,
      double[] numDen,
      boolean causal,
      long scratchBytes) {
    this.causal = causal;
    this.scratchBytes = scratchBytes;
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
    checkRange(map, in);
    int n = in.queryCount();
    int m = in.keyCount();
    int dv = in.valueDim();
    FeatureMatrix kf = map.keys(in.keysRowMajor(), m, in.scale(), parallel);
    FeatureMatrix qf = map.queries(in.queriesRowMajor(), n, in.scale(), kf, parallel);
    int f = qf.features();
    int w = width(dv);
    double[] v1 = valuesAndOnes(in, w);
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
    return new LowRankPart(map, qf, kf, dv, w, numDen, false, 0);
  }

  /**
   * The causal form for {@code in} (which must be causal): per-prefix stabilised features (see the class comment) and
   * the prefix sums of every row. The key features' {@code logScale} holds kappa_j. Needs eps = 0: eps added to
   * features stabilised against a data-dependent scale has no causal form. Not modified: {@code in}.
   */
  public static LowRankPart computeCausal(PositiveRandomFeatures map, AttentionInputs in, boolean parallel) {
    if (!in.causal()) {
      throw new IllegalArgumentException("computeCausal needs causal inputs, got " + in);
    }
    if (map.eps() > 0) {
      throw new IllegalArgumentException("eps = " + map.eps() + " > 0 has no causal form: it is added to features "
          + "stabilised against all keys; use eps = 0");
    }
    checkRange(map, in);
    int n = in.queryCount();
    int m = in.keyCount();
    int dv = in.valueDim();
    int f = map.featureCount();
    int offset = m - n;
    double[] khat = map.logFeatures(in.keysRowMajor(), m, in.scale(), parallel);
    double[] kappa = new double[m];
    double run = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < m; j++) {
      int o = j * f;
      for (int t = 0; t < f; t++) {
        run = Math.max(run, khat[o + t]);
      }
      kappa[j] = run;
      Exp.expShifted(khat, o, run, khat, o, f);
    }
    double[] qbar = map.logFeatures(in.queriesRowMajor(), n, in.scale(), parallel);
    double[] logScale = new double[n];
    double logF = Math.log(f);
    for (int i = 0; i < n; i++) {
      int o = i * f;
      double mu = Double.NEGATIVE_INFINITY;
      for (int t = 0; t < f; t++) {
        mu = Math.max(mu, qbar[o + t]);
      }
      Exp.expShifted(qbar, o, mu, qbar, o, f);
      logScale[i] = mu + kappa[i + offset] - logF;
    }
    int w = width(dv);
    double[] v1 = valuesAndOnes(in, w);
    double[] numDen = CausalPrefixSums.compute(qbar, n, f, khat, kappa, m, v1, w, 0.0);
    return new LowRankPart(map, new FeatureMatrix(n, f, qbar, logScale, null), new FeatureMatrix(m, f, khat, kappa,
        null), dv, w, numDen, true, CausalPrefixSums.scratchBytes(f, w));
  }

  /** Width of [V | 1] padded to a multiple of 16, so that the SIMD kernel covers every column. */
  private static int width(int dv) {
    return ((dv + 1 + 15) / 16) * 16;
  }

  /** [V | 1 | 0...], m x w. */
  private static double[] valuesAndOnes(AttentionInputs in, int w) {
    int m = in.keyCount();
    int dv = in.valueDim();
    double[] v1 = new double[m * w];
    double[] v = in.valuesRowMajor();
    for (int j = 0; j < m; j++) {
      System.arraycopy(v, j * dv, v1, j * w, dv);
      v1[j * w + dv] = 1.0;
    }
    return v1;
  }

  private static void checkRange(PositiveRandomFeatures map, AttentionInputs in) {
    if (map.projection().dim() != in.headDim()) {
      throw new IllegalArgumentException(
          "projection has "
              + map.projection().dim()
              + " columns but the inputs' head dim is "
              + in.headDim());
    }
    // the features' exponents hold tau |x|^2 / 2 and sqrt(tau) W x: both must be finite (the estimator's precondition)
    double qn = in.maxQueryNorm();
    double kn = in.maxKeyNorm();
    double xn = Math.max(qn, kn);
    double exponent = in.scale() * xn * xn;
    double projected = Math.sqrt(in.scale()) * xn * map.projection().maxRowNorm();
    if (!Double.isFinite(exponent) || !Double.isFinite(projected)) {
      throw new IllegalArgumentException("random features overflow: tau max|x|^2 = " + exponent + " and sqrt(tau) max|w|"
          + " max|x| = " + projected + " must be finite (scale " + in.scale() + ", largest input norm " + xn + ")");
    }
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
    if (causal) {
      // key j is in units of exp(kappa_j), row i's products in units of exp(kappa_{L_i}); later keys are masked
      double[] kappa = keys.logScale();
      int offset = m - queries.rows();
      for (int i = from; i < to; i++) {
        int o = (i - from) * m;
        int last = i + offset;
        for (int j = 0; j <= last; j++) {
          dst[o + j] *= Math.exp(kappa[j] - kappa[last]);
        }
        Arrays.fill(dst, o + last + 1, o + m, 0.0);
      }
    }
  }

  /** Whether this is the causal form ({@link #computeCausal}). */
  public boolean causal() {
    return causal;
  }

  /** Bytes held: features and the per-row sums (and, for the causal form, its running sums and block scratch). */
  public long bytes() {
    return queries.bytes() + keys.bytes() + 8L * numDen.length + scratchBytes;
  }
}
