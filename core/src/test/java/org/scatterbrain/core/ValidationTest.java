package org.scatterbrain.core;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.ojalgo.matrix.store.R064Store;
import org.scatterbrain.core.features.PositiveRandomFeatures;
import org.scatterbrain.core.features.ProjectionMatrix;
import org.scatterbrain.core.features.ProjectionScaling;
import org.scatterbrain.core.inputs.InputGenerators;
import org.scatterbrain.core.inputs.InputGenerators.GaussianSpec;
import org.scatterbrain.core.sparse.BandSupport;
import org.scatterbrain.core.sparse.ClusteredSupport;
import org.scatterbrain.core.sparse.ExplicitSupport;
import org.scatterbrain.core.sparse.SmyrfHash;

/**
 * Every invalid config or input is rejected with a message that names the parameter and shows the bad value (style
 * R1, R11): one named test per case.
 */
class ValidationTest {
  private static final int N = 40;
  private static final int M = 33;
  private static final int D = 6;

  private static AttentionInputs inputs() {
    return InputGenerators.gaussian(GaussianSpec.raw(N, M, D, 2), Draws.create(1));
  }

  /** Asserts that {@code call} throws {@code type} with a message containing every fragment. */
  private static <T extends Throwable> T assertRejects(Class<T> type, Executable call, String... fragments) {
    T e = assertThrows(type, call);
    String msg = e.getMessage();
    assertTrue(msg != null, "message present");
    for (String f : fragments) {
      assertTrue(msg.contains(f), "message '" + msg + "' should contain '" + f + "'");
    }
    return e;
  }

  private static Estimate estimate(MethodConfig c, AttentionInputs in) {
    return Estimators.create(c).estimate(in, Draws.create(2));
  }

  // --- PerformerConfig --------------------------------------------------------------------------------------------

  @Test
  void rejectsZeroFeatures() {
    assertRejects(IllegalArgumentException.class, () -> PerformerConfig.of(0), "features", "> 0", "got 0");
  }

  @Test
  void rejectsNegativeFeatures() {
    assertRejects(
        IllegalArgumentException.class,
        () -> new PerformerConfig(-4, false, ProjectionScaling.CHI, 0.0),
        "features",
        "got -4");
  }

  @Test
  void rejectsOddFeaturesWithAntithetic() {
    assertRejects(IllegalArgumentException.class, () -> PerformerConfig.of(73), "features", "even", "got 73");
  }

  @Test
  void acceptsOddFeaturesWithoutAntithetic() {
    assertEquals(73, new PerformerConfig(73, false, ProjectionScaling.CHI, 0.0).projectionRows());
  }

  @Test
  void rejectsNegativeEps() {
    assertRejects(
        IllegalArgumentException.class,
        () -> new PerformerConfig(8, true, ProjectionScaling.CHI, -1e-4),
        "eps",
        "got -1.0E-4");
  }

  @Test
  void rejectsNanEps() {
    assertRejects(
        IllegalArgumentException.class,
        () -> new PerformerConfig(8, true, ProjectionScaling.CHI, Double.NaN),
        "eps",
        "got NaN");
  }

  @Test
  void rejectsInfiniteEps() {
    assertRejects(
        IllegalArgumentException.class,
        () -> new PerformerConfig(8, true, ProjectionScaling.CHI, Double.POSITIVE_INFINITY),
        "eps",
        "got Infinity");
  }

  @Test
  void rejectsNullScaling() {
    assertRejects(NullPointerException.class, () -> new PerformerConfig(8, true, null, 0.0), "scaling");
  }

  @Test
  void rejectsUnknownScalingName() {
    assertRejects(IllegalArgumentException.class, () -> ProjectionScaling.parse("gauss"), "'gauss'", "chi");
  }

  @Test
  void rejectsNegativeEpsInFeatureMap() {
    ProjectionMatrix w = ProjectionMatrix.sample(4, D, ProjectionScaling.CHI, Draws.create(3));
    assertRejects(IllegalArgumentException.class, () -> PositiveRandomFeatures.of(w, true, -1.0), "eps", "got -1.0");
  }

  // --- SmyrfConfig ------------------------------------------------------------------------------------------------

  @Test
  void rejectsZeroClusterSize() {
    assertRejects(IllegalArgumentException.class, () -> SmyrfConfig.of(0, 2), "clusterSize", "got 0");
  }

