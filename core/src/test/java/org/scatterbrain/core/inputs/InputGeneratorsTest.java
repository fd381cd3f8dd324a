package org.scatterbrain.core.inputs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.inputs.InputGenerators.ClusteredSample;
import org.scatterbrain.core.inputs.InputGenerators.ClusteredSpec;
import org.scatterbrain.core.inputs.InputGenerators.GaussianSpec;
import org.scatterbrain.core.inputs.InputGenerators.NormMode;
import org.scatterbrain.core.io.NpyWriter;

/** Tests of {@link InputGenerators}. All randomness comes from {@link #rng(long)}. */
class InputGeneratorsTest {
  /** Row norms after rescaling: a few ulps per entry, summed over d <= 64 entries. */
  private static final double NORM_TOLERANCE = 1e-12;

  @TempDir Path tmp;

  private static RandomGenerator rng(long seed) {
    return RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
  }

  private static double rowNorm(double[] a, int row, int d) {
    double s = 0;
    for (int j = 0; j < d; j++) {
      s += a[row * d + j] * a[row * d + j];
    }
    return Math.sqrt(s);
  }

  private static void assertRowNorms(double[] a, int rows, int d, double norm) {
    for (int i = 0; i < rows; i++) {
      double actual = rowNorm(a, i, d);
      int row = i;
      assertEquals(norm, actual, NORM_TOLERANCE * norm, () -> "row " + row);
    }
  }

  private static double cosine(double[] a, int i, double[] b, int j, int d) {
    double dot = 0;
    for (int t = 0; t < d; t++) {
      dot += a[i * d + t] * b[j * d + t];
    }
    return dot / (rowNorm(a, i, d) * rowNorm(b, j, d));
  }

  private static void assertContains(Throwable e, String... parts) {
    for (String part : parts) {
      assertTrue(
          e.getMessage() != null && e.getMessage().contains(part),
          () -> "message should contain <" + part + "> but was <" + e.getMessage() + ">");
    }
  }

  private static void assertSameArrays(AttentionInputs a, AttentionInputs b) {
    assertArrayEquals(a.queriesRowMajor(), b.queriesRowMajor());
    assertArrayEquals(a.keysRowMajor(), b.keysRowMajor());
    assertArrayEquals(a.valuesRowMajor(), b.valuesRowMajor());
    assertEquals(a.scale(), b.scale());
  }

  // ---------------------------------------------------------------- Gaussian

  @Test
  void gaussianSameSeedGivesIdenticalArrays() {
    GaussianSpec spec = GaussianSpec.fixedNorm(20, 30, 8, 5, 2.0);

    assertSameArrays(InputGenerators.gaussian(spec, rng(7)), InputGenerators.gaussian(spec, rng(7)));
  }

  @Test
  void gaussianDifferentSeedsGiveDifferentArrays() {
    GaussianSpec spec = GaussianSpec.fixedNorm(20, 30, 8, 5, 2.0);

    AttentionInputs a = InputGenerators.gaussian(spec, rng(7));
    AttentionInputs b = InputGenerators.gaussian(spec, rng(8));

    assertFalse(Arrays.equals(a.queriesRowMajor(), b.queriesRowMajor()));
    assertFalse(Arrays.equals(a.keysRowMajor(), b.keysRowMajor()));
    assertFalse(Arrays.equals(a.valuesRowMajor(), b.valuesRowMajor()));
  }

  @Test
  void gaussianShapesAndDefaultScale() {
    AttentionInputs in = InputGenerators.gaussian(GaussianSpec.fixedNorm(20, 30, 8, 5, 2.0), rng(1));

    assertEquals(20, in.queryCount());
    assertEquals(30, in.keyCount());
    assertEquals(8, in.headDim());
    assertEquals(5, in.valueDim());
    assertEquals(1 / Math.sqrt(8), in.scale());
  }

