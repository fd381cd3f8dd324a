package org.scatterbrain.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.scatterbrain.core.inputs.InputGenerators;
import org.scatterbrain.core.inputs.InputGenerators.GaussianSpec;

/**
 * The contract every estimator of {@link EstimatorCatalog} keeps (EJML-style: one test class, every implementation):
 * shapes, inputs untouched, the same seed gives the same bits, parallel equals sequential, the Draws contract, rows
 * that are distributions, output equal to the normalised rows times V, finite output at extreme temperatures, and a
 * memory count that matches the config and stays within its budget. Tolerances: 1e-12 for row sums and for output
 * against rows times V (both are sums of at most a few hundred terms of size at most 1, so round-off is below 1e-13).
 */
class EstimatorContractTest {
  private static final double ROUND_OFF = 1e-12;

  static List<EstimatorCatalog.Entry> entries() {
    return EstimatorCatalog.all();
  }

  private static AttentionInputs inputs(long seed) {
    return InputGenerators.gaussian(GaussianSpec.unitLogitNorm(200, 180, 8, 4), Draws.create(seed));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("entries")
  void shapesAndInputsUntouched(EstimatorCatalog.Entry e) {
    AttentionInputs in = inputs(20);
    double[] q = in.queriesRowMajor().clone();
    double[] k = in.keysRowMajor().clone();
    double[] v = in.valuesRowMajor().clone();
    Estimate est = e.small().create(false).estimate(in, Draws.create(21));
    assertEquals(200L * 4, est.outputRowMajor().length, "output is n x dv");
    assertEquals(200, est.attention().queryCount());
    assertEquals(180, est.attention().keyCount());
    assertArrayEquals(q, in.queriesRowMajor(), "queries not modified");
    assertArrayEquals(k, in.keysRowMajor(), "keys not modified");
    assertArrayEquals(v, in.valuesRowMajor(), "values not modified");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("entries")
  void sameSeedGivesBitIdenticalOutput(EstimatorCatalog.Entry e) {
    // 200 x 180: several feature blocks, tiles and query blocks, so the parallel runs really split the work
    MethodConfig config = e.small();
    AttentionInputs in = inputs(21);
    double[] first = Estimators.create(config, false).estimate(in, Draws.create(22)).outputRowMajor();
    double[] again = Estimators.create(config, false).estimate(in, Draws.create(22)).outputRowMajor();
    double[] parallel = Estimators.create(config, true).estimate(in, Draws.create(22)).outputRowMajor();
    assertArrayEquals(first, again, config + ": same seed");
    assertArrayEquals(first, parallel, config + ": parallel vs sequential");
    Estimate a = Estimators.create(config, false).estimate(in, Draws.create(22));
    Estimate b = Estimators.create(config, true).estimate(in, Draws.create(22));
    assertArrayEquals(RowMajorTestUtil.dense(a), RowMajorTestUtil.dense(b), config + ": attention rows");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("entries")
  void randomisedEstimatorsTakeExactlyTwoLongs(EstimatorCatalog.Entry e) {
    AttentionInputs in = inputs(23);
    RandomGenerator used = Draws.create(24);
    Estimators.create(e.small()).estimate(in, used);
    RandomGenerator fresh = Draws.create(24);
    if (e.drawsSeeds()) {
      // the Draws contract: feature seed, then hash seed, and nothing else
      fresh.nextLong();
      fresh.nextLong();
    }
    assertEquals(fresh.nextLong(), used.nextLong(), e + ": generator state after estimate");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("entries")
  void differentSeedsGiveDifferentDrawsExactlyWhenRandom(EstimatorCatalog.Entry e) {
    AttentionInputs in = inputs(25);
    double[] a = Estimators.create(e.small()).estimate(in, Draws.create(26)).outputRowMajor();
    double[] b = Estimators.create(e.small()).estimate(in, Draws.create(27)).outputRowMajor();
    assertEquals(e.random(), !Arrays.equals(a, b), e + ": seeds 26 and 27");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("entries")
  void rowsAreDistributionsAndOutputIsRowsTimesValues(EstimatorCatalog.Entry e) {
    AttentionInputs in = inputs(28);
    Estimate est = e.small().create(false).estimate(in, Draws.create(29));
    double[] a = RowMajorTestUtil.dense(est);
    int n = in.queryCount();
    int m = in.keyCount();
    int dv = in.valueDim();
    double[] v = in.valuesRowMajor();
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int j = 0; j < m; j++) {
        double x = a[i * m + j];
        assertTrue(Double.isFinite(x), e + ": entry (" + i + ", " + j + ") = " + x);
        if (e.convex()) {
          assertTrue(x >= 0, e + ": entry (" + i + ", " + j + ") = " + x);
        }
        sum += x;
      }
      if (e.convex() && est.emptyRows() == 0) {
        assertEquals(1.0, sum, ROUND_OFF, e + ": row " + i + " sums to " + sum);
      }
      for (int c = 0; c < dv; c++) {
        double o = 0;
        for (int j = 0; j < m; j++) {
          o += a[i * m + j] * v[j * dv + c];
        }
        assertEquals(o, est.outputRowMajor()[i * dv + c], ROUND_OFF * (1 + Math.abs(o)) * 10,
            e + ": output (" + i + ", " + c + ") is not the row times V");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("entries")
  void extremeTemperatureGivesFiniteOutput(EstimatorCatalog.Entry e) {
    // norm-10 rows at tau = 100/sqrt(d): logits up to 1e4/sqrt(d), |x'|^2 = 1e4/sqrt(d) in the features
    int n = 64;
    int m = 60;
    int d = 8;
    AttentionInputs in =
        InputGenerators.gaussian(GaussianSpec.fixedNorm(n, m, d, 3, 10), 100 / Math.sqrt(d), Draws.create(32));
    for (boolean parallel : new boolean[] {false, true}) {
      Estimate est = Estimators.create(e.small(), parallel).estimate(in, Draws.create(33));
      double[] out = est.outputRowMajor();
      for (int x = 0; x < out.length; x++) {
        assertTrue(Double.isFinite(out[x]), e + " output entry " + x + " = " + out[x]);
      }
      double[] a = RowMajorTestUtil.dense(est);
      for (int x = 0; x < a.length; x++) {
        assertTrue(Double.isFinite(a[x]), e + " attention entry " + x + " = " + a[x]);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("entries")
  void memoryCountMatchesTheConfigAndTheBudget(EstimatorCatalog.Entry e) {
    AttentionInputs in = inputs(34);
    Estimate est = e.small().create(false).estimate(in, Draws.create(35));
    assertEquals(e.small().entriesPerRow(200, 180), est.memory().entriesPerRow(), 1e-9, e + ": entries per row");
    assertEquals(est.memory().entriesPerRow() * 200, est.memory().entries(), 1e-6, e + ": entries");
    if (e.atBudget() != null) {
      for (int budget : new int[] {16, 32, 64, 100}) {
        MethodConfig c = e.atBudget().apply(budget);
        AttentionInputs sized = InputGenerators.gaussian(GaussianSpec.unitLogitNorm(128, 128, 8, 4), Draws.create(36));
        Estimate b = c.create(false).estimate(sized, Draws.create(37));
        assertTrue(b.memory().entriesPerRow() <= budget,
            e + " at budget " + budget + " stores " + b.memory().entriesPerRow() + " entries per row");
      }
    }
  }
}
