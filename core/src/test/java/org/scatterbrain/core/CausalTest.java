package org.scatterbrain.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.scatterbrain.core.inputs.InputGenerators;
import org.scatterbrain.core.inputs.InputGenerators.GaussianSpec;
import org.scatterbrain.core.metrics.AttentionErrors;
import org.scatterbrain.core.metrics.ErrorMetrics;

/**
 * The causal (decoder) mask: query i sees key j iff {@code j <= i + m - n} ({@link AttentionInputs#withCausal}).
 *
 * <p>Tolerances: {@link #EXACT} = 1e-12 relative to the largest entry for results that equal causal exact attention
 * mathematically: they differ only by summation order over at most 200 terms of size at most 1 (round-off below 1e-13).
 * Causality is checked bit for bit: a row's result may not depend on a later key even through round-off.
 */
class CausalTest {
  /** Same mathematical value, different summation order (see the class comment). */
  static final double EXACT = 1e-12;

  /** Gaussian inputs with unit logit norm, masked. */
  static AttentionInputs causalInputs(int n, int m, long seed) {
    return InputGenerators.gaussian(GaussianSpec.unitLogitNorm(n, m, 8, 4), Draws.create(seed)).withCausal(true);
  }

  /** Naive dense masked softmax attention (row-major n x m), from {@link ExactLogitsTestUtil#logits}. */
  static double[] naiveMaskedAttention(AttentionInputs in) {
    int n = in.queryCount();
    int m = in.keyCount();
    double[] s = ExactLogitsTestUtil.logits(in);
    double[] a = new double[n * m];
    for (int i = 0; i < n; i++) {
      int vis = i + m - n + 1;
      double mx = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < vis; j++) {
        mx = Math.max(mx, s[i * m + j]);
      }
      double z = 0;
      for (int j = 0; j < vis; j++) {
        z += Math.exp(s[i * m + j] - mx);
      }
      for (int j = 0; j < vis; j++) {
        a[i * m + j] = Math.exp(s[i * m + j] - mx) / z;
      }
    }
    return a;
  }

  /** {@code a v}: n x m times m x dv. */
  static double[] times(double[] a, AttentionInputs in) {
    int n = in.queryCount();
    int m = in.keyCount();
    int dv = in.valueDim();
    double[] v = in.valuesRowMajor();
    double[] out = new double[n * dv];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        for (int c = 0; c < dv; c++) {
          out[i * dv + c] += a[i * m + j] * v[j * dv + c];
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "n = {0}, m = {1}")
  @CsvSource({"70, 70", "70, 300", "300, 300", "1, 5"})
  void causalExactEqualsNaiveMaskedSoftmax(int n, int m) {
    // 300 keys span two key blocks of the streaming kernel, so the block skipping and partial blocks are exercised
    AttentionInputs in = causalInputs(n, m, 1);
    double[] expected = naiveMaskedAttention(in);
    Estimate e = new ExactConfig().create(false).estimate(in, Draws.create(2));
    ReferenceCasesTest.assertClose(expected, RowMajorTestUtil.dense(e), EXACT, "attention rows");
    ReferenceCasesTest.assertClose(times(expected, in), e.outputRowMajor(), EXACT, "output");
    ReferenceCasesTest.assertClose(
        times(expected, in), ExactAttention.reference(in, true).outputRowMajor(), EXACT, "reference, parallel");
    double[] dense = RowMajorTestUtil.dense(e);
    for (int i = 0; i < n; i++) {
      for (int j = i + m - n + 1; j < m; j++) {
        assertEquals(0.0, dense[i * m + j], "masked entry (" + i + ", " + j + ") is exactly 0");
      }
    }
  }

  @Test
  void causalDiffersFromBidirectional() {
    // guards the test above against a mask that is silently ignored
    AttentionInputs in = causalInputs(40, 40, 3);
    double[] masked = ExactAttention.reference(in, false).outputRowMajor();
    double[] full = ExactAttention.reference(in.withCausal(false), false).outputRowMajor();
    assertTrue(Math.abs(masked[0] - full[0]) > 1e-3, "the first query sees one key under the mask");
  }

  @Test
  void exactMemoryCountsTheVisibleEntries() {
    AttentionInputs in = causalInputs(60, 100, 4);
    Estimate e = new ExactConfig().create(false).estimate(in, Draws.create(5));
    // row i sees 40 + i + 1 keys: mean 40 + 30.5
    assertEquals(70.5, e.memory().entriesPerRow(), 1e-12);
    assertEquals(70.5, new ExactConfig().entriesPerRow(60, 100, true), 1e-12);
  }

  @Test
  void errorMetricsOfCausalExactAgainstItselfAreZero() {
    AttentionInputs in = causalInputs(50, 80, 6);
    ExactReference ref = ExactAttention.reference(in, false);
    Estimate e = new ExactConfig().create(false).estimate(in, Draws.create(7));
    AttentionErrors err = ErrorMetrics.attentionErrors(ref, e.attention(), false);
    assertEquals(0.0, err.relativeFrobenius(), 1e-13);
    assertEquals(0.0, err.klMean(), 1e-13);
    // the bidirectional estimate puts mass on masked keys: infinite KL, and a clear Frobenius error
    Estimate full = new ExactConfig().create(false).estimate(in.withCausal(false), Draws.create(7));
    AttentionErrors bad = ErrorMetrics.attentionErrors(ref, full.attention(), false);
    assertTrue(bad.relativeFrobenius() > 0.1, "bidirectional rows against the causal reference: " + bad);
    assertEquals(Double.POSITIVE_INFINITY, bad.klMax());
  }
}