  @Test
  void rejectsClusterSizeAboveQueryCountInEstimate() {
    assertRejects(
        IllegalArgumentException.class,
        () -> estimate(SmyrfConfig.of(N + 1, 2), inputs()),
        "clusterSize",
        "n (" + N + ")",
        "got " + (N + 1));
  }

  @Test
  void rejectsClusterSizeAboveQueryCountInValidateFor() {
    assertRejects(
        IllegalArgumentException.class,
        () -> SmyrfConfig.of(N + 1, 2).validateFor(N, M),
        "clusterSize",
        "got " + (N + 1));
  }

  @Test
  void rejectsClusterSizeAboveQueryCountInScatterbrain() {
    assertRejects(
        IllegalArgumentException.class,
        () -> estimate(new ScatterbrainConfig(PerformerConfig.of(8), new SmyrfConfig(N + 1, 2, true)), inputs()),
        "clusterSize",
        "got " + (N + 1));
  }

  @Test
  void rejectsClusterSizeGivingMoreClustersThanKeys() {
    // n = 40 in clusters of 10 gives 4 clusters, but there are only 3 keys
    assertRejects(
        IllegalArgumentException.class,
        () -> SmyrfConfig.of(10, 1).validateFor(40, 3),
        "clusterSize 10",
        "4 clusters",
        "m = 3");
  }

  @Test
  void rejectsZeroHashRounds() {
    assertRejects(IllegalArgumentException.class, () -> SmyrfConfig.of(8, 0), "hashRounds", "got 0");
  }

  @Test
  void rejectsZeroHashRoundsInReformer() {
    assertRejects(IllegalArgumentException.class, () -> ReformerConfig.of(8, 0), "hashRounds", "got 0");
  }

  @Test
  void rejectsZeroHashRoundsInSampledHash() {
    assertRejects(
        IllegalArgumentException.class, () -> SmyrfHash.sample(D, 0, Draws.create(4)), "hashRounds", "got 0");
  }

  @Test
  void rejectsHashDirectionsWithTooFewRows() {
    assertRejects(
        IllegalArgumentException.class, () -> SmyrfHash.of(R064Store.FACTORY.make(2, 3)), "d + 2 rows", "2x3");
  }

  @Test
  void rejectsClusterCountAboveMinOfQueriesAndKeys() {
    AttentionInputs in = inputs();
    SmyrfHash h = SmyrfHash.sample(D, 1, Draws.create(5));
    assertRejects(
        IllegalArgumentException.class,
        () -> h.support(in.queriesRowMajor(), N, in.keysRowMajor(), M, M + 1, true, 0.0),
        "clusters",
        "got " + (M + 1));
  }

  // --- ReformerConfig ---------------------------------------------------------------------------------------------

  @Test
  void rejectsZeroBucketSize() {
    assertRejects(IllegalArgumentException.class, () -> ReformerConfig.of(0, 2), "bucketSize", "got 0");
  }

  @Test
  void rejectsOddBuckets() {
    assertRejects(IllegalArgumentException.class, () -> new ReformerConfig(8, 2, 3), "buckets", "even", "got 3");
  }

  @Test
  void rejectsNegativeBuckets() {
    assertRejects(IllegalArgumentException.class, () -> new ReformerConfig(8, 2, -2), "buckets", "got -2");
  }

  @Test
  void rejectsBucketSizeAboveQueryCountInEstimate() {
    assertRejects(
        IllegalArgumentException.class,
        () -> estimate(ReformerConfig.of(N + 1, 2), inputs()),
        "bucketSize",
        "got " + (N + 1));
  }

  // --- LocalConfig ------------------------------------------------------------------------------------------------

  @Test
  void rejectsZeroWindow() {
    assertRejects(IllegalArgumentException.class, () -> new LocalConfig(0), "window", "got 0");
  }

  @Test
  void rejectsWindowAboveKeyCountInEstimate() {
    assertRejects(
        IllegalArgumentException.class,
        () -> estimate(new LocalConfig(M + 1), inputs()),
        "window",
        "m (" + M + ")",
        "got " + (M + 1));
  }

  @Test
  void rejectsWindowAboveKeyCountInValidateFor() {
    assertRejects(
        IllegalArgumentException.class, () -> new LocalConfig(M + 1).validateFor(N, M), "window", "got " + (M + 1));
  }

  @Test
  void rejectsZeroWindowInBandSupport() {
    assertRejects(IllegalArgumentException.class, () -> BandSupport.of(N, M, 0), "window", "got 0");
  }

  // --- NystromConfig ----------------------------------------------------------------------------------------------

