package org.scatterbrain.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.scatterbrain.core.inputs.InputGenerators;
import org.scatterbrain.core.inputs.InputGenerators.GaussianSpec;

/**
 * Streamed exact attention ({@link ExactAttention}, {@link ExactReference}) against a naive dense computation written
 * here: logits by a compensated (double-double) dot product rounded once, then a two-pass max-subtracted softmax with
 * Neumaier-compensated sums. The naive side is therefore accurate to a few ulps of each quantity, and every
 * difference measured is the streamed kernel's own round-off.
 *
 * <p>Tolerances (style R8):
 *
 * <ul>
 *   <li>{@link #OUT}: output entries are convex combinations of a value column, so their natural scale is {@code
 *       max_j |v_jc|}; we require {@code |o - o_naive| <= 1e-12 max_j |v_jc|}. Round-off budget: each weight {@code
 *       exp(s - M)} carries a relative error of about {@code (d + 2) eps |s|} from the fma-chain logit and the
 *       exponential, plus {@code ~m eps} from the sums; with {@code |s| <= 60} and {@code d <= 16} that is {@code <
 *       2e-13} (measured: <= 1.3e-15).
 *   <li>Logit floor ({@link #logitTolerance}): a logit of magnitude |s| computed in double carries an unavoidable
 *       absolute error of up to {@code (d + 2) eps |s|} (tau q, then d fma roundings; the naive side rounds once), and
 *       softmax moves its output by {@code dO = sum_j p_j (v_j - O) ds_j}, at most {@code 2 max|v| max|ds|}. In the
 *       EXTREME cases (|s| up to 1e6) two nearly tied top logits make this ~1e-10, which no double implementation can
 *       beat; so output and entropy tolerances are {@code max(floor, 4 (d + 2) eps max|s|)} (twice the bound), which
 *       is the plain 1e-12 / 1e-10 floor in every non-extreme case.
 *   <li>{@link #LOG_Z}: {@code ln Z = M + ln sum}, absolute error {@code ~(d + 2) eps max(1, |M|)}; checked as 1e-12
 *       relative to {@code max(1, |ln Z|)}.
 *   <li>{@link #ENTROPY}: 1e-10 absolute, as the brief asks; the entropy is {@code ln S - sum w z / S}, a difference
 *       of terms of size {@code <= ln m + 60} outside the extreme cases, so its round-off is {@code < 1e-12}; in the
 *       extreme cases the logit floor above applies ({@code dH = -sum_j dp_j ln p_j}).
 * </ul>
 */
class ExactAttentionTest {
  private static final double OUT = 1e-12;
  private static final double LOG_Z = 1e-12;
  private static final double ENTROPY = 1e-10;
  private static final double EPS = Math.ulp(1.0);

  /** The unavoidable effect of logit round-off (see the class comment), or {@code floor} if larger. */
  static double logitTolerance(double floor, AttentionInputs in, Naive naive) {
    return Math.max(floor, 4 * (in.headDim() + 2) * EPS * naive.maxAbsLogitOrLogZ);
  }

  /** A small problem: shape plus how its inputs are drawn. */
  record Case(String name, int n, int m, int d, int dv, Regime regime, long seed) {
    @Override
    public String toString() {
      return name + "_" + regime;
    }

    AttentionInputs inputs() {
      RandomGenerator rng = Draws.create(seed);
      return switch (regime) {
        case DEFAULT -> InputGenerators.gaussian(GaussianSpec.raw(n, m, d, dv), rng);
        case HOT -> InputGenerators.gaussian(GaussianSpec.fixedNorm(n, m, d, dv, 0.6), 100 / Math.sqrt(d), rng);
        case COLD -> InputGenerators.gaussian(GaussianSpec.raw(n, m, d, dv), 1e-3 / Math.sqrt(d), rng);
        case EXTREME -> InputGenerators.gaussian(
            GaussianSpec.fixedNorm(n, m, d, dv, 100), 100 / Math.sqrt(d), rng);
      };
    }
  }

  /**
   * DEFAULT: raw Gaussian rows, tau = 1/sqrt(d). HOT: tau = 100/sqrt(d) with norm-0.6 rows (logits up to ~36/sqrt(d),
   * peaked but not one-hot, the regime where logit round-off matters most). COLD: tau = 1e-3/sqrt(d), nearly uniform.
   * EXTREME: tau = 100/sqrt(d) and row norm 100 (logits up to 1e6/sqrt(d)).
   */
  enum Regime {
    DEFAULT,
    HOT,
    COLD,
    EXTREME
  }

