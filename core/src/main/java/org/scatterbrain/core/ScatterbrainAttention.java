package org.scatterbrain.core;

import java.util.Objects;
import java.util.random.RandomGenerator;
import org.scatterbrain.core.features.LowRankPart;
import org.scatterbrain.core.features.PositiveRandomFeatures;
import org.scatterbrain.core.metrics.AllocationMeter;
import org.scatterbrain.core.metrics.MemoryFootprint;
import org.scatterbrain.core.sparse.SparseSupport;
import org.scatterbrain.core.sparse.SupportSums;

/**
 * Scatterbrain (Chen et al., NeurIPS 2021; spec section 4): the unnormalised estimate {@code A_hat_ij = exp(tau q_i .
 * k_j)} on a sparse support S and {@code phi(q_i) . phi(k_j)} off it, i.e. the FAVOR+ low-rank estimate corrected
 * exactly on S; the output is {@code (A_hat V)_i / (A_hat 1)_i}.
 *
 * <p>Composed of the same blocks as {@link PerformerAttention} ({@link LowRankPart}) and {@link SparseAttention}
 * ({@link SupportSums}, with feature products on the support): per row, the exact mass on S is kept as a log-sum-exp,
 * the low-rank mass off S as {@code max(qbar . g - sum_S qbar . kbar, 0)} in units of exp(l_i), and the normaliser
 * is their log-add-exp (pitfall P7: no clamp in scaled units). Pairs found in several hash rounds count once
 * (pitfall P11). Hashes and features come from independent streams, so conditional on S the unnormalised estimate
 * is unbiased.
 *
 * <p>Cost O((n + m) F (d + dv) + |S| (d + F + dv)); memory O((n + m) F + n dv) plus the support's indices.
 *
 * <p>Causal inputs: the same combination with every sum restricted to the visible keys {@code j <= i + m - n}: the
 * causal low-rank part ({@link LowRankPart#computeCausal}, prefix sums) corrected on the causal support (the sparse
 * support with its future pairs dropped, {@link org.scatterbrain.core.sparse.CausalSupport}, or the causal window).
 */
public final class ScatterbrainAttention implements AttentionEstimator {
  private final ScatterbrainConfig config;
  private final boolean parallel;

  ScatterbrainAttention(ScatterbrainConfig config, boolean parallel) {
    this.config = Objects.requireNonNull(config, "config");
    this.parallel = parallel;
  }

  @Override
  public ScatterbrainConfig config() {
    return config;
  }

  @Override
  public Estimate estimate(AttentionInputs in, RandomGenerator rng) {
    Checks.requireCausalForm(config, in);
    config.validateFor(in.queryCount(), in.keyCount());
    AllocationMeter meter = AllocationMeter.start(parallel);
    Draws draws = Draws.split(rng);
    PositiveRandomFeatures map = draws.sampleFeatures(config.lowRank(), in.headDim());
    SparseSupport support = config.sparse().sampleSupport(in, draws.hashes(), true);
    Estimate e = estimate(in, map, support);
    long allocated = meter.stop();
    MemoryFootprint m = e.memory();
    return e.withMemory(
        new MemoryFootprint(
            config.entriesPerRow(in.queryCount(), in.keyCount(), in.causal()),
            config.entriesPerRow(in.queryCount(), in.keyCount(), in.causal()) * in.queryCount(),
            m.storedBytes(),
            allocated));
  }

  /**
   * Estimate with an explicit feature map and support (which must count each pair once). Lets tests and other
   * implementations fix every random draw.
   */
  public Estimate estimate(AttentionInputs in, PositiveRandomFeatures map, SparseSupport support) {
    Checks.requireCausalForm(config, in);
    return combine(in, map, support, parallel, "scatterbrain");
  }

  /**
   * The Scatterbrain combination of a feature map and a support (shared with {@link HybridAttention}'s random-feature
   * remainders), reported under {@code method}.
   */
  static Estimate combine(
      AttentionInputs in, PositiveRandomFeatures map, SparseSupport support, boolean parallel, String method) {
    SparseAttention.requireShape(support, in);
    support = SparseAttention.masked(support, in);
    if (!support.deduplicated()) {
      throw new IllegalArgumentException(
          "scatterbrain needs a support that counts each pair once; got one that counts repeats");
    }
    AllocationMeter meter = AllocationMeter.start(parallel);
    LowRankPart lr = in.causal() ? LowRankPart.computeCausal(map, in, parallel) : LowRankPart.compute(map, in, parallel);
    SupportSums sums =
        SupportSums.compute(support, in, lr.queryFeatures(), lr.keyFeatures(), parallel);
    int n = in.queryCount();
    int dv = in.valueDim();
    double[] out = new double[n * dv];
    double[] logZ = new double[n];
    double[] lowRankWeights = new double[n];
    int empty = 0;
    for (int i = 0; i < n; i++) {
      double l = lr.logScale(i);
      double exactLog = sums.sum[i] > 0 ? sums.max[i] + Math.log(sums.sum[i]) : Double.NEGATIVE_INFINITY;
      // low-rank mass off the support; >= 0 in exact arithmetic, the clamp only removes round-off
      double offSupport = Math.max(lr.denominator(i) - sums.lrSum[i], 0.0);
      double lowRankLog = offSupport > 0 ? l + Math.log(offSupport) : Double.NEGATIVE_INFINITY;
      double z = logAddExp(exactLog, lowRankLog);
      logZ[i] = z;
      if (z == Double.NEGATIVE_INFINITY) {
        empty++;
        continue;
      }
      double exactWeight = sums.sum[i] > 0 ? Math.exp(sums.max[i] - z) : 0.0;
      // exp(l - z) = 1 / (offSupport + exp(exactLog - l)), written as a division so that it cannot overflow when the
      // off-support mass is tiny; an overflowing exp(exactLog - l) correctly gives weight 0
      double lowRankDenominator =
          offSupport + (exactLog == Double.NEGATIVE_INFINITY ? 0.0 : Math.exp(exactLog - l));
      double lowRankWeight = 1.0 / lowRankDenominator;
      lowRankWeights[i] = lowRankWeight;
      for (int c = 0; c < dv; c++) {
        int x = i * dv + c;
        out[x] = exactWeight * sums.num[x] + (lr.numerator(i, c) - sums.lrNum[x]) / lowRankDenominator;
      }
    }
    long allocated = meter.stop();
    long stored =
        lr.bytes()
            + support.storedBytes()
            + sums.bytes()
            + 8L * map.projection().rows() * map.projection().dim();
    double perRow = support.entriesPerRow() + 2.0 * map.featureCount();
    MemoryFootprint mem = new MemoryFootprint(perRow, perRow * n, stored, allocated);
    return new Estimate(
        method, n, dv, out, mem, empty, new SupportRows(in, support, logZ, lr, lowRankWeights));
  }

  static double logAddExp(double a, double b) {
    if (a == Double.NEGATIVE_INFINITY) {
      return b;
    }
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    double hi = Math.max(a, b);
    return hi + Math.log1p(Math.exp(-Math.abs(a - b)));
  }
}
