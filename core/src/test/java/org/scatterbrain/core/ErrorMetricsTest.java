package org.scatterbrain.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.scatterbrain.core.inputs.InputGenerators;
import org.scatterbrain.core.inputs.InputGenerators.GaussianSpec;
import org.scatterbrain.core.metrics.AttentionErrors;
import org.scatterbrain.core.metrics.ErrorMetrics;
import org.scatterbrain.core.metrics.ErrorReport;
import org.scatterbrain.core.sparse.SparseSupport;

/**
 * {@link ErrorMetrics} against naive dense computations of the formulas documented in {@link ErrorReport} and {@link
 * AttentionErrors}.
 *
 * <p>Tolerance (style R8): {@link #TOL} = 1e-12 absolute, relative above 1. Every metric is a sum over at most n m =
 * 340 terms of size <= 1 (or, for KL, of |ln| terms <= ~20 here) carrying a few ulps each, so both computations agree
 * to ~1e-14; what differs is only the summation order and the route to ln A (the main code uses {@code s - ln Z},
 * the naive side {@code ln} of a two-pass softmax weight).
 */
class ErrorMetricsTest {
  private static final double TOL = 1e-12;
  private static final int N = 20;
  private static final int M = 17;

  /** Moderate problem, a bit peaked (beta = 2) so the sparse estimators miss some mass. */
  private static AttentionInputs inputs() {
    return InputGenerators.gaussian(GaussianSpec.unitLogitNorm(N, M, 4, 3), Draws.create(61)).withTemperature(2.0);
  }

  static List<MethodConfig> configs() {
    return List.of(
        new ExactConfig(),
        PerformerConfig.of(8),
        new LocalConfig(5),
        SmyrfConfig.of(5, 2),
        new SmyrfConfig(5, 2, true),
        ReformerConfig.of(5, 2),
        new ScatterbrainConfig(PerformerConfig.of(8), new SmyrfConfig(5, 2, true)),
        new ScatterbrainConfig(PerformerConfig.of(8), new LocalConfig(5)),
        new NystromConfig(4));
  }