  @Test
  void rejectsZeroLandmarks() {
    assertRejects(IllegalArgumentException.class, () -> new NystromConfig(0), "landmarks", "got 0");
  }

  @Test
  void rejectsLandmarksAboveMinOfQueriesAndKeys() {
    assertRejects(
        IllegalArgumentException.class,
        () -> estimate(new NystromConfig(M + 1), inputs()),
        "landmarks",
        "min(n, m) (" + M + ")",
        "got " + (M + 1));
  }

  // --- ScatterbrainConfig -----------------------------------------------------------------------------------------

  @Test
  void rejectsNullSparsePart() {
    assertRejects(NullPointerException.class, () -> new ScatterbrainConfig(PerformerConfig.of(8), null), "sparse");
  }

  @Test
  void rejectsNullLowRankPart() {
    assertRejects(NullPointerException.class, () -> new ScatterbrainConfig(null, new LocalConfig(3)), "lowRank");
  }

  @Test
  void rejectsNullConfigInFactory() {
    assertRejects(NullPointerException.class, () -> Estimators.create(null), "config");
  }

  // --- AttentionInputs --------------------------------------------------------------------------------------------

  @Test
  void rejectsHeadDimMismatch() {
    assertRejects(
        IllegalArgumentException.class,
        () ->
            AttentionInputs.of(
                R064Store.FACTORY.make(128, 64), R064Store.FACTORY.make(256, 32), R064Store.FACTORY.make(256, 8)),
        "head dim",
        "queries is 128x64, keys is 256x32");
  }

  @Test
  void rejectsKeyValueRowMismatch() {
    assertRejects(
        IllegalArgumentException.class,
        () ->
            AttentionInputs.of(
                R064Store.FACTORY.make(4, 3), R064Store.FACTORY.make(5, 3), R064Store.FACTORY.make(6, 2)),
        "same row count",
        "keys is 5x3, values is 6x2");
  }

  @Test
  void rejectsEmptyQueries() {
    assertRejects(
        IllegalArgumentException.class,
        () ->
            AttentionInputs.of(
                R064Store.FACTORY.make(0, 3), R064Store.FACTORY.make(5, 3), R064Store.FACTORY.make(5, 2)),
        "queries",
        "0x3");
  }

  @Test
  void rejectsEmptyValueColumns() {
    assertRejects(
        IllegalArgumentException.class,
        () ->
            AttentionInputs.of(
                R064Store.FACTORY.make(4, 3), R064Store.FACTORY.make(5, 3), R064Store.FACTORY.make(5, 0)),
        "values",
        "5x0");
  }

  @Test
  void rejectsNanQueryEntryNamingMatrixAndIndex() {
    R064Store q = R064Store.FACTORY.make(3, 4);
    q.set(1, 2, Double.NaN);
    assertRejects(
        IllegalArgumentException.class,
        () -> AttentionInputs.of(q, R064Store.FACTORY.make(5, 4), R064Store.FACTORY.make(5, 2)),
        "queries (3x4)",
        "entry (1, 2)",
        "NaN");
  }

  @Test
  void rejectsInfiniteKeyEntryNamingMatrixAndIndex() {
    R064Store k = R064Store.FACTORY.make(5, 4);
    k.set(4, 0, Double.NEGATIVE_INFINITY);
    assertRejects(
        IllegalArgumentException.class,
        () -> AttentionInputs.of(R064Store.FACTORY.make(3, 4), k, R064Store.FACTORY.make(5, 2)),
        "keys (5x4)",
        "entry (4, 0)",
        "-Infinity");
  }

  @Test
  void rejectsNanValueEntryInRowMajorInputs() {
    double[] v = new double[5 * 2];
    v[7] = Double.NaN; // row 3, column 1
    assertRejects(
        IllegalArgumentException.class,
        () -> AttentionInputs.ofRowMajor(3, 5, 4, 2, new double[12], new double[20], v, 1.0),
        "values (5x2)",
        "entry (3, 1)",
        "NaN");
  }

  @Test
  void rejectsRowMajorArrayOfWrongLength() {
    assertRejects(
        IllegalArgumentException.class,
        () -> AttentionInputs.ofRowMajor(3, 5, 4, 2, new double[11], new double[20], new double[10], 1.0),
        "queries",
        "11 entries",
        "3x4");
  }

