package org.scatterbrain.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.random.RandomGenerator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.scatterbrain.core.features.PositiveRandomFeatures;
import org.scatterbrain.core.features.ProjectionScaling;
import org.scatterbrain.core.inputs.InputGenerators;
import org.scatterbrain.core.inputs.InputGenerators.GaussianSpec;
import org.scatterbrain.core.sparse.CausalSupport;
import org.scatterbrain.core.sparse.ExplicitSupport;

/**
 * Unbiasedness of the unnormalised estimates (spec 2.2 and 4.1): over independent feature draws, {@code E[phi(q) .
 * phi(k)] = exp(tau q . k)} (Performer), and, conditional on a fixed support S, {@code E[A_hat_ij] = exp(tau q_i .
 * k_j)} for every entry (Scatterbrain).
 *
 * <p>Design and false-failure probability (style R8). n = m = 12, d = 4; F = 8 antithetic features (one full
 * orthogonal block of r = 4 rows), and for Performer also F = 12 (r = 6: a second, truncated block) and 6 plain
 * features; R = 4000 independent draws from {@link Draws#split}, the estimators' own sampling path. Rows have norm 0.5
 * at tau = 1/sqrt(d) = 0.5, so {@code |q' + k'|^2 <= 4 tau 0.25 = 0.5}: each feature product is a log-normal-like
 * variable with log-sd at most 0.71, so its variance is finite and small (spec 5, last table: the variance explodes
 * only when tau |q|^2 is large). For each entry we test {@code |mean - exact| <= z sd_hat / sqrt(R)} with the sample
 * standard deviation, z = 6.5. Under the normal approximation of the mean of 4000 draws the two-sided tail is {@code
 * P(|Z| > 6.5) = 8.0e-11} per entry; the class checks at most 4 x 144 = 576 entries (three Performer feature maps and
 * Scatterbrain), so the Bonferroni family-wise false-failure probability is {@code 576 x 8.0e-11 = 4.6e-8}. The normal
 * approximation is adequate here: over 80 replications with other seeds (two seed families), the sample skewness of
 * one draw stayed below 8 for every entry and feature map, so the mean's skewness is below 8/sqrt(4000) = 0.13, and
 * the first Edgeworth term at 6.5 sigma multiplies the tail by at most ~7 (family-wise below 3.5e-7, under the 1e-6
 * target). Empirically, those replications (and 150 more of the first map) gave a largest |z| over all 144 entries of
 * 3.9. Entries on the support are not random at all; they must equal exp(tau q.k) to 1e-12 relative in every draw.
 *
 * <p>Under the causal mask (the last two tests) the same statistic is applied to the 78 visible entries of each
 * estimate (two more families of at most 78 entries: family-wise false-failure probability below {@code 2 x 78 x
 * 8.0e-11 = 1.3e-8} more, under the same normal approximation), and masked entries must be exactly 0 in every draw.
 *
 * <p>Runtime: 6 x 4000 estimates of a 12 x 12 problem (plus 1000 for the power check), about a second.
 */
class UnbiasednessTest {
  private static final int N = 12;
  private static final int M = 12;
  private static final int D = 4;
  private static final int R = 4000;
  private static final double Z = 6.5;
  private static final PerformerConfig FEATURES = PerformerConfig.of(8);

  static AttentionInputs inputs() {
    return InputGenerators.gaussian(GaussianSpec.fixedNorm(N, M, D, 2, 0.5), 0.5, Draws.create(41));
  }

  /** A fixed support holding about a third of the pairs, independent of the features (and one empty row). */
  private static ExplicitSupport support() {
    RandomGenerator rng = Draws.create(42);
    int[][] rows = new int[N][];
    for (int i = 0; i < N; i++) {
      int[] tmp = new int[M];
      int len = 0;
      for (int j = 0; j < M; j++) {
        if (i > 0 && rng.nextDouble() < 1.0 / 3) {
          tmp[len++] = j;
        }
      }
      rows[i] = java.util.Arrays.copyOf(tmp, len);
    }
    return ExplicitSupport.of(rows, M);
  }

  /** Per-entry running mean and variance (Welford) of the unnormalised estimate. */
  static final class Moments {
    final double[] mean = new double[N * M];
    final double[] m2 = new double[N * M];
    final double[] min = new double[N * M];
    final double[] max = new double[N * M];
    int count;

