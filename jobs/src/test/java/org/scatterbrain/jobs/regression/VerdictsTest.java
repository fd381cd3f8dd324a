package org.scatterbrain.jobs.regression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparison rules of the regression benchmark, on hand-made measurements. */
class VerdictsTest {
  private static final RegressionSettings S = RegressionSettings.defaults();

  private static Measurement m(Category c, String variant, String metric, Double value) {
    return new Measurement(c, variant, "cell A", metric, value, "features=8", "");
  }

  private static Baseline baseline(Measurement... ms) {
    return new Baseline(new Testbed("cpu", 2, "os", "java", "simd-8", "4.0.1", "56.2.1"), "t", "c", "v", "reg", "h",
        List.of(ms));
  }

  private static Verdict verdict(Baseline b, Measurement current) {
    return verdict(b, current, Map.of());
  }

  private static Verdict verdict(Baseline b, Measurement current, Map<String, List<Double>> reruns) {
    List<Comparison> c = Verdicts.compare(b, List.of(current), reruns, S).comparisons();
    assertEquals(1, c.size());
    return c.get(0).verdict();
  }

  @Test
  void accuracyWithinTheStatedToleranceIsOkAndBeyondItRegressesOrImproves() {
    Baseline b = baseline(m(Category.ACCURACY, "performer", "output_rel_fro", 0.5));
    // the tolerance is 1e-9 * 0.5 + 1e-12 = 5.01e-10
    assertEquals(Verdict.OK, verdict(b, m(Category.ACCURACY, "performer", "output_rel_fro", 0.5 + 5.0e-10)));
    assertEquals(Verdict.REGRESSED, verdict(b, m(Category.ACCURACY, "performer", "output_rel_fro", 0.5 + 5.1e-10)));
    assertEquals(Verdict.IMPROVED, verdict(b, m(Category.ACCURACY, "performer", "output_rel_fro", 0.5 - 5.1e-10)));
  }

  @Test
  void supportMassIsBetterWhenHigher() {
    Baseline b = baseline(m(Category.ACCURACY, "smyrf", "support_mass", 0.8));
    assertEquals(Verdict.REGRESSED, verdict(b, m(Category.ACCURACY, "smyrf", "support_mass", 0.7)));
    assertEquals(Verdict.IMPROVED, verdict(b, m(Category.ACCURACY, "smyrf", "support_mass", 0.9)));
  }

  @Test
  void zeroBaselinesUseTheAbsoluteTolerance() {
    Baseline b = baseline(m(Category.ACCURACY, "exact", "kl_mean", 0.0));
    assertEquals(Verdict.OK, verdict(b, m(Category.ACCURACY, "exact", "kl_mean", 1e-13)));
    assertEquals(Verdict.REGRESSED, verdict(b, m(Category.ACCURACY, "exact", "kl_mean", 1e-11)));
  }

  @Test
  void memoryIsComparedExactly() {
    Baseline b = baseline(m(Category.MEMORY, "local", "memory_bytes", 1024.0));
    assertEquals(Verdict.OK, verdict(b, m(Category.MEMORY, "local", "memory_bytes", 1024.0)));
    assertEquals(Verdict.REGRESSED, verdict(b, m(Category.MEMORY, "local", "memory_bytes", 1025.0)));
    assertEquals(Verdict.IMPROVED, verdict(b, m(Category.MEMORY, "local", "memory_bytes", 1000.0)));
  }

  @Test
  void aSlowdownFailsOnlyWhenEveryRerunConfirmsIt() {
    Measurement base = m(Category.SPEED, "smyrf", SpeedProbe.METRIC, 0.10);
    Baseline b = baseline(base);
    Measurement slow = m(Category.SPEED, "smyrf", SpeedProbe.METRIC, 0.16); // limit: 1.5 x 0.10
    assertEquals(Verdict.SLOWER_UNCONFIRMED, verdict(b, slow));
    assertEquals(Verdict.SLOWER_UNCONFIRMED, verdict(b, slow, Map.of(slow.key(), List.of(0.12))));
    assertEquals(Verdict.SLOWER_UNCONFIRMED, verdict(b, slow, Map.of(slow.key(), List.of(0.17, 0.13))));
    assertEquals(Verdict.REGRESSED, verdict(b, slow, Map.of(slow.key(), List.of(0.17))));
    assertEquals(Verdict.OK, verdict(b, m(Category.SPEED, "smyrf", SpeedProbe.METRIC, 0.149)));
    assertEquals(Verdict.IMPROVED, verdict(b, m(Category.SPEED, "smyrf", SpeedProbe.METRIC, 0.06)));
  }

