package org.scatterbrain.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.ojalgo.matrix.store.MatrixStore;
import org.ojalgo.matrix.store.R064Store;
import org.scatterbrain.core.features.PositiveRandomFeatures;
import org.scatterbrain.core.features.ProjectionMatrix;
import org.scatterbrain.core.features.ProjectionScaling;
import org.scatterbrain.core.inputs.InputGenerators;
import org.scatterbrain.core.inputs.InputGenerators.GaussianSpec;
import org.scatterbrain.core.sparse.AngularHash;
import org.scatterbrain.core.sparse.BandSupport;
import org.scatterbrain.core.sparse.ClusteredSupport;
import org.scatterbrain.core.sparse.ExplicitSupport;
import org.scatterbrain.core.sparse.SmyrfHash;
import org.scatterbrain.core.sparse.SparseSupport;

/**
 * Scatterbrain's defining properties (spec 4.1) with every random draw fixed: explicit feature maps and explicit
 * supports, checked against a feature map phi computed here from the projection (spec 2.2), independently of the main
 * code, and against a naive exact softmax.
 *
 * <p>Tolerances (style R8):
 *
 * <ul>
 *   <li>{@link #ENTRY} = 1e-10 relative, per entry of the unnormalised estimate: the main code stores stabilised
 *       features and a row log-normaliser, so an entry is rebuilt as {@code a_ij exp(ln Z_i)}; the round-off is a few
 *       ulps times {@code |ln Z_i| + |l_i| + F} (about 1e-14 here, with |logits| <= 5 and F <= 32), and the phi
 *       computed here differs from the stabilised one by the same order.
 *   <li>{@link #EXACT} = 1e-12 relative to {@code max_j |v_jc|} for outputs (a convex combination of a value column:
 *       see {@link ExactAttentionTest}); reductions (full support = exact, empty support = Performer, union = dedup
 *       rounds) only change summation orders and the route through logs, so their difference is ~m eps ~ 1e-14.
 *   <li>{@link #ROW} = 1e-12 absolute for sums of normalised rows (m <= 200 terms in [0, 1]: m eps ~ 4e-14).
 * </ul>
 */
class ScatterbrainPropertiesTest {
  private static final double ENTRY = 1e-10;
  private static final double EXACT = 1e-12;
  private static final double ROW = 1e-12;

  private static final int N = 40;
  private static final int M = 33;
  private static final int D = 6;
  private static final int DV = 3;

  /** Moderate problem: rows of norm d^(1/4), so tau |q|^2 = 1 and logits are in [-1, 1]. */
  private static AttentionInputs inputs(long seed) {
    return InputGenerators.gaussian(GaussianSpec.unitLogitNorm(N, M, D, DV), Draws.create(seed));
  }

  private static PositiveRandomFeatures features(int projectionRows, int d, long seed) {
    return PositiveRandomFeatures.of(
        ProjectionMatrix.sample(projectionRows, d, ProjectionScaling.CHI, Draws.create(seed)), true, 0.0);
  }

  private static ScatterbrainAttention scatterbrain(boolean parallel) {
    // the config only matters for estimate(in, rng); the explicit API uses the given map and support
    return (ScatterbrainAttention)
        Estimators.create(new ScatterbrainConfig(PerformerConfig.of(16), new LocalConfig(1)), parallel);
  }

  private static ScatterbrainAttention scatterbrain() {
    return scatterbrain(false);
  }

  private static SparseAttention sparse() {
    return (SparseAttention) Estimators.create(new LocalConfig(1));
  }

  private static PerformerAttention performer() {
    return (PerformerAttention) Estimators.create(PerformerConfig.of(16));
  }

  /** A named support over the N x M problem of {@link #inputs}, with its membership computed independently. */
  record NamedSupport(String name, SparseSupport support, boolean[][] member) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<NamedSupport> supports() {
    AttentionInputs in = inputs(1);
    List<NamedSupport> out = new ArrayList<>();
    for (int w : new int[] {1, 4, 7, M}) {
      boolean[][] member = new boolean[N][M];
      for (int i = 0; i < N; i++) {
        for (int j = 0; j < M; j++) {
          // spec 3(c): i - floor(W/2) <= j < i + ceil(W/2)
          member[i][j] = j >= i - w / 2 && j < i + (w + 1) / 2;
        }
      }
      out.add(new NamedSupport("band-W" + w, BandSupport.of(N, M, w), member));
    }
    for (int rounds : new int[] {1, 2, 3}) {
      SmyrfHash h = SmyrfHash.sample(D, rounds, Draws.create(20 + rounds));
      ClusteredSupport s =
          h.support(in.queriesRowMajor(), N, in.keysRowMajor(), M, 5, true, 0.0);
      out.add(new NamedSupport("smyrf-h" + rounds + "-c5", s, membership(s)));
    }
    for (int rounds : new int[] {1, 2}) {
      // Reformer-style chunks with look-back: each query chunk meets its key chunk and the previous one
      ClusteredSupport s =
          AngularHash.sample(D, 6, rounds, Draws.create(25 + rounds))
              .support(in.queriesRowMajor(), N, in.keysRowMajor(), M, 5, 0.0);
      out.add(new NamedSupport("reformer-h" + rounds + "-c5", s, membership(s)));
    }
    RandomGenerator rng = Draws.create(30);
    int[][] rows = new int[N][];
    boolean[][] member = new boolean[N][M];
    for (int i = 0; i < N; i++) {
      // every 7th row is empty (pure low-rank), the others hold each key with probability 0.3
      List<Integer> keys = new ArrayList<>();
      for (int j = 0; j < M; j++) {
        if (i % 7 != 0 && rng.nextDouble() < 0.3) {
          keys.add(j);
          member[i][j] = true;
        }
      }
      rows[i] = keys.stream().mapToInt(Integer::intValue).toArray();
    }
    out.add(new NamedSupport("explicit-random", ExplicitSupport.of(rows, M), member));
    return out;
  }