  static List<Case> cases() {
    int[][] shapes = {
      {1, 1, 1, 1},
      {33, 257, 1, 1},
      {70, 300, 5, 3},
      {31, 513, 16, 1},
      {64, 256, 8, 7},
      {100, 7, 3, 2},
      {5, 600, 2, 4},
    };
    List<Case> out = new ArrayList<>();
    long seed = 101;
    for (int[] s : shapes) {
      for (Regime r : Regime.values()) {
        String name = "n" + s[0] + "_m" + s[1] + "_d" + s[2] + "_dv" + s[3];
        out.add(new Case(name, s[0], s[1], s[2], s[3], r, seed++));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void streamedOutputEqualsNaiveTwoPassSoftmax(Case c) {
    AttentionInputs in = c.inputs();
    Naive naive = Naive.of(in);
    ExactReference ref = ExactAttention.reference(in, false);
    assertAllFinite(ref.outputRowMajor(), c + " output");
    assertOutputClose(naive.output, ref.outputRowMajor(), in, logitTolerance(OUT, in, naive), c.toString());
    // the estimator returns the very same numbers as the reference
    Estimate e = Estimators.create(new ExactConfig()).estimate(in, Draws.create(1));
    assertArrayEquals(ref.outputRowMajor(), e.outputRowMajor(), c + " estimate vs reference");
    assertEquals(0, e.emptyRows(), c + " empty rows");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void logNormalizerEqualsNaive(Case c) {
    AttentionInputs in = c.inputs();
    Naive naive = Naive.of(in);
    ExactReference ref = ExactAttention.reference(in, false);
    Estimate e = Estimators.create(new ExactConfig()).estimate(in, Draws.create(1));
    for (int i = 0; i < in.queryCount(); i++) {
      double expected = naive.logZ[i];
      assertTrue(Double.isFinite(ref.logNormalizer(i)), c + " ln Z row " + i);
      assertEquals(expected, ref.logNormalizer(i), LOG_Z * Math.max(1, Math.abs(expected)), c + " ln Z row " + i);
      assertEquals(ref.logNormalizer(i), e.attention().logNormalizer(i), 0.0, c + " estimate ln Z row " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void rowEntropiesEqualNaiveAndLieBetweenZeroAndLogM(Case c) {
    AttentionInputs in = c.inputs();
    Naive naive = Naive.of(in);
    ExactReference ref = ExactAttention.reference(in, false);
    double lnM = Math.log(in.keyCount());
    double tol = logitTolerance(ENTROPY, in, naive);
    double mean = 0;
    for (int i = 0; i < in.queryCount(); i++) {
      double h = ref.rowEntropy(i);
      assertEquals(naive.entropy[i], h, tol, c + " entropy row " + i);
      // [0, ln m] exactly: the kernel clamps at 0; the upper end gets 4 ulps of ln m for the final subtraction
      assertTrue(h >= 0 && h <= lnM + 4 * Math.ulp(lnM), c + " entropy row " + i + " = " + h);
      mean += h;
    }
    assertEquals(mean / in.queryCount(), ref.meanEntropy(), 1e-12 * Math.max(1, lnM), c + " mean entropy");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void attentionRowsEqualNaiveSoftmaxAndSumToOne(Case c) {
    AttentionInputs in = c.inputs();
    Naive naive = Naive.of(in);
    Estimate e = Estimators.create(new ExactConfig()).estimate(in, Draws.create(1));
    double[] a = RowMajorTestUtil.dense(e);
    int m = in.keyCount();
    // Rows are recomputed as exp(s_ij - ln Z_i) from a stored ln Z_i, so each weight inherits the absolute round-off
    // of s_ij - ln Z_i as a relative error: about (d + 2) eps max(|s|, |ln Z|), which is 1e-14 at |s| ~ 10 but
    // reaches ~1e-10 when logits are ~1e6 (EXTREME). Allow 4x that bound, and at least 1e-12.
    double rel = Math.max(1e-12, 4 * (in.headDim() + 2) * EPS * naive.maxAbsLogitOrLogZ);
    for (int i = 0; i < in.queryCount(); i++) {
      double sum = 0;
      for (int j = 0; j < m; j++) {
        double p = naive.attention[i * m + j];
        // + 1e-300: weights that are subnormal on one side have no relative accuracy
        assertEquals(p, a[i * m + j], rel * p + 1e-300, c + " A[" + i + "," + j + "]");
        sum += a[i * m + j];
      }
      // m terms in [0, 1] summed in double: m eps, plus the relative error of each weight
      assertEquals(1.0, sum, rel + m * EPS, c + " row sum " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void outputColumnsLieWithinValueColumnRange(Case c) {
    AttentionInputs in = c.inputs();
    double[] out = ExactAttention.reference(in, false).outputRowMajor();
    int dv = in.valueDim();
    double[] v = in.valuesRowMajor();
    for (int col = 0; col < dv; col++) {
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      double scale = 0;
      for (int j = 0; j < in.keyCount(); j++) {
        lo = Math.min(lo, v[j * dv + col]);
        hi = Math.max(hi, v[j * dv + col]);
        scale = Math.max(scale, Math.abs(v[j * dv + col]));
      }
      // a weighted mean computed in floating point can overshoot [lo, hi] by its round-off, (m + 2) ulps of the scale
      double slack = (in.keyCount() + 2) * EPS * scale;
      for (int i = 0; i < in.queryCount(); i++) {
        double o = out[i * dv + col];
        assertTrue(o >= lo - slack && o <= hi + slack, c + " out[" + i + "," + col + "] = " + o);
      }
    }
  }

  @Test
  void parallelAndSequentialAreBitIdentical() {
    // 200 rows = 7 query blocks of 32, so the parallel run really splits the work; m = 300 spans two key blocks
    AttentionInputs in = InputGenerators.gaussian(GaussianSpec.raw(200, 300, 8, 5), Draws.create(7));
    ExactReference seq = ExactAttention.reference(in, false);
    ExactReference par = ExactAttention.reference(in, true);
    assertArrayEquals(seq.outputRowMajor(), par.outputRowMajor());
    for (int i = 0; i < in.queryCount(); i++) {
      assertEquals(seq.logNormalizer(i), par.logNormalizer(i), 0.0, "ln Z row " + i);
      assertEquals(seq.rowEntropy(i), par.rowEntropy(i), 0.0, "entropy row " + i);
    }
    Estimate es = Estimators.create(new ExactConfig(), false).estimate(in, Draws.create(1));
    Estimate ep = Estimators.create(new ExactConfig(), true).estimate(in, Draws.create(1));
    assertArrayEquals(es.outputRowMajor(), ep.outputRowMajor());
  }

  @Test
  void withTemperatureMultipliesTheDefaultScale() {
    AttentionInputs in = InputGenerators.gaussian(GaussianSpec.raw(40, 70, 9, 3), Draws.create(8));
    for (double beta : new double[] {0.25, 1.0, 3.0, 40.0}) {
      AttentionInputs t = in.withTemperature(beta);
      // beta / sqrt(9) = beta / 3 is what the scale must be, to the last bit
      assertEquals(beta / 3.0, t.scale(), 0.0, "scale at beta " + beta);
      assertArrayEquals(
          ExactAttention.reference(in.withScale(beta / 3.0), false).outputRowMajor(),
          ExactAttention.reference(t, false).outputRowMajor(),
          "withTemperature(" + beta + ") vs withScale(" + beta + "/sqrt(d))");
      // and the logits are beta times the default logits: naive check of ln Z and the output
      Naive naive = Naive.of(in, beta / 3.0);
      ExactReference ref = ExactAttention.reference(t, false);
      for (int i = 0; i < in.queryCount(); i++) {
        assertEquals(naive.logZ[i], ref.logNormalizer(i), LOG_Z * Math.max(1, Math.abs(naive.logZ[i])));
      }
      assertOutputClose(naive.output, ref.outputRowMajor(), t, logitTolerance(OUT, t, naive), "beta " + beta);
    }
    assertArrayEquals(
        ExactAttention.reference(in, false).outputRowMajor(),
        ExactAttention.reference(in.withTemperature(1.0), false).outputRowMajor(),
        "beta = 1 is the default scale 1/sqrt(d)");
  }

  @Test
  void rowEntropyDoesNotIncreaseWithTemperatureMultiplier() {
    // dH/dbeta = -beta Var_p(s) <= 0 for the entropy of softmax(beta s), row by row
    AttentionInputs in = InputGenerators.gaussian(GaussianSpec.raw(30, 50, 6, 2), Draws.create(9));
    double[] betas = {0.0625, 0.5, 1, 2, 8, 64};
    double[] previous = null;
    for (double beta : betas) {
      ExactReference ref = ExactAttention.reference(in.withTemperature(beta), false);
      double[] h = new double[in.queryCount()];
      for (int i = 0; i < h.length; i++) {
        h[i] = ref.rowEntropy(i);
        if (previous != null) {
          // 1e-12: entropy round-off (see ENTROPY), far below the decreases between these betas
          assertTrue(h[i] <= previous[i] + 1e-12, "row " + i + " at beta " + beta);
        }
      }
      previous = h;
    }
  }

  @Test
  void uniformLogitsGiveMaximalEntropyAndColumnMeans() {
    // q = 0 makes every logit exactly 0: A = 1/m, H = ln m, ln Z = ln m, output = column means of V
    int n = 5;
    int m = 300;
    RandomGenerator rng = Draws.create(10);
    double[] q = new double[n * 3];
    double[] k = new double[m * 3];
    double[] v = new double[m * 2];
    for (int x = 0; x < k.length; x++) {
      k[x] = rng.nextGaussian();
    }
    for (int x = 0; x < v.length; x++) {
      v[x] = rng.nextGaussian();
    }
    AttentionInputs in = AttentionInputs.ofRowMajor(n, m, 3, 2, q, k, v, 0.5);
    ExactReference ref = ExactAttention.reference(in, false);
    double lnM = Math.log(m);
    for (int i = 0; i < n; i++) {
      // ln of an exact integer sum: correctly rounded ln m, up to one ulp from the entropy's subtraction
      assertEquals(lnM, ref.rowEntropy(i), Math.ulp(lnM), "entropy row " + i);
      assertEquals(lnM, ref.logNormalizer(i), Math.ulp(lnM), "ln Z row " + i);
      for (int c = 0; c < 2; c++) {
        double mean = 0;
        for (int j = 0; j < m; j++) {
          mean += v[j * 2 + c];
        }
        mean /= m;
        // two summation orders of m values of size ~3: m eps * 3
        assertEquals(mean, ref.outputRowMajor()[i * 2 + c], 3 * m * EPS, "out row " + i);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void permutingKeysAndValuesTogetherLeavesOutputUnchanged(Case c) {
    AttentionInputs in = c.inputs();
    int m = in.keyCount();
    int[] perm = shuffled(m, Draws.create(c.seed() + 1000));
    AttentionInputs p = in.permuteKeys(perm);
    // the permuted problem really has permuted rows: key j of p is key perm[j] of in
    for (int j = 0; j < m; j++) {
      for (int t = 0; t < in.headDim(); t++) {
        assertEquals(in.keysRowMajor()[perm[j] * in.headDim() + t], p.keysRowMajor()[j * in.headDim() + t], 0.0);
      }
    }
    ExactReference a = ExactAttention.reference(in, false);
    ExactReference b = ExactAttention.reference(p, false);
    // only the summation order changes: same budget as OUT
    assertOutputClose(a.outputRowMajor(), b.outputRowMajor(), in, OUT, c + " permuted");
    for (int i = 0; i < in.queryCount(); i++) {
      assertEquals(a.logNormalizer(i), b.logNormalizer(i), LOG_Z * Math.max(1, Math.abs(a.logNormalizer(i))));
      assertEquals(a.rowEntropy(i), b.rowEntropy(i), ENTROPY);
    }
  }

  @Test
  void extremeScalesGiveFiniteResults() {
    // norm-100 rows at tau = 100/sqrt(d): logits up to 1e6/sqrt(d) in magnitude, both signs
    for (int d : new int[] {1, 4, 16}) {
      AttentionInputs in =
          InputGenerators.gaussian(GaussianSpec.fixedNorm(45, 290, d, 3, 100), 100 / Math.sqrt(d), Draws.create(d));
      for (boolean parallel : new boolean[] {false, true}) {
        ExactReference ref = ExactAttention.reference(in, parallel);
        assertAllFinite(ref.outputRowMajor(), "output d=" + d);
        for (int i = 0; i < in.queryCount(); i++) {
          assertTrue(Double.isFinite(ref.logNormalizer(i)), "ln Z row " + i);
          assertTrue(Double.isFinite(ref.rowEntropy(i)), "entropy row " + i);
        }
        Estimate e = Estimators.create(new ExactConfig(), parallel).estimate(in, Draws.create(1));
        assertAllFinite(RowMajorTestUtil.dense(e), "attention d=" + d);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static void assertOutputClose(double[] expected, double[] actual, AttentionInputs in, double tol, String what) {
    int dv = in.valueDim();
    double[] v = in.valuesRowMajor();
    double[] scale = new double[dv];
    for (int j = 0; j < in.keyCount(); j++) {
      for (int c = 0; c < dv; c++) {
        scale[c] = Math.max(scale[c], Math.abs(v[j * dv + c]));
      }
    }
    assertEquals(expected.length, actual.length, what + " length");
    for (int x = 0; x < expected.length; x++) {
      assertEquals(expected[x], actual[x], tol * scale[x % dv], what + " out entry " + x);
    }
  }

  private static void assertAllFinite(double[] a, String what) {
    for (int x = 0; x < a.length; x++) {
      assertTrue(Double.isFinite(a[x]), what + " entry " + x + " = " + a[x]);
    }
  }

  static int[] shuffled(int m, RandomGenerator rng) {
    int[] p = new int[m];
    for (int j = 0; j < m; j++) {
      p[j] = j;
    }
    for (int j = m - 1; j > 0; j--) {
      int r = rng.nextInt(j + 1);
      int t = p[j];
      p[j] = p[r];
      p[r] = t;
    }
    return p;
  }

  /** Naive dense exact attention with compensated arithmetic. */
  static final class Naive {
    final double[] output;
    final double[] logZ;
    final double[] entropy;
    final double[] attention;
    final double maxAbsLogitOrLogZ;

    private Naive(double[] output, double[] logZ, double[] entropy, double[] attention, double maxAbs) {
      this.output = output;
      this.logZ = logZ;
      this.entropy = entropy;
      this.attention = attention;
      this.maxAbsLogitOrLogZ = maxAbs;
    }

    static Naive of(AttentionInputs in) {
      return of(in, in.scale());
    }

    static Naive of(AttentionInputs in, double tau) {
      int n = in.queryCount();
      int m = in.keyCount();
      int d = in.headDim();
      int dv = in.valueDim();
      double[] q = in.queriesRowMajor();
      double[] k = in.keysRowMajor();
      double[] v = in.valuesRowMajor();
      double[] out = new double[n * dv];
      double[] logZ = new double[n];
      double[] ent = new double[n];
      double[] att = new double[n * m];
      double[] s = new double[m];
      double[] e = new double[m];
      double maxAbs = 0;
      for (int i = 0; i < n; i++) {
        // pass 1: logits and their maximum
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < m; j++) {
          s[j] = tau * dot2(q, i * d, k, j * d, d);
          max = Math.max(max, s[j]);
          maxAbs = Math.max(maxAbs, Math.abs(s[j]));
        }
        // pass 2: shifted exponentials and their compensated sum
        Neumaier z = new Neumaier();
        for (int j = 0; j < m; j++) {
          e[j] = Math.exp(s[j] - max);
          z.add(e[j]);
        }
        double zz = z.value();
        logZ[i] = max + Math.log(zz);
        maxAbs = Math.max(maxAbs, Math.abs(logZ[i]));
        Neumaier h = new Neumaier();
        for (int j = 0; j < m; j++) {
          double p = e[j] / zz;
          att[i * m + j] = p;
          if (p > 0) {
            h.add(-p * Math.log(p));
          }
        }
        ent[i] = h.value();
        for (int c = 0; c < dv; c++) {
          Neumaier num = new Neumaier();
          for (int j = 0; j < m; j++) {
            num.add(e[j] * v[j * dv + c]);
          }
          out[i * dv + c] = num.value() / zz;
        }
      }
      return new Naive(out, logZ, ent, att, maxAbs);
    }

    /** Dot product in double-double (TwoProduct by fma, TwoSum), rounded once at the end. */
    static double dot2(double[] a, int ao, double[] b, int bo, int len) {
      double hi = 0;
      double lo = 0;
      for (int t = 0; t < len; t++) {
        double p = a[ao + t] * b[bo + t];
        double pErr = Math.fma(a[ao + t], b[bo + t], -p);
        double sum = hi + p;
        double bb = sum - hi;
        double sErr = (hi - (sum - bb)) + (p - bb);
        hi = sum;
        lo += pErr + sErr;
      }
      return hi + lo;
    }
  }

  /** Neumaier's compensated summation. */
  static final class Neumaier {
    private double sum;
    private double c;

    void add(double x) {
      double t = sum + x;
      if (Math.abs(sum) >= Math.abs(x)) {
        c += (sum - t) + x;
      } else {
        c += (x - t) + sum;
      }
      sum = t;
    }

    double value() {
      return sum + c;
    }
  }
}