  @Test
  void rejectsZeroQueryRowsInRowMajorInputs() {
    assertRejects(
        IllegalArgumentException.class,
        () -> AttentionInputs.ofRowMajor(0, 5, 4, 2, new double[0], new double[20], new double[10], 1.0),
        "n (query rows)",
        "got 0");
  }

  @Test
  void rejectsInfiniteScale() {
    assertRejects(
        IllegalArgumentException.class,
        () -> inputs().withScale(Double.POSITIVE_INFINITY),
        "scale (tau)",
        "got Infinity");
  }

  @Test
  void rejectsZeroScale() {
    assertRejects(IllegalArgumentException.class, () -> inputs().withScale(0.0), "scale (tau)", "got 0.0");
  }

  @Test
  void rejectsNegativeScale() {
    assertRejects(IllegalArgumentException.class, () -> inputs().withScale(-0.5), "scale (tau)", "got -0.5");
  }

  @Test
  void rejectsNanScale() {
    assertRejects(
        IllegalArgumentException.class,
        () ->
            AttentionInputs.of(
                R064Store.FACTORY.make(2, 2), R064Store.FACTORY.make(2, 2), R064Store.FACTORY.make(2, 2), Double.NaN),
        "scale (tau)",
        "got NaN");
  }

  @Test
  void rejectsZeroTemperatureMultiplier() {
    assertRejects(IllegalArgumentException.class, () -> inputs().withTemperature(0.0), "beta", "got 0.0");
  }

  @Test
  void rejectsNanTemperatureMultiplier() {
    assertRejects(IllegalArgumentException.class, () -> inputs().withTemperature(Double.NaN), "beta", "got NaN");
  }

  @Test
  void rejectsPermutationWithRepeatedEntry() {
    int[] perm = new int[M];
    for (int j = 0; j < M; j++) {
      perm[j] = j;
    }
    perm[5] = 2;
    assertRejects(
        IllegalArgumentException.class, () -> inputs().permuteKeys(perm), "perm", "permutation", "entry 5 is 2");
  }

  @Test
  void rejectsPermutationWithOutOfRangeEntry() {
    int[] perm = new int[M];
    for (int j = 0; j < M; j++) {
      perm[j] = j;
    }
    perm[0] = M;
    assertRejects(
        IllegalArgumentException.class, () -> inputs().permuteKeys(perm), "perm", "entry 0 is " + M);
  }

  @Test
  void rejectsPermutationOfWrongLength() {
    assertRejects(
        IllegalArgumentException.class,
        () -> inputs().permuteKeys(new int[] {0, 1, 2}),
        "perm has length 3",
        "m = " + M);
  }

  // --- supports and explicit draws --------------------------------------------------------------------------------

  @Test
  void rejectsExplicitSupportWithTooManyRows() {
    SparseAttention s = (SparseAttention) Estimators.create(new LocalConfig(1));
    ExplicitSupport wrong = ExplicitSupport.of(new int[N + 1][0], M);
    assertRejects(
        IllegalArgumentException.class,
        () -> s.estimate(inputs(), wrong),
        "support is " + (N + 1) + "x" + M,
        "n = " + N,
        "m = " + M);
  }

  @Test
  void rejectsExplicitSupportWithTooFewKeysInScatterbrain() {
    ScatterbrainAttention sb =
        (ScatterbrainAttention) Estimators.create(new ScatterbrainConfig(PerformerConfig.of(8), new LocalConfig(1)));
    PositiveRandomFeatures map =
        PositiveRandomFeatures.of(ProjectionMatrix.sample(4, D, ProjectionScaling.CHI, Draws.create(6)), true, 0.0);
    ExplicitSupport wrong = ExplicitSupport.of(new int[N][0], M - 1);
    assertRejects(
        IllegalArgumentException.class,
        () -> sb.estimate(inputs(), map, wrong),
        "support is " + N + "x" + (M - 1),
        "m = " + M);
  }

  @Test
  void rejectsExplicitSupportKeyOutOfRange() {
    assertRejects(
        IllegalArgumentException.class,
        () -> ExplicitSupport.of(new int[][] {{0, 1}, {2, M}}, M),
        "support row 1",
        "key " + M,
        "0.." + (M - 1));
  }