  @Test
  void missingNewAndNoBaseline() {
    Measurement gone = m(Category.ACCURACY, "local", "output_rel_fro", 0.3);
    Measurement kept = m(Category.ACCURACY, "performer", "output_rel_fro", 0.5);
    Measurement jmh = m(Category.JMH, "EstimatorBenchmark.estimate method=local", JmhResults.METRIC, 2.0);
    Baseline b = baseline(gone, kept, jmh);
    Measurement failed = new Measurement(Category.ACCURACY, "performer", "cell A", "output_rel_fro", null, "",
        "trial failed: boom");
    Measurement added = m(Category.ACCURACY, "nystrom", "output_rel_fro", 0.2);
    Verdicts.Result r = Verdicts.compare(b, List.of(failed, added), Map.of(), S);
    assertEquals(List.of(Verdict.MISSING, Verdict.MISSING, Verdict.NEW),
        r.comparisons().stream().map(Comparison::verdict).toList());
    assertTrue(r.failed());
    // the baseline's JMH ratio is not missing: this run did not measure JMH at all
    assertEquals(Map.of(Category.JMH, 1), r.notCompared());
    assertEquals(Verdict.NO_BASELINE, verdict(null, added));
    assertTrue(!Verdicts.compare(null, List.of(added), Map.of(), S).failed());
  }

  @Test
  void aNonFiniteValueRegressesAndAFailedRerunIsMissing() {
    Baseline a = baseline(m(Category.ACCURACY, "performer", "output_rel_fro", 0.5));
    Baseline b = baseline(m(Category.SPEED, "smyrf", SpeedProbe.METRIC, 0.10));
    assertEquals(Verdict.REGRESSED, verdict(a, m(Category.ACCURACY, "performer", "output_rel_fro", Double.NaN)));
    assertEquals(Verdict.REGRESSED,
        verdict(b, m(Category.SPEED, "smyrf", SpeedProbe.METRIC, Double.POSITIVE_INFINITY)));
    assertEquals(Verdict.REGRESSED, verdict(null, m(Category.ACCURACY, "performer", "output_rel_fro", Double.NaN)));
    Measurement slow = m(Category.SPEED, "smyrf", SpeedProbe.METRIC, 0.2);
    assertEquals(Verdict.MISSING, verdict(b, slow, Map.of(slow.key(), List.of(Double.NaN))));
  }

  @Test
  void onlyJmhRatiosMayBeAbsentFromARun() {
    Baseline b = baseline(m(Category.SPEED, "smyrf", SpeedProbe.METRIC, 0.10),
        m(Category.JMH, "EstimatorBenchmark.estimate method=smyrf", JmhResults.METRIC, 0.1));
    Verdicts.Result r = Verdicts.compare(b, List.of(m(Category.ACCURACY, "smyrf", "kl_mean", 0.2)), Map.of(), S);
    assertEquals(List.of(Verdict.MISSING, Verdict.NEW), r.comparisons().stream().map(Comparison::verdict).toList());
    assertEquals(Category.SPEED, r.comparisons().get(0).category());
    assertEquals(Map.of(Category.JMH, 1), r.notCompared());
  }

  @Test
  void regressionsComeFirstMostWorseFirst() {
    Baseline b = baseline(
        m(Category.ACCURACY, "a", "output_rel_fro", 1.0),
        m(Category.ACCURACY, "b", "output_rel_fro", 1.0),
        m(Category.ACCURACY, "c", "output_rel_fro", 1.0),
        m(Category.ACCURACY, "d", "output_rel_fro", 1.0));
    List<Comparison> c = Verdicts.compare(b, List.of(
        m(Category.ACCURACY, "a", "output_rel_fro", 1.0),
        m(Category.ACCURACY, "b", "output_rel_fro", 1.1),
        m(Category.ACCURACY, "c", "output_rel_fro", 0.5),
        m(Category.ACCURACY, "d", "output_rel_fro", 1.3)), Map.of(), S).comparisons();
    assertEquals(List.of("d", "b", "c", "a"), c.stream().map(Comparison::variant).toList());
    assertEquals(0.3, c.get(0).relativeChange(), 1e-12);
  }
}
