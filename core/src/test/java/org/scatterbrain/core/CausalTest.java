package org.scatterbrain.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
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

  /** Catalog entries whose method has a causal form. */
  static List<EstimatorCatalog.Entry> causalEntries() {
    return EstimatorCatalog.all().stream().filter(e -> e.small().causalUnsupported() == null).toList();
  }

  /** Catalog entries without a causal form (Nystrom; hybrid with the pooled or OPRF remainder, LSH or adaptive). */
  static List<EstimatorCatalog.Entry> nonCausalEntries() {
    return EstimatorCatalog.all().stream().filter(e -> e.small().causalUnsupported() != null).toList();
  }

  /**
   * Whether the method picks its support from every key's hash: SMYRF's and Reformer's balanced clusters are cut by
   * rank among all keys (and SMYRF's XBOX+ transform uses the largest key norm), so which earlier keys share a query's
   * bucket depends on later keys, as in Reformer's causal language model. Their masked computation is causal for a
   * given support ({@link #maskedComputationIsCausalForAFixedSupport}); with hashing, only later values are invisible.
   */
  static boolean hashedSupport(EstimatorCatalog.Entry e) {
    MethodConfig c = e.small();
    SparseConfig sparse = c instanceof ScatterbrainConfig sb ? sb.sparse() : c instanceof SparseConfig sc ? sc : null;
    return sparse instanceof SmyrfConfig || sparse instanceof ReformerConfig;
  }

  /** {@code in} with key row j (unless {@code valueOnly}) and value row j changed. */
  static AttentionInputs perturbed(AttentionInputs in, int j, boolean valueOnly) {
    int d = in.headDim();
    int dv = in.valueDim();
    double[] k = in.keysRowMajor().clone();
    double[] v = in.valuesRowMajor().clone();
    if (!valueOnly) {
      for (int t = 0; t < d; t++) {
        k[j * d + t] = 0.9 * k[j * d + t] + 0.05 * (t + 1);
      }
    }
    for (int c = 0; c < dv; c++) {
      v[j * dv + c] = 3.0 - 2 * v[j * dv + c];
    }
    return AttentionInputs.ofRowMajor(in.queryCount(), in.keyCount(), d, dv, in.queriesRowMajor(), k, v, in.scale())
        .withCausal(true);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("causalEntries")
  void noRowDependsOnALaterKey(EstimatorCatalog.Entry e) {
    for (int[] nm : new int[][] {{120, 120}, {100, 150}}) {
      AttentionInputs in = causalInputs(nm[0], nm[1], 10);
      int offset = nm[1] - nm[0];
      boolean valueOnly = hashedSupport(e);
      for (int j : new int[] {offset + 5, offset + 70, nm[1] - 1}) {
        double[] before = e.small().create(false).estimate(in, Draws.create(11)).outputRowMajor();
        double[] after = e.small().create(false).estimate(perturbed(in, j, valueOnly), Draws.create(11))
            .outputRowMajor();
        int dv = in.valueDim();
        for (int i = 0; i + offset < j; i++) {
          for (int c = 0; c < dv; c++) {
            assertEquals(before[i * dv + c], after[i * dv + c], 0.0,
                e + ", n = " + nm[0] + ", m = " + nm[1] + ": row " + i + " changed with key " + j);
          }
        }
        if (j == nm[1] - 1) {
          continue; // only the last query sees the last key, and a sparse method may not pick it
        }
        // some of the (at least 50) rows that may see key j does: the perturbation reaches the output (so the test
        // can fail)
        boolean changed = false;
        for (int x = (j - offset) * dv; x < before.length; x++) {
          changed |= before[x] != after[x];
        }
        assertTrue(changed, e + ": no row changed with key " + j);
      }
    }
  }

  static List<EstimatorCatalog.Entry> hashedEntries() {
    return causalEntries().stream().filter(CausalTest::hashedSupport).toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hashedEntries")
  void maskedComputationIsCausalForAFixedSupport(EstimatorCatalog.Entry e) {
    // the hashed methods with their support (and features) fixed: now keys may change too
    AttentionInputs in = causalInputs(120, 120, 12);
    int j = 60;
    AttentionInputs changed = perturbed(in, j, false);
    double[] before;
    double[] after;
    if (e.small() instanceof ScatterbrainConfig sb) {
      Draws draws = Draws.split(Draws.create(13));
      var map = draws.sampleFeatures(sb.lowRank(), in.headDim());
      var support = sb.sparse().sampleSupport(in.withCausal(false), draws.hashes(), true);
      ScatterbrainAttention est = (ScatterbrainAttention) sb.create(false);
      before = est.estimate(in, map, support).outputRowMajor();
      after = est.estimate(changed, map, support).outputRowMajor();
    } else {
      SparseConfig sc = (SparseConfig) e.small();
      var support = sc.sampleSupport(in.withCausal(false), Draws.create(13), sc.deduplicated());
      SparseAttention est = (SparseAttention) sc.create(false);
      before = est.estimate(in, support).outputRowMajor();
      after = est.estimate(changed, support).outputRowMajor();
    }
    int dv = in.valueDim();
    for (int x = 0; x < j * dv; x++) {
      assertEquals(before[x], after[x], 0.0, e + ": entry " + x + " changed with key " + j);
    }
    assertFalse(java.util.Arrays.equals(before, after), e + ": the perturbation reaches some row");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("causalEntries")
  void theFirstQueryIsExact(EstimatorCatalog.Entry e) {
    // with m = n query 0 sees key 0 alone, so every method returns v_0 (a ratio w v_0 / w: round-off only)
    AttentionInputs in = causalInputs(100, 100, 14);
    MethodConfig config = e.small();
    if (config instanceof AuthorsPerformerConfig a) {
      // their normaliser eps shrinks every row towards 0 by design; without it the ratio is exact too
      config = new AuthorsPerformerConfig(a.features(), a.featureEps(), 0.0);
    }
    for (boolean parallel : new boolean[] {false, true}) {
      double[] out = config.create(parallel).estimate(in, Draws.create(15)).outputRowMajor();
      for (int c = 0; c < in.valueDim(); c++) {
        double v0 = in.valuesRowMajor()[c];
        assertEquals(v0, out[c], 1e-14 * (1 + Math.abs(v0)), e + ": output (0, " + c + ")");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("causalEntries")
  void causalRowsAreMaskedDistributionsAndTheCountMatchesTheConfig(EstimatorCatalog.Entry e) {
    AttentionInputs in = causalInputs(90, 130, 16);
    Estimate est = e.small().create(false).estimate(in, Draws.create(17));
    Estimate par = e.small().create(true).estimate(in, Draws.create(17));
    org.junit.jupiter.api.Assertions.assertArrayEquals(est.outputRowMajor(), par.outputRowMajor(),
        e + ": parallel = sequential");
    double[] a = RowMajorTestUtil.dense(est);
    int n = 90;
    int m = 130;
    double[] out = times(a, in);
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int j = 0; j < m; j++) {
        double x = a[i * m + j];
        if (j > i + m - n) {
          assertEquals(0.0, x, 0.0, e + ": masked entry (" + i + ", " + j + ")");
        }
        if (e.convex()) {
          assertTrue(x >= 0, e + ": entry (" + i + ", " + j + ") = " + x);
        }
        sum += x;
      }
      if (e.convex()) {
        // a sum of at most 130 terms in [0, 1]: round-off below 1e-13
        assertEquals(1.0, sum, 1e-12, e + ": row " + i);
      }
    }
    ReferenceCasesTest.assertClose(out, est.outputRowMajor(), 1e-12, e + ": output = rows x V");
    assertEquals(e.small().entriesPerRow(n, m, true), est.memory().entriesPerRow(), 1e-12, e + ": entries per row");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nonCausalEntries")
  void estimatorsWithoutACausalFormRejectCausalInputs(EstimatorCatalog.Entry e) {
    AttentionInputs in = causalInputs(60, 60, 18);
    var ex = assertThrows(IllegalArgumentException.class,
        () -> e.small().create(false).estimate(in, Draws.create(19)));
    assertTrue(ex.getMessage().contains(e.small().method()) && ex.getMessage().contains("causal"), ex.getMessage());
    var valid = assertThrows(IllegalArgumentException.class, () -> e.small().validateFor(60, 60, true));
    assertTrue(valid.getMessage().contains(e.small().method()), valid.getMessage());
  }

  @Test
  void nystromNamesItselfAndTheReason() {
    var ex = assertThrows(IllegalArgumentException.class, () -> new NystromConfig(8).validateFor(64, 64, true));
    assertTrue(ex.getMessage().startsWith("nystrom has no causal form"), ex.getMessage());
    assertTrue(ex.getMessage().contains("later keys"), ex.getMessage());
  }

  @Test
  void causalCatalogIsNotEmpty() {
    // the parameterised tests above run on these: a config change that drops them must fail here
    List<String> names = causalEntries().stream().map(EstimatorCatalog.Entry::name).toList();
    assertTrue(names.containsAll(List.of("exact", "performer", "local", "smyrf", "reformer", "scatterbrain-smyrf",
        "scatterbrain-local", "performer-authors", "oracle-top", "oracle-top-uniform", "hybrid-sampled",
        "hybrid-favor")), names.toString());
  }

  static List<MethodConfig> fullCoverage() {
    // n = 100, m = 130: each covers every visible key of every row
    return List.of(
        new LocalConfig(130),
        new SmyrfConfig(100, 1, true), // one cluster
        new ReformerConfig(100, 1, 0), // one chunk
        new ScatterbrainConfig(PerformerConfig.of(8), new LocalConfig(130)),
        new ScatterbrainConfig(PerformerConfig.of(8), new SmyrfConfig(100, 2, true)),
        new OracleConfig(130, false),
        new OracleConfig(130, true),
        // hybrid: the window alone covers every visible key, so nothing is left for the remainder
        new HybridConfig(130, 4, 0, 0, HybridConfig.Remainder.SAMPLED, 16, 0, 0, false),
        new HybridConfig(130, 4, 0, 0, HybridConfig.Remainder.FAVOR, 8, 0, 0, false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fullCoverage")
  void fullCoverageEqualsCausalExact(MethodConfig config) {
    // Scatterbrain's off-support low-rank mass is then den - sum_S qbar.kbar, zero up to round-off of a sum of at most
    // 130 products (about 1e-14 of the row's mass), so 1e-12 still holds
    AttentionInputs in = causalInputs(100, 130, 20);
    double[] expected = ExactAttention.reference(in, false).outputRowMajor();
    Estimate e = config.create(false).estimate(in, Draws.create(21));
    ReferenceCasesTest.assertClose(expected, e.outputRowMajor(), EXACT, config.toString());
    ReferenceCasesTest.assertClose(naiveMaskedAttention(in), RowMajorTestUtil.dense(e), EXACT, config + " rows");
  }

  @ParameterizedTest(name = "n = {0}, m = {1}")
  @CsvSource({"150, 150", "70, 200", "1, 3"})
  void causalPerformerIsTheMaskedDenseFeatureEstimate(int n, int m) {
    // the prefix sums against the dense definition: phi(q_i) . phi(k_j) from the bidirectional estimate with the same
    // features (its unnormalised rows), masked and normalised by hand. Both are the same sums of the same positive
    // terms in a different order and with different stabilisers: agreement to 1e-12 relative (150 rows cross two
    // blocks of the prefix sums, m > n adds the cache prefix)
    AttentionInputs in = causalInputs(n, m, 22);
    PerformerConfig config = PerformerConfig.of(16);
    var map = Draws.split(Draws.create(23)).sampleFeatures(config, in.headDim());
    PerformerAttention performer = (PerformerAttention) config.create(false);
    double[] phi = ScatterbrainPropertiesTest.unnormalised(performer.estimate(in.withCausal(false), map));
    double[] a = new double[n * m];
    for (int i = 0; i < n; i++) {
      double z = 0;
      for (int j = 0; j <= i + m - n; j++) {
        z += phi[i * m + j];
      }
      for (int j = 0; j <= i + m - n; j++) {
        a[i * m + j] = phi[i * m + j] / z;
      }
      java.util.Arrays.fill(phi, i * m + i + m - n + 1, i * m + m, 0.0); // the masked entries
    }
    Estimate causal = performer.estimate(in, map);
    ReferenceCasesTest.assertClose(times(a, in), causal.outputRowMajor(), EXACT, "output");
    ReferenceCasesTest.assertClose(a, RowMajorTestUtil.dense(causal), EXACT, "rows");
    ReferenceCasesTest.assertClose(phi, ScatterbrainPropertiesTest.unnormalised(causal), EXACT,
        "unnormalised visible entries");
  }

  @ParameterizedTest(name = "n = {0}, m = {1}, W = {2}")
  @CsvSource({"50, 50, 9", "50, 53, 9", "40, 100, 9", "10, 10, 64", "1, 1, 1"})
  void causalWindowIsTheWMostRecentVisibleKeysAndItsCountIsExact(int n, int m, int w) {
    var band = org.scatterbrain.core.sparse.BandSupport.causal(n, m, w);
    int[] keys = new int[band.maxRowSupport()];
    int[] counts = new int[band.maxRowSupport()];
    long total = 0;
    for (int i = 0; i < n; i++) {
      int len = band.rowSupport(i, keys, counts);
      int last = i + m - n;
      int first = Math.max(0, last - w + 1);
      assertEquals(last - first + 1, len, "row " + i);
      for (int x = 0; x < len; x++) {
        assertEquals(first + x, keys[x], "row " + i + " key " + x);
      }
      total += len;
    }
    assertEquals((double) total / n, new LocalConfig(w).entriesPerRow(n, m, true), 1e-12, "exact mean count");
    assertEquals((double) total / n, band.entriesPerRow(), 1e-12, "the support reports the same count");
    // the window's tiles hold the same pairs as its rows
    boolean[][] member = ScatterbrainPropertiesTest.membership(band);
    var tile = new org.scatterbrain.core.sparse.Tile(band.maxTileQueries(), band.maxTileKeys());
    long inTiles = 0;
    for (int t = 0; t < band.tiles(0); t++) {
      band.fillTile(0, t, tile);
      for (int r = 0; r < tile.queryCount(); r++) {
        for (int c = 0; c < tile.keyCount(); c++) {
          if (tile.includes(r, c)) {
            assertTrue(member[tile.query(r)][tile.key(c)], "tile pair (" + tile.query(r) + ", " + tile.key(c) + ")");
            inTiles++;
          }
        }
      }
    }
    assertEquals(total, inTiles, "every row pair is in exactly one tile");
  }

  @Test
  void aQueryWithOnlyLaterKeysInItsBucketsSeesItsOwnKey() {
    // rows 0-2 hold only later keys (row 1 also none at all); rows 3-5 keep their visible pairs
    int[][] rows = {{4, 5}, {}, {3}, {1, 3, 5}, {0, 4}, {5}};
    var support = org.scatterbrain.core.sparse.ExplicitSupport.of(rows, 6);
    var masked = org.scatterbrain.core.sparse.CausalSupport.of(support);
    assertEquals(3, ((org.scatterbrain.core.sparse.CausalSupport) masked).fallbackCount());
    boolean[][] member = ScatterbrainPropertiesTest.membership(masked);
    boolean[][] expected = new boolean[6][6];
    expected[0][0] = true;
    expected[1][1] = true;
    expected[2][2] = true;
    expected[3][1] = true;
    expected[3][3] = true;
    expected[4][0] = true;
    expected[4][4] = true;
    expected[5][5] = true;
    for (int i = 0; i < 6; i++) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(expected[i], member[i], "row " + i);
    }
    // the estimate on it: rows 0-2 are exactly their own value, every row finite and masked
    AttentionInputs in = causalInputs(6, 6, 24);
    SparseAttention sparse = (SparseAttention) SmyrfConfig.of(3, 1).create(false);
    Estimate e = sparse.estimate(in, support);
    assertEquals(0, e.emptyRows());
    int dv = in.valueDim();
    for (int i = 0; i < 3; i++) {
      for (int c = 0; c < dv; c++) {
        assertEquals(in.valuesRowMajor()[i * dv + c], e.outputRowMajor()[i * dv + c], 1e-15, "row " + i);
      }
    }
    double[] exactRows = naiveMaskedAttention(in);
    double[] a = RowMajorTestUtil.dense(e);
    // row 3 is exact attention restricted to keys 1 and 3 and renormalised
    double z = exactRows[3 * 6 + 1] + exactRows[3 * 6 + 3];
    assertEquals(exactRows[3 * 6 + 1] / z, a[3 * 6 + 1], EXACT);
    assertEquals(0.0, a[3 * 6 + 5], 0.0, "the future pair (3, 5) is dropped");
  }
}