  @Test
  void rejectsScatterbrainWithSupportThatCountsRepeats() {
    AttentionInputs in = inputs();
    ClusteredSupport plain =
        SmyrfHash.sample(D, 2, Draws.create(7)).support(in.queriesRowMajor(), N, in.keysRowMajor(), M, 4, false, 0.0);
    ScatterbrainAttention sb =
        (ScatterbrainAttention) Estimators.create(new ScatterbrainConfig(PerformerConfig.of(8), new LocalConfig(1)));
    PositiveRandomFeatures map =
        PositiveRandomFeatures.of(ProjectionMatrix.sample(4, D, ProjectionScaling.CHI, Draws.create(8)), true, 0.0);
    assertRejects(
        IllegalArgumentException.class, () -> sb.estimate(in, map, plain), "scatterbrain", "counts each pair once");
  }

  @Test
  void rejectsProjectionWithNonFiniteEntry() {
    double[] w = new double[3 * 4];
    w[6] = Double.NaN; // row 1, column 2
    assertRejects(
        IllegalArgumentException.class,
        () -> ProjectionMatrix.ofRowMajor(w, 3, 4),
        "projection (3x4)",
        "entry (1, 2)",
        "NaN");
  }

  @Test
  void rejectsProjectionWithInfiniteEntryFromMatrix() {
    R064Store w = R064Store.FACTORY.make(2, 5);
    w.set(0, 4, Double.POSITIVE_INFINITY);
    assertRejects(
        IllegalArgumentException.class, () -> ProjectionMatrix.of(w), "projection (2x5)", "entry (0, 4)", "Infinity");
  }

  @Test
  void rejectsProjectionArrayOfWrongLength() {
    assertRejects(
        IllegalArgumentException.class, () -> ProjectionMatrix.ofRowMajor(new double[7], 2, 4), "7 entries", "2x4");
  }

  @Test
  void rejectsZeroProjectionRows() {
    assertRejects(
        IllegalArgumentException.class,
        () -> ProjectionMatrix.sample(0, D, ProjectionScaling.CHI, Draws.create(9)),
        "projection rows",
        "got 0");
  }

  @Test
  void rejectsProjectionDimOtherThanHeadDimInPerformer() {
    PerformerAttention p = (PerformerAttention) Estimators.create(PerformerConfig.of(8));
    PositiveRandomFeatures map =
        PositiveRandomFeatures.of(ProjectionMatrix.sample(4, D - 1, ProjectionScaling.CHI, Draws.create(10)), true, 0.0);
    assertRejects(
        IllegalArgumentException.class,
        () -> p.estimate(inputs(), map),
        "projection has " + (D - 1) + " columns",
        "head dim is " + D);
  }

  @Test
  void rejectsProjectionDimOtherThanHeadDimInScatterbrain() {
    ScatterbrainAttention sb =
        (ScatterbrainAttention) Estimators.create(new ScatterbrainConfig(PerformerConfig.of(8), new LocalConfig(1)));
    PositiveRandomFeatures map =
        PositiveRandomFeatures.of(ProjectionMatrix.sample(4, D + 1, ProjectionScaling.CHI, Draws.create(11)), true, 0.0);
    assertRejects(
        IllegalArgumentException.class,
        () -> sb.estimate(inputs(), map, BandSupport.of(N, M, 3)),
        "projection has " + (D + 1) + " columns",
        "head dim is " + D);
  }

  // --- dense attention limit --------------------------------------------------------------------------------------

  @Test
  void rejectsDenseAttentionAboveTheLimit() {
    // 2049 x 2049 = 4 198 401 > DENSE_LIMIT = 2^22 = 4 194 304; d = dv = 1 and a width-1 window keep it cheap
    int n = 2049;
    AttentionInputs in =
        AttentionInputs.ofRowMajor(n, n, 1, 1, new double[n], new double[n], new double[n], 1.0);
    assertTrue((long) n * n > Estimate.DENSE_LIMIT, "just above the limit");
    Estimate e = Estimators.create(new LocalConfig(1)).estimate(in, Draws.create(12));
    assertRejects(
        IllegalStateException.class,
        e::denseAttention,
        "2049 x 2049",
        String.valueOf((long) n * n),
        String.valueOf(Estimate.DENSE_LIMIT));
  }

  @Test
  void acceptsDenseAttentionAtTheLimit() {
    int n = 2048; // 2048^2 = DENSE_LIMIT exactly
    AttentionInputs in =
        AttentionInputs.ofRowMajor(n, n, 1, 1, new double[n], new double[n], new double[n], 1.0);
    assertEquals(Estimate.DENSE_LIMIT, (long) n * n);
    Estimate e = Estimators.create(new LocalConfig(1)).estimate(in, Draws.create(13));
    assertDoesNotThrow(e::denseAttention);
  }
}