  @Test
  void gaussianExplicitScaleKeepsTheDraws() {
    GaussianSpec spec = GaussianSpec.raw(6, 7, 4, 3);

    AttentionInputs scaled = InputGenerators.gaussian(spec, 0.3, rng(2));

    assertEquals(0.3, scaled.scale());
    assertSameArrays(InputGenerators.gaussian(spec, rng(2)).withScale(0.3), scaled);
  }

  @Test
  void gaussianFixedNormRowsHaveRequestedNorm() {
    AttentionInputs in = InputGenerators.gaussian(GaussianSpec.fixedNorm(50, 60, 64, 4, 3.7), rng(3));

    assertRowNorms(in.queriesRowMajor(), 50, 64, 3.7);
    assertRowNorms(in.keysRowMajor(), 60, 64, 3.7);
  }

  @Test
  void gaussianTinyAndHugeNormsAreExact() {
    for (double norm : new double[] {1e-150, 1e150}) {
      AttentionInputs in = InputGenerators.gaussian(GaussianSpec.fixedNorm(5, 5, 16, 1, norm), rng(4));
      for (int i = 0; i < 5; i++) {
        // entries of size norm/4: squares under/overflow, so compare the largest-entry-relative norm
        double max = 0;
        for (int j = 0; j < 16; j++) {
          max = Math.max(max, Math.abs(in.queriesRowMajor()[i * 16 + j]));
        }
        double s = 0;
        for (int j = 0; j < 16; j++) {
          double x = in.queriesRowMajor()[i * 16 + j] / max;
          s += x * x;
        }
        assertEquals(norm, max * Math.sqrt(s), NORM_TOLERANCE * norm);
      }
    }
  }

  @Test
  void unitLogitNormGivesUnitScaledSquaredNorm() {
    int d = 64;
    GaussianSpec spec = GaussianSpec.unitLogitNorm(10, 10, d, 2);
    AttentionInputs in = InputGenerators.gaussian(spec, rng(5));

    assertEquals(Math.pow(d, 0.25), spec.norm());
    for (int i = 0; i < 10; i++) {
      double n = rowNorm(in.queriesRowMajor(), i, d);
      assertEquals(1.0, in.scale() * n * n, NORM_TOLERANCE);
    }
  }

  @Test
  void fixedNormRowsAreTheRawRowsRescaled() {
    int n = 12;
    int m = 9;
    int d = 7;
    AttentionInputs raw = InputGenerators.gaussian(GaussianSpec.raw(n, m, d, 3), rng(6));
    AttentionInputs fixed = InputGenerators.gaussian(GaussianSpec.fixedNorm(n, m, d, 3, 2.5), rng(6));

    for (int i = 0; i < n; i++) {
      double factor = 2.5 / rowNorm(raw.queriesRowMajor(), i, d);
      for (int j = 0; j < d; j++) {
        double expected = raw.queriesRowMajor()[i * d + j] * factor;
        assertEquals(expected, fixed.queriesRowMajor()[i * d + j], 1e-14 * 2.5);
      }
    }
    for (int i = 0; i < m; i++) {
      assertEquals(1.0, cosine(raw.keysRowMajor(), i, fixed.keysRowMajor(), i, d), 1e-14);
    }
    assertArrayEquals(raw.valuesRowMajor(), fixed.valuesRowMajor());
  }

  /**
   * Raw Q, K and V entries are iid N(0, 1). With N = 64 000 entries per matrix the sample mean has sd 1/sqrt(N) =
   * 0.0040 and the sample variance sd sqrt(2/N) = 0.0056; the bounds 0.025 and 0.035 are over 6 sd, so the false
   * failure probability is below 2e-9 per check (12 checks).
   */
  @Test
  void rawGaussianEntriesHaveStandardNormalMoments() {
    AttentionInputs in = InputGenerators.gaussian(GaussianSpec.raw(1000, 1000, 64, 64), rng(9));

    for (double[] a : new double[][] {in.queriesRowMajor(), in.keysRowMajor(), in.valuesRowMajor()}) {
      double mean = Arrays.stream(a).average().orElseThrow();
      double var = Arrays.stream(a).map(x -> (x - mean) * (x - mean)).sum() / (a.length - 1);
      assertEquals(0, mean, 0.025);
      assertEquals(1, var, 0.035);
    }
  }