  static boolean[][] membership(SparseSupport s) {
    boolean[][] member = new boolean[s.queryCount()][s.keyCount()];
    int[] keys = new int[s.maxRowSupport()];
    int[] counts = new int[s.maxRowSupport()];
    for (int i = 0; i < s.queryCount(); i++) {
      int len = s.rowSupport(i, keys, counts);
      for (int x = 0; x < len; x++) {
        member[i][keys[x]] = true;
      }
    }
    return member;
  }

  // --- the definition ---------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @MethodSource("supports")
  void unnormalisedEstimateIsExpLogitOnSupportAndFeatureProductOffIt(NamedSupport ns) {
    AttentionInputs in = inputs(1);
    PositiveRandomFeatures map = features(16, D, 2); // F = 32
    Estimate e = scatterbrain().estimate(in, map, ns.support());
    double[] unnormalised = unnormalised(e);
    double[] phiQ = phi(map, in.queriesRowMajor(), N, in.scale());
    double[] phiK = phi(map, in.keysRowMajor(), M, in.scale());
    double[] logits = ExactLogitsTestUtil.logits(in);
    int f = map.featureCount();
    int on = 0;
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < M; j++) {
        double expected;
        if (ns.member()[i][j]) {
          expected = Math.exp(logits[i * M + j]);
          on++;
        } else {
          expected = 0;
          for (int t = 0; t < f; t++) {
            expected += phiQ[i * f + t] * phiK[j * f + t];
          }
        }
        assertEquals(expected, unnormalised[i * M + j], ENTRY * expected, ns + " entry (" + i + ", " + j + ")");
      }
    }
    assertTrue(on > 0, ns + ": the support is not empty");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("featureMaps")
  void unnormalisedEstimateMatchesSpecFeatureMapForEveryMapVariant(String name) {
    // projections with several orthogonal blocks (r > d, r not a multiple of d), and non-antithetic features
    AttentionInputs in = inputs(1);
    PositiveRandomFeatures map = featureMap(name);
    NamedSupport ns = supports().get(supports().size() - 1); // explicit random, with empty rows
    Estimate e = scatterbrain().estimate(in, map, ns.support());
    double[] unnormalised = unnormalised(e);
    double[] phiQ = phi(map, in.queriesRowMajor(), N, in.scale());
    double[] phiK = phi(map, in.keysRowMajor(), M, in.scale());
    double[] logits = ExactLogitsTestUtil.logits(in);
    int f = map.featureCount();
    double[] perf = unnormalised(performer().estimate(in, map));
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < M; j++) {
        double lowRank = 0;
        for (int t = 0; t < f; t++) {
          lowRank += phiQ[i * f + t] * phiK[j * f + t];
        }
        double expected = ns.member()[i][j] ? Math.exp(logits[i * M + j]) : lowRank;
        assertEquals(expected, unnormalised[i * M + j], ENTRY * expected, name + " entry (" + i + ", " + j + ")");
        assertEquals(lowRank, perf[i * M + j], ENTRY * lowRank, name + " performer entry (" + i + ", " + j + ")");
      }
    }
  }

  static List<String> featureMaps() {
    return List.of("antithetic-r4", "antithetic-r15", "plain-r9", "plain-r1", "sqrt-d-antithetic-r8");
  }

  private static PositiveRandomFeatures featureMap(String name) {
    boolean antithetic = !name.startsWith("plain");
    int r = Integer.parseInt(name.substring(name.lastIndexOf('r') + 1));
    ProjectionScaling scaling = name.startsWith("sqrt-d") ? ProjectionScaling.SQRT_D : ProjectionScaling.CHI;
    return PositiveRandomFeatures.of(ProjectionMatrix.sample(r, D, scaling, Draws.create(r)), antithetic, 0.0);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("supports")
  void normalisedRowsAreNonNegativeAndSumToOne(NamedSupport ns) {
    AttentionInputs in = inputs(1);
    Estimate e = scatterbrain().estimate(in, features(16, D, 2), ns.support());
    double[] a = RowMajorTestUtil.dense(e);
    for (int i = 0; i < N; i++) {
      double sum = 0;
      for (int j = 0; j < M; j++) {
        // exp(.) on the support and a product of positive features off it: never negative, not even by round-off
        assertTrue(a[i * M + j] >= 0, ns + " A[" + i + "," + j + "] = " + a[i * M + j]);
        sum += a[i * M + j];
      }
      assertEquals(1.0, sum, ROW, ns + " row sum " + i);
    }
    assertEquals(0, e.emptyRows(), ns + " empty rows");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("supports")
  void outputEqualsNormalisedAttentionTimesValues(NamedSupport ns) {
    AttentionInputs in = inputs(1);
    Estimate e = scatterbrain().estimate(in, features(16, D, 2), ns.support());
    double[] a = RowMajorTestUtil.dense(e);
    assertOutputClose(times(a, in), e.outputRowMajor(), in, EXACT, ns + " A_hat V");
    Estimate s = sparse().estimate(in, ns.support());
    assertOutputClose(times(RowMajorTestUtil.dense(s), in), s.outputRowMajor(), in, EXACT, ns + " sparse A_hat V");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("supports")
  void sparseEstimateIsExactSoftmaxRestrictedToSupport(NamedSupport ns) {
    // spec 5 (SMYRF/local baselines): A equals full attention restricted to the support and renormalised
    AttentionInputs in = inputs(1);
    Estimate s = sparse().estimate(in, ns.support());
    double[] logits = ExactLogitsTestUtil.logits(in);
    double[] a = RowMajorTestUtil.dense(s);
    for (int i = 0; i < N; i++) {
      double z = 0;
      for (int j = 0; j < M; j++) {
        z += ns.member()[i][j] ? Math.exp(logits[i * M + j]) : 0;
      }
      for (int j = 0; j < M; j++) {
        double expected = ns.member()[i][j] ? Math.exp(logits[i * M + j]) / z : 0;
        assertEquals(expected, a[i * M + j], EXACT, ns + " A[" + i + "," + j + "]");
      }
      assertEquals(z == 0 ? Double.NEGATIVE_INFINITY : Math.log(z), s.attention().logNormalizer(i), EXACT);
    }
  }

  // --- reductions -------------------------------------------------------------------------------------------------

  @Test
  void fullExplicitSupportGivesExactAttention() {
    AttentionInputs in = inputs(3);
    int[][] all = new int[N][M];
    for (int[] row : all) {
      Arrays.setAll(row, j -> j);
    }
    ExplicitSupport full = ExplicitSupport.of(all, M);
    ExactReference ref = ExactAttention.reference(in, false);
    Estimate sb = scatterbrain().estimate(in, features(16, D, 4), full);
    assertOutputClose(ref.outputRowMajor(), sb.outputRowMajor(), in, EXACT, "scatterbrain, full support");
    assertOutputClose(
        ref.outputRowMajor(), sparse().estimate(in, full).outputRowMajor(), in, EXACT, "sparse, full support");
    for (int i = 0; i < N; i++) {
      assertEquals(ref.logNormalizer(i), sb.attention().logNormalizer(i), EXACT, "ln Z row " + i);
    }
  }

  @Test
  void smyrfWithOneClusterGivesExactAttention() {
    AttentionInputs in = inputs(5);
    ExactReference ref = ExactAttention.reference(in, false);
    for (int rounds : new int[] {1, 3}) {
      SmyrfHash h = SmyrfHash.sample(D, rounds, Draws.create(6));
      ClusteredSupport one = h.support(in.queriesRowMajor(), N, in.keysRowMajor(), M, 1, true, 0.0);
      assertOutputClose(
          ref.outputRowMajor(),
          scatterbrain().estimate(in, features(16, D, 7), one).outputRowMajor(),
          in,
          EXACT,
          "scatterbrain, one cluster, rounds " + rounds);
      assertOutputClose(
          ref.outputRowMajor(), sparse().estimate(in, one).outputRowMajor(), in, EXACT, "smyrf, one cluster");
      // plain SMYRF counts every pair `rounds` times: a uniform multiplicity, so still exact
      ClusteredSupport plain = h.support(in.queriesRowMajor(), N, in.keysRowMajor(), M, 1, false, 0.0);
      assertOutputClose(
          ref.outputRowMajor(), sparse().estimate(in, plain).outputRowMajor(), in, EXACT, "plain smyrf, one cluster");
    }
    // the same through the estimators: clusterSize = n gives one cluster
    Estimate sb =
        Estimators.create(new ScatterbrainConfig(PerformerConfig.of(8), new SmyrfConfig(N, 2, true)))
            .estimate(in, Draws.create(8));
    assertOutputClose(ref.outputRowMajor(), sb.outputRowMajor(), in, EXACT, "scatterbrain config, clusterSize n");
  }

  @Test
  void emptySupportGivesPerformerWithTheSameFeatures() {
    AttentionInputs in = inputs(9);
    PositiveRandomFeatures map = features(16, D, 10);
    ExplicitSupport empty = ExplicitSupport.of(new int[N][0], M);
    Estimate sb = scatterbrain().estimate(in, map, empty);
    Estimate perf = performer().estimate(in, map);
    assertOutputClose(perf.outputRowMajor(), sb.outputRowMajor(), in, EXACT, "empty support vs performer");
    double[] a = RowMajorTestUtil.dense(sb);
    double[] b = RowMajorTestUtil.dense(perf);
    for (int x = 0; x < a.length; x++) {
      // both are qbar.kbar / (qbar.g) up to the route through logs: a few ulps
      assertEquals(b[x], a[x], EXACT * b[x], "A entry " + x);
    }
    for (int i = 0; i < N; i++) {
      assertEquals(perf.attention().logNormalizer(i), sb.attention().logNormalizer(i), EXACT, "ln Z row " + i);
    }
  }

  @Test
  void emptySupportWithTheEstimatorsDrawsGivesPerformerOfTheSameSeed() {
    AttentionInputs in = inputs(11);
    PerformerConfig pc = PerformerConfig.of(24);
    long seed = 12;
    Estimate perf = Estimators.create(pc).estimate(in, Draws.create(seed));
    // what every estimator does with the caller's generator: the first long seeds the features
    PositiveRandomFeatures map = Draws.split(Draws.create(seed)).sampleFeatures(pc, D);
    ScatterbrainAttention sb =
        (ScatterbrainAttention) Estimators.create(new ScatterbrainConfig(pc, SmyrfConfig.of(8, 2)));
    Estimate viaEmpty = sb.estimate(in, map, ExplicitSupport.of(new int[N][0], M));
    assertOutputClose(perf.outputRowMajor(), viaEmpty.outputRowMajor(), in, EXACT, "empty support, same seed");
  }

  @Test
  void scatterbrainEstimatorUsesPerformersFeaturesForTheSameSeed() {
    AttentionInputs in = inputs(13);
    PerformerConfig pc = PerformerConfig.of(24);
    long seed = 14;
    ScatterbrainAttention sb =
        (ScatterbrainAttention) Estimators.create(new ScatterbrainConfig(pc, new SmyrfConfig(8, 2, true)));
    Estimate viaRng = sb.estimate(in, Draws.create(seed));
    SparseSupport support = viaRng.attention().support();
    assertNotNull(support, "a scatterbrain estimate exposes its support");
    PositiveRandomFeatures map = Draws.split(Draws.create(seed)).sampleFeatures(pc, D);
    assertArrayEquals(
        sb.estimate(in, map, support).outputRowMajor(),
        viaRng.outputRowMajor(),
        "estimate(in, rng) = estimate(in, features of the first long, its support)");
    // off the support its unnormalised entries are Performer's (same seed) ones
    Estimate perf = Estimators.create(pc).estimate(in, Draws.create(seed));
    double[] mine = unnormalised(viaRng);
    double[] theirs = unnormalised(perf);
    boolean[][] member = membership(support);
    int off = 0;
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < M; j++) {
        if (!member[i][j]) {
          off++;
          assertEquals(theirs[i * M + j], mine[i * M + j], ENTRY * theirs[i * M + j], "(" + i + "," + j + ")");
        }
      }
    }
    assertTrue(off > 0, "some pairs are off the support");
  }

  // --- the supports themselves, re-derived from the spec ----------------------------------------------------------

  /** Balanced groups of spec 3(a) step 5: sort ascending (ties by index); rank p goes to group c with floor(c len / C) <= p. */
  private static int[] balancedGroups(double[] hash, int groups) {
    int len = hash.length;
    Integer[] order = new Integer[len];
    for (int i = 0; i < len; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> hash[a] != hash[b] ? Double.compare(hash[a], hash[b]) : Integer.compare(a, b));
    int[] g = new int[len];
    for (int p = 0; p < len; p++) {
      int c = 0;
      while ((long) (c + 1) * len / groups <= p) {
        c++;
      }
      g[order[p]] = c;
    }
    return g;
  }

  @Test
  void smyrfSupportIsTheXboxClusteringOfTheSpec() {
    // spec 3(a): M^2 = max|q|^2 + max|k|^2; q~ = [q, 0, sqrt(M^2 - |q|^2)], k~ = [k, sqrt(M^2 - |k|^2), 0]; one
    // Gaussian direction per round; query cluster c meets key cluster c; union over rounds
    AttentionInputs in = InputGenerators.gaussian(GaussianSpec.raw(N, M, D, DV), Draws.create(34));
    double[] q = in.queriesRowMajor();
    double[] k = in.keysRowMajor();
    int rounds = 3;
    int groups = 5;
    SmyrfHash h = SmyrfHash.sample(D, rounds, Draws.create(35));
    MatrixStore<Double> a = h.toMatrix();
    double maxQ = 0;
    double maxK = 0;
    for (int i = 0; i < N; i++) {
      maxQ = Math.max(maxQ, squaredNorm(q, i));
    }
    for (int j = 0; j < M; j++) {
      maxK = Math.max(maxK, squaredNorm(k, j));
    }
    double m2 = maxQ + maxK;
    boolean[][] expected = new boolean[N][M];
    for (int t = 0; t < rounds; t++) {
      double[] hq = new double[N];
      double[] hk = new double[M];
      for (int i = 0; i < N; i++) {
        hq[i] = project(a, t, q, i) + a.doubleValue(D + 1, t) * Math.sqrt(m2 - squaredNorm(q, i));
      }
      for (int j = 0; j < M; j++) {
        hk[j] = project(a, t, k, j) + a.doubleValue(D, t) * Math.sqrt(m2 - squaredNorm(k, j));
      }
      int[] gq = balancedGroups(hq, groups);
      int[] gk = balancedGroups(hk, groups);
      for (int i = 0; i < N; i++) {
        for (int j = 0; j < M; j++) {
          expected[i][j] |= gq[i] == gk[j];
        }
      }
    }
    boolean[][] actual = membership(h.support(q, N, k, M, groups, true, 0.0));
    for (int i = 0; i < N; i++) {
      assertArrayEquals(expected[i], actual[i], "smyrf support row " + i);
    }
  }

  @Test
  void reformerSupportIsTheAngularChunkingOfTheSpec() {
    // spec 3(b), asymmetric: bucket = argmax [x R, -x R]; stable sort by bucket; balanced chunks; query chunk c meets
    // key chunks c and c - 1 (cyclic); union over rounds
    AttentionInputs in = InputGenerators.gaussian(GaussianSpec.raw(N, M, D, DV), Draws.create(36));
    double[] q = in.queriesRowMajor();
    double[] k = in.keysRowMajor();
    int buckets = 6;
    int chunks = 5;
    RandomGenerator rng = Draws.create(37);
    double[][] rotations = new double[2][D * buckets / 2];
    for (double[] r : rotations) {
      for (int x = 0; x < r.length; x++) {
        r[x] = rng.nextGaussian();
      }
    }
    boolean[][] expected = new boolean[N][M];
    for (double[] r : rotations) {
      int[] gq = balancedGroups(angularBuckets(q, N, r, buckets), chunks);
      int[] gk = balancedGroups(angularBuckets(k, M, r, buckets), chunks);
      for (int i = 0; i < N; i++) {
        for (int j = 0; j < M; j++) {
          expected[i][j] |= gk[j] == gq[i] || gk[j] == (gq[i] + chunks - 1) % chunks;
        }
      }
    }
    boolean[][] actual = membership(AngularHash.of(D, buckets, rotations).support(q, N, k, M, chunks, 0.0));
    for (int i = 0; i < N; i++) {
      assertArrayEquals(expected[i], actual[i], "reformer support row " + i);
    }
  }

  private static double[] angularBuckets(double[] x, int rows, double[] r, int buckets) {
    int half = buckets / 2;
    double[] out = new double[rows];
    for (int i = 0; i < rows; i++) {
      double best = Double.NEGATIVE_INFINITY;
      for (int b = 0; b < buckets; b++) {
        double s = 0;
        for (int c = 0; c < D; c++) {
          s += x[i * D + c] * r[c * half + b % half];
        }
        s = b < half ? s : -s;
        if (s > best) {
          best = s;
          out[i] = b;
        }
      }
    }
    return out;
  }

  private static double squaredNorm(double[] x, int row) {
    double s = 0;
    for (int c = 0; c < D; c++) {
      s += x[row * D + c] * x[row * D + c];
    }
    return s;
  }

  private static double project(MatrixStore<Double> a, int t, double[] x, int row) {
    double s = 0;
    for (int c = 0; c < D; c++) {
      s += a.doubleValue(c, t) * x[row * D + c];
    }
    return s;
  }

  // --- Nystrom reductions -----------------------------------------------------------------------------------------

  @Test
  void nystromRowsSumToOneAndOutputIsAttentionTimesValues() {
    // with the exact (SVD) pseudo-inverse: pinvIterations = 0
    AttentionInputs in = inputs(38);
    for (int landmarks : new int[] {1, 5, 12}) {
      Estimate e = Estimators.create(new NystromConfig(landmarks, 0)).estimate(in, Draws.create(39));
      double[] a = RowMajorTestUtil.dense(e);
      for (int i = 0; i < N; i++) {
        double sum = 0;
        for (int j = 0; j < M; j++) {
          sum += a[i * M + j];
        }
        // rows of softmax(Q Kt) pinv(B) softmax(Qt K) sum to 1 up to cond(B) eps; B is well conditioned for L <= 12
        // here (errors ~1e-14), so 1e-10 leaves room for a condition number of 1e4
        assertEquals(1.0, sum, 1e-10, "L = " + landmarks + " row " + i);
      }
      assertOutputClose(times(a, in), e.outputRowMajor(), in, 1e-10, "L = " + landmarks + " A_hat V");
    }
  }

  @Test
  void nystromWithEveryKeyAsLandmarkIsExact() {
    // L = m <= n: key landmarks are the keys themselves, so A_hat = softmax(Q K) pinv(B) B with B = softmax(Qt K)
    // square and invertible: exact up to cond(B) eps (measured ~1e-13; tolerance as above)
    AttentionInputs in = inputs(40);
    Estimate e = Estimators.create(new NystromConfig(M, 0)).estimate(in, Draws.create(41));
    assertOutputClose(
        ExactAttention.reference(in, false).outputRowMajor(), e.outputRowMajor(), in, 1e-10, "Nystrom, L = m");
  }

  @Test
  void nystromIterativePseudoInverseConvergesToTheExactOne() {
    // the Newton-Schulz-type iteration converges (cubically, once close) to the pseudo-inverse of a full-rank kernel:
    // with L = 5 landmarks the kernel is well conditioned here, so 30 iterations reach the SVD result to round-off
    AttentionInputs in = inputs(42);
    double[] svd = Estimators.create(new NystromConfig(5, 0)).estimate(in, Draws.create(43)).outputRowMajor();
    double[] it30 = Estimators.create(new NystromConfig(5, 30)).estimate(in, Draws.create(43)).outputRowMajor();
    assertOutputClose(svd, it30, in, 1e-9, "30 iterations vs SVD");
  }

  @Test
  void nystromIterativePseudoInverseFollowsThePapersRecurrence() {
    // A = [[2, 1], [1, 3]]: Z0 = A^T / (||A||_1 ||A||_inf) = A / 16; one step Z1 = Z0 (13 I - A Z0 (15 I - A Z0 (7 I -
    // A Z0))) / 4, computed by hand (exact in binary fractions up to the last multiplications)
    double[] a = {2, 1, 1, 3};
    double[] z0 = {2.0 / 16, 1.0 / 16, 1.0 / 16, 3.0 / 16};
    double[] az = mul(a, z0);
    double[] t = sub(7, az);
    double[] u = sub(15, mul(az, t));
    double[] w = sub(13, mul(az, u));
    double[] z1 = mul(z0, w);
    for (int x = 0; x < 4; x++) {
      z1[x] /= 4;
    }
    assertArrayEquals(z1, NystromAttention.iterativePseudoInverse(a, 2, 1), 1e-15);
    // and many steps give the inverse [[3, -1], [-1, 2]] / 5
    assertArrayEquals(new double[] {0.6, -0.2, -0.2, 0.4}, NystromAttention.iterativePseudoInverse(a, 2, 25), 1e-12);
  }

  private static double[] mul(double[] x, double[] y) {
    return new double[] {
      x[0] * y[0] + x[1] * y[2], x[0] * y[1] + x[1] * y[3], x[2] * y[0] + x[3] * y[2], x[2] * y[1] + x[3] * y[3]
    };
  }

  private static double[] sub(double c, double[] x) {
    return new double[] {c - x[0], -x[1], -x[2], c - x[3]};
  }

  // --- deduplication across hash rounds ---------------------------------------------------------------------------

  @Test
  void pairsFoundInSeveralRoundsCountOnce() {
    AttentionInputs in = inputs(15);
    SmyrfHash h3 = SmyrfHash.sample(D, 3, Draws.create(16));
    int groups = 4;
    ClusteredSupport rounds3 = h3.support(in.queriesRowMajor(), N, in.keysRowMajor(), M, groups, true, 0.0);
    SparseSupport[] singles = new SparseSupport[3];
    MatrixStore<Double> dirs = h3.toMatrix();
    for (int t = 0; t < 3; t++) {
      R064Store col = R064Store.FACTORY.make(D + 2, 1);
      for (int r = 0; r < D + 2; r++) {
        col.set(r, 0, dirs.doubleValue(r, t));
      }
      singles[t] = SmyrfHash.of(col).support(in.queriesRowMajor(), N, in.keysRowMajor(), M, groups, true, 0.0);
    }
    ExplicitSupport union = ExplicitSupport.union(singles);
    // the same set of pairs ...
    boolean[][] a = membership(rounds3);
    boolean[][] b = membership(union);
    for (int i = 0; i < N; i++) {
      assertArrayEquals(b[i], a[i], "support row " + i);
    }
    // ... and rounds really overlap, so deduplication matters here
    assertTrue(overlaps(singles), "some pair is found in two rounds");
    // ... give the same estimate
    PositiveRandomFeatures map = features(16, D, 17);
    assertOutputClose(
        scatterbrain().estimate(in, map, union).outputRowMajor(),
        scatterbrain().estimate(in, map, rounds3).outputRowMajor(),
        in,
        EXACT,
        "scatterbrain: 3-round dedup support vs union of single rounds");
    assertOutputClose(
        sparse().estimate(in, union).outputRowMajor(),
        sparse().estimate(in, rounds3).outputRowMajor(),
        in,
        EXACT,
        "smyrf: 3-round dedup support vs union of single rounds");
    double[] da = RowMajorTestUtil.dense(scatterbrain().estimate(in, map, union));
    double[] db = RowMajorTestUtil.dense(scatterbrain().estimate(in, map, rounds3));
    for (int x = 0; x < da.length; x++) {
      assertEquals(da[x], db[x], EXACT * da[x], "A entry " + x);
    }
  }

  @Test
  void plainSmyrfCountsRepeatsAndDiffersFromDeduplicated() {
    AttentionInputs in = inputs(18);
    SmyrfHash h3 = SmyrfHash.sample(D, 3, Draws.create(19));
    ClusteredSupport plain = h3.support(in.queriesRowMajor(), N, in.keysRowMajor(), M, 3, false, 0.0);
    ClusteredSupport dedup = h3.support(in.queriesRowMajor(), N, in.keysRowMajor(), M, 3, true, 0.0);
    // multiplicities: how many rounds put query i and key j in the same cluster
    int[][] count = new int[N][M];
    int[] keys = new int[plain.maxRowSupport()];
    int[] counts = new int[plain.maxRowSupport()];
    boolean repeats = false;
    for (int i = 0; i < N; i++) {
      int len = plain.rowSupport(i, keys, counts);
      for (int x = 0; x < len; x++) {
        count[i][keys[x]] = counts[x];
        repeats |= counts[x] > 1;
      }
    }
    assertTrue(repeats, "with 3 clusters and 3 rounds some pair is found twice");
    Estimate p = sparse().estimate(in, plain);
    Estimate d = sparse().estimate(in, dedup);
    // plain SMYRF is the softmax over the multiset union (spec 3(a) step 7): weights c_ij exp(s_ij)
    double[] logits = ExactLogitsTestUtil.logits(in);
    double[] v = in.valuesRowMajor();
    double[] expected = new double[N * DV];
    for (int i = 0; i < N; i++) {
      double z = 0;
      for (int j = 0; j < M; j++) {
        double w = count[i][j] * Math.exp(logits[i * M + j]);
        z += w;
        for (int c = 0; c < DV; c++) {
          expected[i * DV + c] += w * v[j * DV + c];
        }
      }
      for (int c = 0; c < DV; c++) {
        expected[i * DV + c] /= z;
      }
    }
    assertOutputClose(expected, p.outputRowMajor(), in, EXACT, "plain smyrf = multiset softmax");
    double maxDiff = 0;
    for (int x = 0; x < N * DV; x++) {
      maxDiff = Math.max(maxDiff, Math.abs(p.outputRowMajor()[x] - d.outputRowMajor()[x]));
    }
    // not a round-off difference: the multiplicities change the weights by factors of 2 or 3
    assertTrue(maxDiff > 1e-3, "plain and deduplicated SMYRF differ, max |diff| = " + maxDiff);
    // and through the estimators: SmyrfConfig.of is plain, deduplicate=true is not; same seed, same hash
    Estimate viaPlain = Estimators.create(SmyrfConfig.of(14, 3)).estimate(in, Draws.create(20));
    Estimate viaDedup = Estimators.create(new SmyrfConfig(14, 3, true)).estimate(in, Draws.create(20));
    assertTrue(!viaPlain.attention().support().deduplicated(), "SmyrfConfig.of counts repeats");
    assertTrue(viaDedup.attention().support().deduplicated(), "deduplicate = true counts once");
    assertTrue(!Arrays.equals(viaPlain.outputRowMajor(), viaDedup.outputRowMajor()), "estimators differ too");
  }

  // --- determinism and extreme temperatures: EstimatorContractTest, for every estimator of EstimatorCatalog ---

  // --- invariance under permuting keys and values together --------------------------------------------------------

  @Test
  void permutingKeysLeavesExactPerformerAndScatterbrainUnchanged() {
    AttentionInputs in = inputs(28);
    int[] perm = ExactAttentionTest.shuffled(M, Draws.create(29));
    int[] inverse = new int[M];
    for (int j = 0; j < M; j++) {
      inverse[perm[j]] = j;
    }
    AttentionInputs p = in.permuteKeys(perm);
    assertOutputClose(
        ExactAttention.reference(in, false).outputRowMajor(),
        ExactAttention.reference(p, false).outputRowMajor(),
        in,
        EXACT,
        "exact");
    PositiveRandomFeatures map = features(16, D, 30);
    assertOutputClose(
        performer().estimate(in, map).outputRowMajor(),
        performer().estimate(p, map).outputRowMajor(),
        in,
        EXACT,
        "performer, same features");
    // an explicit support moves with its keys: old key k becomes new key inverse[k]
    NamedSupport random = supports().get(supports().size() - 1);
    int[][] rows = new int[N][];
    int[][] permutedRows = new int[N][];
    for (int i = 0; i < N; i++) {
      List<Integer> keys = new ArrayList<>();
      for (int j = 0; j < M; j++) {
        if (random.member()[i][j]) {
          keys.add(j);
        }
      }
      rows[i] = keys.stream().mapToInt(Integer::intValue).toArray();
      permutedRows[i] = keys.stream().mapToInt(j -> inverse[j]).toArray();
    }
    assertOutputClose(
        scatterbrain().estimate(in, map, ExplicitSupport.of(rows, M)).outputRowMajor(),
        scatterbrain().estimate(p, map, ExplicitSupport.of(permutedRows, M)).outputRowMajor(),
        in,
        EXACT,
        "scatterbrain, permuted explicit support");
    // SMYRF's hash of a key does not depend on its position, so the same directions give the permuted support
    SmyrfHash h = SmyrfHash.sample(D, 2, Draws.create(31));
    ClusteredSupport s = h.support(in.queriesRowMajor(), N, in.keysRowMajor(), M, 5, true, 0.0);
    ClusteredSupport sp = h.support(p.queriesRowMajor(), N, p.keysRowMajor(), M, 5, true, 0.0);
    boolean[][] ms = membership(s);
    boolean[][] msp = membership(sp);
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < M; j++) {
        assertEquals(ms[i][perm[j]], msp[i][j], "smyrf support (" + i + "," + j + ")");
      }
    }
    assertOutputClose(
        scatterbrain().estimate(in, map, s).outputRowMajor(),
        scatterbrain().estimate(p, map, sp).outputRowMajor(),
        in,
        EXACT,
        "scatterbrain-smyrf, same hash directions");
    // (Nystrom is not invariant: its landmarks are means of contiguous key segments, so nothing is asserted.)
  }

  /**
   * The brief's extreme exact-attention scale (norm-100 rows, tau = 100/sqrt(d)) for the feature estimators: |x'|^2 =
   * 3.5e5, so stabilised query features and the shared-scale key features span hundreds of orders of magnitude and a
   * row's low-rank denominator {@code qbar_i . g} can land in the subnormal range (row 9 here: 6.5e-312). Whatever the
   * accuracy of FAVOR+ there, the output must stay a finite convex combination of the values.
   */
  private static AttentionInputs subnormalDenominatorInputs() {
    return InputGenerators.gaussian(GaussianSpec.fixedNorm(64, 60, 8, 3, 100), 100 / Math.sqrt(8), Draws.create(32));
  }

  private static PositiveRandomFeatures subnormalDenominatorFeatures() {
    return Draws.split(Draws.create(33)).sampleFeatures(PerformerConfig.of(32), 8);
  }

  private static void assertFiniteConvex(Estimate e, AttentionInputs in, String what) {
    double[] out = e.outputRowMajor();
    int dv = in.valueDim();
    double[] v = in.valuesRowMajor();
    for (int x = 0; x < out.length; x++) {
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < in.keyCount(); j++) {
        lo = Math.min(lo, v[j * dv + x % dv]);
        hi = Math.max(hi, v[j * dv + x % dv]);
      }
      // finite, and within the value column's range up to round-off (1e-12 of the range's scale)
      double slack = 1e-12 * Math.max(Math.abs(lo), Math.abs(hi));
      assertTrue(
          Double.isFinite(out[x]) && out[x] >= lo - slack && out[x] <= hi + slack,
          what + ": output row " + x / dv + " column " + x % dv + " = " + out[x] + " outside [" + lo + ", " + hi + "]");
    }
    double[] a = RowMajorTestUtil.dense(e);
    for (int x = 0; x < a.length; x++) {
      assertTrue(Double.isFinite(a[x]), what + ": attention entry " + x + " = " + a[x]);
    }
  }

  @Test
  void performerOutputStaysFiniteWhenTheDenominatorIsSubnormal() {
    AttentionInputs in = subnormalDenominatorInputs();
    assertFiniteConvex(performer().estimate(in, subnormalDenominatorFeatures()), in, "performer");
    // and through the estimator, with its own draws (same features: the first long of seed 33)
    assertFiniteConvex(Estimators.create(PerformerConfig.of(32)).estimate(in, Draws.create(33)), in, "estimator");
  }

  @Test
  void scatterbrainRowsWithoutSupportStayFiniteWhenTheirLowRankMassIsSubnormal() {
    AttentionInputs in = subnormalDenominatorInputs();
    // every 4th row has no support pair, so it is pure low-rank (as for the rows past the last key of a band, n > m)
    int[][] rows = new int[64][];
    for (int i = 0; i < 64; i++) {
      rows[i] = i % 4 == 1 ? new int[0] : new int[] {i % 60, (i + 7) % 60};
    }
    assertFiniteConvex(
        scatterbrain().estimate(in, subnormalDenominatorFeatures(), ExplicitSupport.of(rows, 60)),
        in,
        "scatterbrain, rows 1, 5, 9, ... without support");
  }

  // --- helpers ----------------------------------------------------------------------------------------------------

  /**
   * phi(x) = exp([W x', -W x'] - |x'|^2 / 2) / sqrt(F) (antithetic) or exp(W x' - |x'|^2 / 2) / sqrt(F), with x' =
   * sqrt(tau) x, straight from spec 2.2 and 2.3.
   */
  static double[] phi(PositiveRandomFeatures map, double[] x, int rows, double tau) {
    MatrixStore<Double> w = map.projection().toMatrix();
    int r = (int) w.countRows();
    int d = (int) w.countColumns();
    boolean antithetic = map.antithetic();
    int f = antithetic ? 2 * r : r;
    assertEquals(f, map.featureCount(), "feature count");
    double[] out = new double[rows * f];
    double sqrtTau = Math.sqrt(tau);
    for (int i = 0; i < rows; i++) {
      double sq = 0;
      for (int t = 0; t < d; t++) {
        double xt = sqrtTau * x[i * d + t];
        sq += xt * xt;
      }
      for (int k = 0; k < r; k++) {
        double u = 0;
        for (int t = 0; t < d; t++) {
          u += w.doubleValue(k, t) * sqrtTau * x[i * d + t];
        }
        out[i * f + k] = Math.exp(u - sq / 2) / Math.sqrt(f);
        if (antithetic) {
          out[i * f + r + k] = Math.exp(-u - sq / 2) / Math.sqrt(f);
        }
      }
    }
    return out;
  }

  /** The unnormalised estimate: normalised row times exp(ln Z_hat_i). */
  static double[] unnormalised(Estimate e) {
    double[] a = RowMajorTestUtil.dense(e);
    int n = e.attention().queryCount();
    int m = e.attention().keyCount();
    for (int i = 0; i < n; i++) {
      double z = Math.exp(e.attention().logNormalizer(i));
      for (int j = 0; j < m; j++) {
        a[i * m + j] *= z;
      }
    }
    return a;
  }

  private static boolean overlaps(SparseSupport[] singles) {
    boolean[][] a = membership(singles[0]);
    for (int t = 1; t < singles.length; t++) {
      boolean[][] b = membership(singles[t]);
      for (int i = 0; i < a.length; i++) {
        for (int j = 0; j < a[i].length; j++) {
          if (a[i][j] && b[i][j]) {
            return true;
          }
        }
      }
    }
    return false;
  }

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

  static void assertOutputClose(double[] expected, double[] actual, AttentionInputs in, double tol, String what) {
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
      assertEquals(expected[x], actual[x], tol * scale[x % dv], what + " entry " + x);
    }
  }
}