    Moments() {
      java.util.Arrays.fill(min, Double.POSITIVE_INFINITY);
      java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
    }

    void add(double[] x) {
      count++;
      for (int e = 0; e < x.length; e++) {
        double delta = x[e] - mean[e];
        mean[e] += delta / count;
        m2[e] += delta * (x[e] - mean[e]);
        min[e] = Math.min(min[e], x[e]);
        max[e] = Math.max(max[e], x[e]);
      }
    }

    double sd(int e) {
      return Math.sqrt(m2[e] / (count - 1));
    }
  }

  static List<PerformerConfig> performerConfigs() {
    return List.of(
        FEATURES, // one full orthogonal block (r = d = 4)
        PerformerConfig.of(12), // r = 6 > d: a second, truncated block
        new PerformerConfig(6, false, ProjectionScaling.CHI, 0.0)); // plain (non-antithetic) FAVOR+
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("performerConfigs")
  void performerUnnormalisedEstimateIsUnbiased(PerformerConfig config) {
    AttentionInputs in = inputs();
    PerformerAttention performer = (PerformerAttention) Estimators.create(config);
    RandomGenerator rng = Draws.create(43);
    Moments mom = new Moments();
    for (int r = 0; r < R; r++) {
      PositiveRandomFeatures map = Draws.split(rng).sampleFeatures(config, D);
      mom.add(ScatterbrainPropertiesTest.unnormalised(performer.estimate(in, map)));
    }
    double[] logits = ExactLogitsTestUtil.logits(in);
    for (int e = 0; e < N * M; e++) {
      double exact = Math.exp(logits[e]);
      double se = mom.sd(e) / Math.sqrt(R);
      assertTrue(se > 0, "entry " + e + " varies over draws");
      assertEquals(exact, mom.mean[e], Z * se, "entry " + e + " (z = " + (mom.mean[e] - exact) / se + ")");
    }
  }

  @Test
  void scatterbrainUnnormalisedEstimateIsUnbiasedGivenTheSupport() {
    AttentionInputs in = inputs();
    ExplicitSupport support = support();
    boolean[][] member = ScatterbrainPropertiesTest.membership(support);
    ScatterbrainAttention sb =
        (ScatterbrainAttention) Estimators.create(new ScatterbrainConfig(FEATURES, new LocalConfig(1)));
    RandomGenerator rng = Draws.create(44);
    Moments mom = new Moments();
    for (int r = 0; r < R; r++) {
      PositiveRandomFeatures map = Draws.split(rng).sampleFeatures(FEATURES, D);
      mom.add(ScatterbrainPropertiesTest.unnormalised(sb.estimate(in, map, support)));
    }
    double[] logits = ExactLogitsTestUtil.logits(in);
    int on = 0;
    int off = 0;
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < M; j++) {
        int e = i * M + j;
        double exact = Math.exp(logits[e]);
        if (member[i][j]) {
          on++;
          // deterministic on the support: every draw gives exp(tau q.k) up to round-off (see ScatterbrainProperties)
          assertEquals(exact, mom.min[e], 1e-12 * exact, "on-support entry " + e + " smallest draw");
          assertEquals(exact, mom.max[e], 1e-12 * exact, "on-support entry " + e + " largest draw");
        } else {
          off++;
          double se = mom.sd(e) / Math.sqrt(R);
          assertTrue(se > 0, "off-support entry " + e + " varies over draws");
          assertEquals(exact, mom.mean[e], Z * se, "off-support entry " + e + " (z = " + (mom.mean[e] - exact) / se + ")");
        }
      }
    }
    assertTrue(on > 20 && off > 20, "both kinds of entries are checked: " + on + " on, " + off + " off");
  }

  @Test
  void causalPerformerUnnormalisedEstimateIsUnbiasedOnVisibleEntries() {
    AttentionInputs in = inputs().withCausal(true);
    PerformerAttention performer = (PerformerAttention) Estimators.create(FEATURES);
    RandomGenerator rng = Draws.create(46);
    Moments mom = new Moments();
    for (int r = 0; r < R; r++) {
      mom.add(ScatterbrainPropertiesTest.unnormalised(performer.estimate(in, Draws.split(rng).sampleFeatures(FEATURES,
          D))));
    }
    double[] logits = ExactLogitsTestUtil.logits(in);
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < M; j++) {
        int e = i * M + j;
        if (j > i) {
          assertEquals(0.0, mom.min[e], 0.0, "masked entry " + e);
          assertEquals(0.0, mom.max[e], 0.0, "masked entry " + e);
          continue;
        }
        double exact = Math.exp(logits[e]);
        double se = mom.sd(e) / Math.sqrt(R);
        assertTrue(se > 0, "entry " + e + " varies over draws");
        assertEquals(exact, mom.mean[e], Z * se, "entry " + e + " (z = " + (mom.mean[e] - exact) / se + ")");
      }
    }
  }

  @Test
  void causalScatterbrainUnnormalisedEstimateIsUnbiasedGivenTheSupport() {
    AttentionInputs in = inputs().withCausal(true);
    // the fixed support with its future pairs dropped (row 0, empty, sees its own key): what the estimator uses
    boolean[][] member = ScatterbrainPropertiesTest.membership(CausalSupport.of(support()));
    ScatterbrainAttention sb =
        (ScatterbrainAttention) Estimators.create(new ScatterbrainConfig(FEATURES, new LocalConfig(1)));
    RandomGenerator rng = Draws.create(47);
    Moments mom = new Moments();
    for (int r = 0; r < R; r++) {
      PositiveRandomFeatures map = Draws.split(rng).sampleFeatures(FEATURES, D);
      mom.add(ScatterbrainPropertiesTest.unnormalised(sb.estimate(in, map, support())));
    }
    double[] logits = ExactLogitsTestUtil.logits(in);
    int on = 0;
    int off = 0;
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < M; j++) {
        int e = i * M + j;
        double exact = Math.exp(logits[e]);
        if (j > i) {
          assertTrue(!member[i][j], "the causal support holds no future pair (" + i + ", " + j + ")");
          assertEquals(0.0, mom.min[e], 0.0, "masked entry " + e);
          assertEquals(0.0, mom.max[e], 0.0, "masked entry " + e);
        } else if (member[i][j]) {
          on++;
          assertEquals(exact, mom.min[e], 1e-12 * exact, "on-support entry " + e + " smallest draw");
          assertEquals(exact, mom.max[e], 1e-12 * exact, "on-support entry " + e + " largest draw");
        } else {
          off++;
          double se = mom.sd(e) / Math.sqrt(R);
          assertTrue(se > 0, "off-support entry " + e + " varies over draws");
          assertEquals(exact, mom.mean[e], Z * se, "off-support entry " + e + " (z = " + (mom.mean[e] - exact) / se + ")");
        }
      }
    }
    assertTrue(on > 10 && off > 20, "both kinds of visible entries are checked: " + on + " on, " + off + " off");
  }

  @Test
  void theCheckDetectsABiasedFeatureMap() {
    // Power check of the statistic above: eps > 0 adds eps/sqrt(F) to every stabilised feature (pitfall P5), a bias
    // of order eps relative to the feature scale. With eps = 0.5 every entry's bias is many standard errors, so the
    // same z-test must reject most entries (deterministic under the fixed seed; a sanity check, not a new property).
    AttentionInputs in = inputs();
    PerformerConfig biased = new PerformerConfig(8, true, FEATURES.scaling(), 0.5);
    PerformerAttention performer = (PerformerAttention) Estimators.create(biased);
    RandomGenerator rng = Draws.create(45);
    Moments mom = new Moments();
    for (int r = 0; r < R / 4; r++) {
      mom.add(ScatterbrainPropertiesTest.unnormalised(performer.estimate(in, Draws.split(rng).sampleFeatures(biased, D))));
    }
    double[] logits = ExactLogitsTestUtil.logits(in);
    int rejected = 0;
    for (int e = 0; e < N * M; e++) {
      double se = mom.sd(e) / Math.sqrt(mom.count);
      if (Math.abs(mom.mean[e] - Math.exp(logits[e])) > Z * se) {
        rejected++;
      }
    }
    assertTrue(rejected > N * M / 2, "a biased map is rejected on most entries, got " + rejected);
  }
}