  /**
   * Fixed-norm rows are uniform directions: each coordinate has mean 0 and variance norm^2/d. Over 2 000 rows of
   * d = 16 the mean of coordinate 0 has sd sqrt(1/16/2000) = 0.0056 (bound 0.035, > 6 sd).
   */
  @Test
  void fixedNormDirectionsAreCentred() {
    AttentionInputs in = InputGenerators.gaussian(GaussianSpec.fixedNorm(2000, 2000, 16, 1, 1.0), rng(10));

    double mean = 0;
    for (int i = 0; i < 2000; i++) {
      mean += in.queriesRowMajor()[i * 16] / 2000;
    }
    assertEquals(0, mean, 0.035);
  }

  @Test
  void gaussianRejectsZeroQueries() {
    var e = assertThrows(IllegalArgumentException.class, () -> GaussianSpec.fixedNorm(0, 5, 4, 4, 1));
    assertContains(e, "n (query rows) must be > 0, got 0");
  }

  @Test
  void gaussianRejectsZeroKeys() {
    var e = assertThrows(IllegalArgumentException.class, () -> GaussianSpec.fixedNorm(5, 0, 4, 4, 1));
    assertContains(e, "m (key rows) must be > 0, got 0");
  }

  @Test
  void gaussianRejectsNegativeHeadDim() {
    var e = assertThrows(IllegalArgumentException.class, () -> GaussianSpec.raw(5, 5, -3, 4));
    assertContains(e, "d (head dim) must be > 0, got -3");
  }

  @Test
  void gaussianRejectsZeroValueDim() {
    var e = assertThrows(IllegalArgumentException.class, () -> GaussianSpec.raw(5, 5, 4, 0));
    assertContains(e, "dv (value dim) must be > 0, got 0");
  }

  @Test
  void gaussianRejectsShapeTooLargeForArrays() {
    var e = assertThrows(IllegalArgumentException.class, () -> GaussianSpec.raw(100_000, 5, 100_000, 4));
    assertContains(e, "must each fit in a Java array", "n=100000", "d=100000");
  }

  @Test
  void gaussianRejectsNullNormMode() {
    var e = assertThrows(NullPointerException.class, () -> new GaussianSpec(5, 5, 4, 4, null, 1));
    assertContains(e, "normMode");
  }

  @Test
  void gaussianRejectsZeroNorm() {
    var e = assertThrows(IllegalArgumentException.class, () -> GaussianSpec.fixedNorm(5, 5, 4, 4, 0));
    assertContains(e, "norm must be finite and > 0, got 0.0");
  }

  @Test
  void gaussianRejectsNegativeNorm() {
    var e = assertThrows(IllegalArgumentException.class, () -> GaussianSpec.fixedNorm(5, 5, 4, 4, -2));
    assertContains(e, "norm must be finite and > 0, got -2.0");
  }

  @Test
  void gaussianRejectsNanNorm() {
    var e =
        assertThrows(IllegalArgumentException.class, () -> GaussianSpec.fixedNorm(5, 5, 4, 4, Double.NaN));
    assertContains(e, "norm must be finite and > 0, got NaN");
  }