  private static void close(double expected, double actual, String what) {
    assertEquals(expected, actual, TOL * Math.max(1, Math.abs(expected)), what);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configs")
  void everyMetricEqualsItsNaiveDenseFormula(MethodConfig config) {
    AttentionInputs in = inputs();
    ExactReference ref = ExactAttention.reference(in, false);
    Estimate e = Estimators.create(config).estimate(in, Draws.create(62));
    ErrorReport r = ErrorMetrics.compare(ref, e, true, false);
    ExactAttentionTest.Naive naive = ExactAttentionTest.Naive.of(in);
    double[] a = naive.attention;
    double[] ah = RowMajorTestUtil.dense(e);
    double[] o = naive.output;
    double[] oh = e.outputRowMajor();

    // output: ||O_hat - O||_F / ||O||_F and max |O_hat - O|
    double diff = 0;
    double norm = 0;
    double maxAbs = 0;
    for (int x = 0; x < o.length; x++) {
      diff += (oh[x] - o[x]) * (oh[x] - o[x]);
      norm += o[x] * o[x];
      maxAbs = Math.max(maxAbs, Math.abs(oh[x] - o[x]));
    }
    close(Math.sqrt(diff / norm), r.outputRelativeFrobenius(), config + " output relative Frobenius");
    close(maxAbs, r.outputMaxAbs(), config + " output max abs");

    // attention: relative Frobenius, max abs, KL(A_hat || A) with rows clipped at 0 and renormalised, TV, mass
    double d2 = 0;
    double e2 = 0;
    double amax = 0;
    double klSum = 0;
    double klMax = 0;
    double tvSum = 0;
    double tvMax = 0;
    for (int i = 0; i < N; i++) {
      double positive = 0;
      double tv = 0;
      for (int j = 0; j < M; j++) {
        double dd = ah[i * M + j] - a[i * M + j];
        d2 += dd * dd;
        e2 += a[i * M + j] * a[i * M + j];
        amax = Math.max(amax, Math.abs(dd));
        tv += 0.5 * Math.abs(dd);
        positive += Math.max(0, ah[i * M + j]);
      }
      double kl = 0;
      for (int j = 0; j < M; j++) {
        if (ah[i * M + j] > 0) {
          double w = ah[i * M + j] / positive;
          kl += w * Math.log(w / a[i * M + j]);
        }
      }
      klSum += kl;
      klMax = Math.max(klMax, kl);
      tvSum += tv;
      tvMax = Math.max(tvMax, tv);
    }
    AttentionErrors at = r.attention();
    close(Math.sqrt(d2 / e2), at.relativeFrobenius(), config + " attention relative Frobenius");
    close(amax, at.maxAbs(), config + " attention max abs");
    close(klSum / N, at.klMean(), config + " KL mean");
    close(klMax, at.klMax(), config + " KL max");
    close(tvSum / N, at.tvMean(), config + " TV mean");
    close(tvMax, at.tvMax(), config + " TV max");

    SparseSupport s = e.attention().support();
    if (s == null) {
      assertTrue(Double.isNaN(at.supportMass()), config + ": no support, no support mass");
      assertFalse(at.hasSupportMass());
    } else {
      boolean[][] member = ScatterbrainPropertiesTest.membership(s);
      double mass = 0;
      for (int i = 0; i < N; i++) {
        for (int j = 0; j < M; j++) {
          mass += member[i][j] ? a[i * M + j] : 0;
        }
      }
      close(mass / N, at.supportMass(), config + " support mass");
      assertTrue(at.hasSupportMass());
    }
  }

  @Test
  void exactEstimateHasZeroErrorInEveryMetric() {
    AttentionInputs in = inputs();
    ExactReference ref = ExactAttention.reference(in, false);
    ErrorReport r = ErrorMetrics.compare(ref, Estimators.create(new ExactConfig()).estimate(in, Draws.create(63)), true, false);
    // the estimate's output is the reference's, bit for bit
    assertEquals(0.0, r.outputRelativeFrobenius(), 0.0);
    assertEquals(0.0, r.outputMaxAbs(), 0.0);
    // rows are recomputed as exp(s - ln Z) on both sides: equal up to round-off of a few ulps
    AttentionErrors at = r.attention();
    assertEquals(0.0, at.relativeFrobenius(), TOL);
    assertEquals(0.0, at.maxAbs(), TOL);
    assertEquals(0.0, at.klMean(), TOL);
    assertEquals(0.0, at.klMax(), TOL);
    assertEquals(0.0, at.tvMean(), TOL);
    assertEquals(0.0, at.tvMax(), TOL);
  }

  @Test
  void localSupportMassKlAndTvHaveTheirClosedForms() {
    // A local estimate is A restricted to the band and renormalised. With band mass M_i = sum_{j in band} A_ij:
    // support mass = mean M_i, KL(A_hat_i || A_i) = -ln M_i, TV_i = 1 - M_i.
    AttentionInputs in = inputs();
    int w = 5;
    ExactReference ref = ExactAttention.reference(in, false);
    Estimate e = Estimators.create(new LocalConfig(w)).estimate(in, Draws.create(64));
    AttentionErrors at = ErrorMetrics.compare(ref, e, true, false).attention();
    double[] a = ExactAttentionTest.Naive.of(in).attention;
    double mass = 0;
    double kl = 0;
    double klMax = 0;
    double tv = 0;
    double tvMax = 0;
    for (int i = 0; i < N; i++) {
      double mi = 0;
      for (int j = Math.max(0, i - w / 2); j < Math.min(M, i + (w + 1) / 2); j++) {
        mi += a[i * M + j];
      }
      if (mi == 0) {
        continue; // rows past the last key have an empty window (n > m): no estimate, KL 0 by convention
      }
      mass += mi;
      kl += -Math.log(mi);
      klMax = Math.max(klMax, -Math.log(mi));
      tv += 1 - mi;
      tvMax = Math.max(tvMax, 1 - mi);
    }
    close(mass / N, at.supportMass(), "band mass");
    close(kl / N, at.klMean(), "KL mean = mean -ln M_i");
    close(klMax, at.klMax(), "KL max");
    close(tvMax, at.tvMax(), "TV max = max 1 - M_i");
    // rows i >= m + floor(W/2) (here only i = 19) have an empty window: A_hat_i = 0, so TV_i = 1/2 sum_j A_ij = 1/2
    int emptyRows = e.emptyRows();
    assertEquals(N - (M + w / 2), emptyRows, "rows whose window holds no key");
    assertTrue(emptyRows > 0, "the convention for empty rows is exercised");
    close((tv + 0.5 * emptyRows) / N, at.tvMean(), "TV mean");
  }

  @Test
  void klStaysFiniteForSparseEstimatorsWhenExactWeightsUnderflow() {
    // beta = 1000: logits up to +-1000, so most exact weights underflow to 0 while sparse rows put mass there
    AttentionInputs in =
        InputGenerators.gaussian(GaussianSpec.unitLogitNorm(60, 50, 8, 2), Draws.create(65)).withTemperature(1000);
    ExactReference ref = ExactAttention.reference(in, false);
    for (MethodConfig c :
        List.of(
            new LocalConfig(5),
            SmyrfConfig.of(10, 2),
            new SmyrfConfig(10, 2, true),
            ReformerConfig.of(10, 2),
            new ScatterbrainConfig(PerformerConfig.of(8), new SmyrfConfig(10, 2, true)),
            new ScatterbrainConfig(PerformerConfig.of(8), new LocalConfig(5)))) {
      AttentionErrors at =
          ErrorMetrics.compare(ref, Estimators.create(c).estimate(in, Draws.create(66)), true, false).attention();
      assertTrue(Double.isFinite(at.klMean()) && at.klMean() >= 0, c + " KL mean " + at.klMean());
      assertTrue(Double.isFinite(at.klMax()) && at.klMax() >= at.klMean(), c + " KL max " + at.klMax());
      assertTrue(at.tvMean() >= 0 && at.tvMax() <= 1 + TOL, c + " TV in [0, 1]");
      assertTrue(at.supportMass() >= 0 && at.supportMass() <= 1 + TOL, c + " support mass in [0, 1]");
    }
    // and for the local window the value is the closed form -ln M_i, computed stably as ln Z_i - logsumexp_band
    Estimate local = Estimators.create(new LocalConfig(5)).estimate(in, Draws.create(67));
    AttentionErrors at = ErrorMetrics.compare(ref, local, true, false).attention();
    double[] s = ExactLogitsTestUtil.logits(in);
    double sum = 0;
    for (int i = 0; i < 60; i++) {
      int j0 = Math.max(0, i - 2);
      int j1 = Math.min(50, i + 3);
      if (j0 >= j1) {
        continue;
      }
      double mx = Double.NEGATIVE_INFINITY;
      for (int j = j0; j < j1; j++) {
        mx = Math.max(mx, s[i * 50 + j]);
      }
      double z = 0;
      for (int j = j0; j < j1; j++) {
        z += Math.exp(s[i * 50 + j] - mx);
      }
      sum += ref.logNormalizer(i) - (mx + Math.log(z));
    }
    // terms up to ~2000 nats: ln Z and the band logsumexp each carry ~eps |s| d of round-off, so 1e-12 relative
    assertEquals(sum / 60, at.klMean(), 1e-12 * (sum / 60));
    assertTrue(sum / 60 > 10, "the test really has underflowing exact weights (mean KL " + sum / 60 + ")");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configs")
  void parallelAndSequentialMetricsAreIdentical(MethodConfig config) {
    // 300 rows = 5 blocks of 64, so the parallel run is really split
    AttentionInputs in = InputGenerators.gaussian(GaussianSpec.unitLogitNorm(300, 100, 8, 3), Draws.create(68));
    ExactReference ref = ExactAttention.reference(in, false);
    Estimate e = Estimators.create(config).estimate(in, Draws.create(69));
    ErrorReport seq = ErrorMetrics.compare(ref, e, true, false);
    ErrorReport par = ErrorMetrics.compare(ref, e, true, true);
    // record equality compares doubles with Double.compare: bit-identical, NaN support mass included
    assertEquals(seq, par, config.toString());
  }

  @Test
  void attentionErrorsAreOmittedWhenNotRequested() {
    AttentionInputs in = inputs();
    ErrorReport r =
        ErrorMetrics.compare(
            ExactAttention.reference(in, false),
            Estimators.create(PerformerConfig.of(8)).estimate(in, Draws.create(70)),
            false,
            false);
    assertNull(r.attention());
    assertTrue(r.outputRelativeFrobenius() > 0);
  }

  @Test
  void rejectsEstimateOfAnotherShape() {
    AttentionInputs in = inputs();
    AttentionInputs other = InputGenerators.gaussian(GaussianSpec.unitLogitNorm(N + 1, M, 4, 3), Draws.create(71));
    Estimate e = Estimators.create(new ExactConfig()).estimate(other, Draws.create(72));
    IllegalArgumentException ex =
        assertThrows(
            IllegalArgumentException.class,
            () -> ErrorMetrics.compare(ExactAttention.reference(in, false), e, false, false));
    assertTrue(ex.getMessage().contains(String.valueOf((N + 1) * 3)), ex.getMessage());
    assertTrue(ex.getMessage().contains(String.valueOf(N * 3)), ex.getMessage());
  }
}