  @Test
  void gaussianRejectsInfiniteNorm() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> GaussianSpec.fixedNorm(5, 5, 4, 4, Double.POSITIVE_INFINITY));
    assertContains(e, "norm must be finite and > 0, got Infinity");
  }

  @Test
  void gaussianRejectsNormWithRawMode() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> new GaussianSpec(5, 5, 4, 4, NormMode.RAW_GAUSSIAN, 2));
    assertContains(e, "norm must be 0 (unused) when normMode is RAW_GAUSSIAN, got 2.0");
  }

  @Test
  void unitLogitNormRejectsZeroHeadDim() {
    var e = assertThrows(IllegalArgumentException.class, () -> GaussianSpec.unitLogitNorm(5, 5, 0, 4));
    assertContains(e, "d (head dim) must be > 0, got 0");
  }

  @Test
  void gaussianRejectsZeroScale() {
    GaussianSpec spec = GaussianSpec.raw(5, 5, 4, 4);
    var e = assertThrows(IllegalArgumentException.class, () -> InputGenerators.gaussian(spec, 0.0, rng(1)));
    assertContains(e, "scale (tau) must be finite and > 0, got 0.0");
  }

  @Test
  void gaussianRejectsNanScale() {
    GaussianSpec spec = GaussianSpec.raw(5, 5, 4, 4);
    var e =
        assertThrows(IllegalArgumentException.class, () -> InputGenerators.gaussian(spec, Double.NaN, rng(1)));
    assertContains(e, "scale (tau)", "NaN");
  }

  @Test
  void gaussianRejectsNullGenerator() {
    GaussianSpec spec = GaussianSpec.raw(5, 5, 4, 4);
    var e = assertThrows(NullPointerException.class, () -> InputGenerators.gaussian(spec, null));
    assertContains(e, "rng");
  }

  // ---------------------------------------------------------------- clustered

  private static ClusteredSpec clusteredSpec(double spread) {
    return new ClusteredSpec(256, 256, 32, 8, 8, 2.0, spread);
  }

  @Test
  void clusteredSameSeedGivesIdenticalArrays() {
    ClusteredSample a = InputGenerators.clusteredSample(clusteredSpec(0.5), rng(21));
    ClusteredSample b = InputGenerators.clusteredSample(clusteredSpec(0.5), rng(21));

    assertSameArrays(a.inputs(), b.inputs());
    assertArrayEquals(a.centres(), b.centres());
    assertArrayEquals(a.queryClusters(), b.queryClusters());
    assertArrayEquals(a.keyClusters(), b.keyClusters());
  }

  @Test
  void clusteredDifferentSeedsGiveDifferentArrays() {
    AttentionInputs a = InputGenerators.clustered(clusteredSpec(0.5), rng(21));
    AttentionInputs b = InputGenerators.clustered(clusteredSpec(0.5), rng(22));

    assertFalse(Arrays.equals(a.queriesRowMajor(), b.queriesRowMajor()));
    assertFalse(Arrays.equals(a.keysRowMajor(), b.keysRowMajor()));
    assertFalse(Arrays.equals(a.valuesRowMajor(), b.valuesRowMajor()));
  }

  @Test
  void clusteredEqualsTheInputsOfClusteredSample() {
    assertSameArrays(
        InputGenerators.clusteredSample(clusteredSpec(0.5), rng(23)).inputs(),
        InputGenerators.clustered(clusteredSpec(0.5), rng(23)));
  }

  @Test
  void clusteredShapesAndScales() {
    ClusteredSpec spec = new ClusteredSpec(10, 14, 6, 3, 2, 1.0, 0.1);

    AttentionInputs in = InputGenerators.clustered(spec, rng(24));
    AttentionInputs scaled = InputGenerators.clustered(spec, 0.7, rng(24));

    assertEquals(10, in.queryCount());
    assertEquals(14, in.keyCount());
    assertEquals(6, in.headDim());
    assertEquals(3, in.valueDim());
    assertEquals(1 / Math.sqrt(6), in.scale());
    assertEquals(0.7, scaled.scale());
    assertArrayEquals(in.queriesRowMajor(), scaled.queriesRowMajor());
  }

  @Test
  void clusteredRowsHaveRequestedNorm() {
    AttentionInputs in = InputGenerators.clustered(clusteredSpec(0.5), rng(25));

    assertRowNorms(in.queriesRowMajor(), 256, 32, 2.0);
    assertRowNorms(in.keysRowMajor(), 256, 32, 2.0);
  }

  @Test
  void clusteredCentresAreUnitAndAssignmentsCoverEveryCluster() {
    ClusteredSample s = InputGenerators.clusteredSample(clusteredSpec(0.5), rng(26));

    assertEquals(8, s.clusterCount());
    assertEquals(8 * 32, s.centres().length);
    assertRowNorms(s.centres(), 8, 32, 1.0);
    // each of 8 clusters is missed by 256 uniform picks with probability (7/8)^256 < 1e-14
    for (int[] assignment : new int[][] {s.queryClusters(), s.keyClusters()}) {
      assertEquals(256, assignment.length);
      assertEquals(8, Arrays.stream(assignment).distinct().count());
      assertTrue(Arrays.stream(assignment).allMatch(c -> c >= 0 && c < 8));
    }
  }

  /**
   * Same-cluster query/key pairs have cosine about 1/(1 + spread^2) = 0.8 at spread 0.5; different-cluster pairs
   * average the cosines of 28 pairs of random unit centres in d = 32 (each sd 1/sqrt(32)), so their mean has sd
   * about 0.035. The bounds 0.7 and 0.2 are several sd away (false failure probability below 1e-8; in 200
   * numpy replications of this setup the extremes were 0.798 and 0.082).
   */
  @Test
  void clusteredTokensAreMuchMoreSimilarWithinClusters() {
    ClusteredSample s = InputGenerators.clusteredSample(clusteredSpec(0.5), rng(27));
    double[] q = s.inputs().queriesRowMajor();
    double[] k = s.inputs().keysRowMajor();
    int[] qc = s.queryClusters();
    int[] kc = s.keyClusters();

    double same = 0;
    double diff = 0;
    int sameCount = 0;
    int diffCount = 0;
    for (int i = 0; i < 256; i++) {
      for (int j = 0; j < 256; j++) {
        double c = cosine(q, i, k, j, 32);
        if (qc[i] == kc[j]) {
          same += c;
          sameCount++;
        } else {
          diff += c;
          diffCount++;
        }
      }
    }
    double meanSame = same / sameCount;
    double meanDiff = diff / diffCount;
    assertTrue(meanSame > 0.7, () -> "mean same-cluster cosine " + meanSame);
    assertTrue(Math.abs(meanDiff) < 0.2, () -> "mean different-cluster cosine " + meanDiff);
  }

  /** Every token's nearest centre is its own (cosine ~0.89 vs at most ~0.6 for others in d = 32, spread 0.5). */
  @Test
  void clusteredTokensAreNearestToTheirOwnCentre() {
    ClusteredSample s = InputGenerators.clusteredSample(clusteredSpec(0.5), rng(28));
    double[] centres = s.centres();
    double[] q = s.inputs().queriesRowMajor();
    int[] qc = s.queryClusters();

    int correct = 0;
    for (int i = 0; i < 256; i++) {
      int best = -1;
      double bestCos = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < 8; c++) {
        double cos = cosine(q, i, centres, c, 32);
        if (cos > bestCos) {
          bestCos = cos;
          best = c;
        }
      }
      correct += best == qc[i] ? 1 : 0;
    }
    assertTrue(correct >= 253, "nearest centre matched for " + correct + " of 256 queries");
  }

  @Test
  void clusteredZeroSpreadRowsAreScaledCentres() {
    ClusteredSample s = InputGenerators.clusteredSample(new ClusteredSpec(20, 30, 5, 2, 3, 1.5, 0.0), rng(29));
    double[] centres = s.centres();
    double[] q = s.inputs().queriesRowMajor();
    double[] k = s.inputs().keysRowMajor();

    for (int i = 0; i < 20; i++) {
      for (int j = 0; j < 5; j++) {
        assertEquals(1.5 * centres[s.queryClusters()[i] * 5 + j], q[i * 5 + j], 1e-14);
      }
    }
    for (int i = 0; i < 30; i++) {
      for (int j = 0; j < 5; j++) {
        assertEquals(1.5 * centres[s.keyClusters()[i] * 5 + j], k[i * 5 + j], 1e-14);
      }
    }
  }

  @Test
  void clusteredHugeSpreadStaysFiniteWithRequestedNorm() {
    AttentionInputs in = InputGenerators.clustered(new ClusteredSpec(20, 20, 8, 2, 4, 3.0, 1e300), rng(30));

    assertRowNorms(in.queriesRowMajor(), 20, 8, 3.0);
    assertRowNorms(in.keysRowMajor(), 20, 8, 3.0);
  }

  @Test
  void clusteredSingleClusterPutsEveryTokenInIt() {
    ClusteredSample s = InputGenerators.clusteredSample(new ClusteredSpec(5, 6, 4, 2, 1, 1.0, 0.3), rng(31));

    assertTrue(Arrays.stream(s.queryClusters()).allMatch(c -> c == 0));
    assertTrue(Arrays.stream(s.keyClusters()).allMatch(c -> c == 0));
  }

  @Test
  void clusteredSampleAccessorsReturnCopies() {
    ClusteredSample s = InputGenerators.clusteredSample(clusteredSpec(0.5), rng(32));
    double c0 = s.centres()[0];
    int q0 = s.queryClusters()[0];
    int k0 = s.keyClusters()[0];

    s.centres()[0] = 99;
    s.queryClusters()[0] = 99;
    s.keyClusters()[0] = 99;

    assertEquals(c0, s.centres()[0]);
    assertEquals(q0, s.queryClusters()[0]);
    assertEquals(k0, s.keyClusters()[0]);
  }

  @Test
  void clusteredRejectsZeroClusters() {
    var e = assertThrows(IllegalArgumentException.class, () -> new ClusteredSpec(10, 10, 4, 4, 0, 1, 0.5));
    assertContains(e, "clusters must be > 0, got 0");
  }

  @Test
  void clusteredRejectsMoreClustersThanQueries() {
    var e = assertThrows(IllegalArgumentException.class, () -> new ClusteredSpec(5, 10, 4, 4, 6, 1, 0.5));
    assertContains(e, "clusters must be <= min(n, m) (5), got 6");
  }

  @Test
  void clusteredRejectsMoreClustersThanKeys() {
    var e = assertThrows(IllegalArgumentException.class, () -> new ClusteredSpec(10, 3, 4, 4, 4, 1, 0.5));
    assertContains(e, "clusters must be <= min(n, m) (3), got 4");
  }

  @Test
  void clusteredRejectsZeroNorm() {
    var e = assertThrows(IllegalArgumentException.class, () -> new ClusteredSpec(10, 10, 4, 4, 2, 0, 0.5));
    assertContains(e, "norm must be finite and > 0, got 0.0");
  }

  @Test
  void clusteredRejectsNanNorm() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> new ClusteredSpec(10, 10, 4, 4, 2, Double.NaN, 0.5));
    assertContains(e, "norm must be finite and > 0, got NaN");
  }

  @Test
  void clusteredRejectsNegativeSpread() {
    var e = assertThrows(IllegalArgumentException.class, () -> new ClusteredSpec(10, 10, 4, 4, 2, 1, -0.1));
    assertContains(e, "spread must be finite and >= 0, got -0.1");
  }

  @Test
  void clusteredRejectsNanSpread() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> new ClusteredSpec(10, 10, 4, 4, 2, 1, Double.NaN));
    assertContains(e, "spread must be finite and >= 0, got NaN");
  }

  @Test
  void clusteredRejectsInfiniteSpread() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ClusteredSpec(10, 10, 4, 4, 2, 1, Double.POSITIVE_INFINITY));
    assertContains(e, "spread must be finite and >= 0, got Infinity");
  }

  @Test
  void clusteredRejectsZeroQueries() {
    var e = assertThrows(IllegalArgumentException.class, () -> new ClusteredSpec(0, 10, 4, 4, 1, 1, 0.5));
    assertContains(e, "n (query rows) must be > 0, got 0");
  }

  @Test
  void clusteredRejectsZeroHeadDim() {
    var e = assertThrows(IllegalArgumentException.class, () -> new ClusteredSpec(10, 10, 0, 4, 1, 1, 0.5));
    assertContains(e, "d (head dim) must be > 0, got 0");
  }

  @Test
  void clusteredRejectsZeroScale() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> InputGenerators.clustered(clusteredSpec(0.5), 0.0, rng(1)));
    assertContains(e, "scale (tau) must be finite and > 0, got 0.0");
  }

  @Test
  void clusteredRejectsNullGenerator() {
    var e =
        assertThrows(NullPointerException.class, () -> InputGenerators.clustered(clusteredSpec(0.5), null));
    assertContains(e, "rng");
  }

  // ---------------------------------------------------------------- fromNpy

  private Path write(String name, double[] data, int rows, int cols) throws IOException {
    Path f = tmp.resolve(name);
    NpyWriter.write(f, data, rows, cols);
    return f;
  }

  @Test
  void fromNpyReadsThreeFilesWithDefaultScale() throws IOException {
    Path q = write("q.npy", new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Path k = write("k.npy", new double[] {7, 8, 9, 10, 11, 12, 13, 14, 15}, 3, 3);
    Path v = write("v.npy", new double[] {1, -1, 2, -2, 3, -3}, 3, 2);

    AttentionInputs in = InputGenerators.fromNpy(q, k, v);

    assertEquals(2, in.queryCount());
    assertEquals(3, in.keyCount());
    assertEquals(3, in.headDim());
    assertEquals(2, in.valueDim());
    assertEquals(1 / Math.sqrt(3), in.scale());
    assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, in.queriesRowMajor());
    assertArrayEquals(new double[] {7, 8, 9, 10, 11, 12, 13, 14, 15}, in.keysRowMajor());
    assertArrayEquals(new double[] {1, -1, 2, -2, 3, -3}, in.valuesRowMajor());
  }

  @Test
  void fromNpyWithExplicitScale() throws IOException {
    Path q = write("q.npy", new double[] {1, 2}, 1, 2);
    Path kv = write("kv.npy", new double[] {3, 4}, 1, 2);

    assertEquals(0.125, InputGenerators.fromNpy(q, kv, kv, 0.125).scale());
  }

  @Test
  void fromNpyReadsRealFloat32Head() throws IOException {
    Path f = tmp.resolve("minilm_L0_H2_n512_q.npy");
    try (InputStream in = getClass().getResourceAsStream("/npy/minilm_L0_H2_n512_q.npy")) {
      Files.copy(Objects.requireNonNull(in, "test resource"), f);
    }

    AttentionInputs in = InputGenerators.fromNpy(f, f, f);

    assertEquals(512, in.queryCount());
    assertEquals(512, in.keyCount());
    assertEquals(32, in.headDim());
    assertEquals(32, in.valueDim());
    assertEquals(1 / Math.sqrt(32), in.scale());
    assertEquals(-0.2966889441013336, in.queriesRowMajor()[0]); // numpy: float(a[0, 0])
  }

  @Test
  void fromNpyRejectsMismatchedHeadDimsNamingTheFiles() throws IOException {
    Path q = write("q.npy", new double[6], 2, 3);
    Path k = write("k.npy", new double[8], 2, 4);
    Path v = write("v.npy", new double[4], 2, 2);

    var e = assertThrows(IllegalArgumentException.class, () -> InputGenerators.fromNpy(q, k, v));

    assertContains(
        e, "q=" + q + " (2x3)", "k=" + k + " (2x4)", "v=" + v + " (2x2)", "same column count (head dim)");
  }

  @Test
  void fromNpyRejectsMismatchedKeyAndValueRows() throws IOException {
    Path q = write("q.npy", new double[6], 2, 3);
    Path k = write("k.npy", new double[6], 2, 3);
    Path v = write("v.npy", new double[6], 3, 2);

    var e = assertThrows(IllegalArgumentException.class, () -> InputGenerators.fromNpy(q, k, v));

    assertContains(e, "v=" + v + " (3x2)", "keys and values must have the same row count");
  }

  @Test
  void fromNpyRejectsNonFiniteValuesNamingTheFiles() throws IOException {
    Path q = write("q.npy", new double[] {1, 2}, 1, 2);
    Path k = write("k.npy", new double[] {1, Double.NaN}, 1, 2);

    var e = assertThrows(IllegalArgumentException.class, () -> InputGenerators.fromNpy(q, k, q));

    assertContains(e, "k=" + k, "keys (1x2) must be finite, but entry (0, 1) is NaN");
  }

  @Test
  void fromNpyRejectsBadFileNamingIt() throws IOException {
    Path q = write("q.npy", new double[] {1, 2}, 1, 2);
    Path k = Files.write(tmp.resolve("broken-k.npy"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});

    var e = assertThrows(IOException.class, () -> InputGenerators.fromNpy(q, k, q));

    assertContains(e, "not a .npy file: " + k);
  }

  @Test
  void fromNpyRejectsMissingFileNamingIt() throws IOException {
    Path q = write("q.npy", new double[] {1, 2}, 1, 2);
    Path missing = tmp.resolve("missing-v.npy");

    var e = assertThrows(NoSuchFileException.class, () -> InputGenerators.fromNpy(q, q, missing));

    assertContains(e, missing.toString());
  }

  @Test
  void fromNpyRejectsInvalidScaleBeforeReading() {
    Path missing = tmp.resolve("never-read.npy");

    var e =
        assertThrows(
            IllegalArgumentException.class, () -> InputGenerators.fromNpy(missing, missing, missing, -1));

    assertContains(e, "scale (tau) must be finite and > 0, got -1.0");
  }

  // ---------------------------------------------------------------- truncate

  @Test
  void truncateKeepsTheFirstRowsAndTheScale() {
    AttentionInputs full = InputGenerators.gaussian(GaussianSpec.raw(10, 12, 4, 3), 0.9, rng(40));

    AttentionInputs cut = InputGenerators.truncate(full, 6);

    assertEquals(6, cut.queryCount());
    assertEquals(6, cut.keyCount());
    assertEquals(4, cut.headDim());
    assertEquals(3, cut.valueDim());
    assertEquals(0.9, cut.scale());
    assertArrayEquals(Arrays.copyOf(full.queriesRowMajor(), 24), cut.queriesRowMajor());
    assertArrayEquals(Arrays.copyOf(full.keysRowMajor(), 24), cut.keysRowMajor());
    assertArrayEquals(Arrays.copyOf(full.valuesRowMajor(), 18), cut.valuesRowMajor());
  }

  @Test
  void truncateToFullLengthIsACopy() {
    AttentionInputs full = InputGenerators.gaussian(GaussianSpec.raw(8, 8, 4, 3), rng(41));

    AttentionInputs same = InputGenerators.truncate(full, 8);

    assertSameArrays(full, same);
    assertNotSame(full.queriesRowMajor(), same.queriesRowMajor());
  }

  @Test
  void truncateRejectsZeroLength() {
    AttentionInputs full = InputGenerators.gaussian(GaussianSpec.raw(8, 8, 4, 3), rng(42));
    var e = assertThrows(IllegalArgumentException.class, () -> InputGenerators.truncate(full, 0));
    assertContains(e, "n must be > 0, got 0");
  }

  @Test
  void truncateRejectsMoreRowsThanQueries() {
    AttentionInputs full = InputGenerators.gaussian(GaussianSpec.raw(4, 10, 4, 3), rng(43));
    var e = assertThrows(IllegalArgumentException.class, () -> InputGenerators.truncate(full, 5));
    assertContains(e, "n must be <= queryCount (4), got 5");
  }

  @Test
  void truncateRejectsMoreRowsThanKeys() {
    AttentionInputs full = InputGenerators.gaussian(GaussianSpec.raw(10, 4, 4, 3), rng(44));
    var e = assertThrows(IllegalArgumentException.class, () -> InputGenerators.truncate(full, 5));
    assertContains(e, "n must be <= keyCount (4), got 5");
  }
}
