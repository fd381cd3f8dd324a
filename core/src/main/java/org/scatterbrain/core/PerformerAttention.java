package org.scatterbrain.core;

import java.util.Objects;
import java.util.random.RandomGenerator;
import org.scatterbrain.core.features.LowRankPart;
import org.scatterbrain.core.features.PositiveRandomFeatures;
import org.scatterbrain.core.metrics.AllocationMeter;
import org.scatterbrain.core.metrics.MemoryFootprint;
import org.scatterbrain.core.sparse.SparseSupport;

/**
 * FAVOR+ estimator of softmax attention (Choromanski et al. 2021): {@code out_i = phi(q_i)^T (phi(K)^T V) /
 * phi(q_i)^T (phi(K)^T 1)} with positive random features (spec 2.2-2.3; eps = 0 by default, pitfall P5). The
 * unnormalised estimate phi(q).phi(k) is unbiased for exp(tau q.k); the ratio is biased at O(1/F). Cost O((n + m) F
 * (d + dv)), memory O((n + m) F). Use when n m is too large for exact attention and attention is diffuse.
 *
 * <p>Causal inputs: the published causal FAVOR+ by prefix sums over keys ({@link LowRankPart#computeCausal}), {@code
 * out_i = sum_{j <= i'} phi(q_i) . phi(k_j) v_j / sum_{j <= i'} phi(q_i) . phi(k_j)} with {@code i' = i + m - n};
 * memory O((n + m) F + F dv), never O(n F dv).
 */
public final class PerformerAttention implements AttentionEstimator {
  private final PerformerConfig config;
  private final boolean parallel;

  PerformerAttention(PerformerConfig config, boolean parallel) {
    this.config = Objects.requireNonNull(config, "config");
    this.parallel = parallel;
  }

  @Override
  public PerformerConfig config() {
    return config;
  }

  @Override
  public Estimate estimate(AttentionInputs in, RandomGenerator rng) {
    Checks.requireCausalForm(config, in);
    return estimate(in, Draws.split(rng).sampleFeatures(config, in.headDim()));
  }

  /** Estimate with an explicit feature map (for example the projection of another implementation). */
  public Estimate estimate(AttentionInputs in, PositiveRandomFeatures map) {
    Checks.requireCausalForm(config, in);
    AllocationMeter meter = AllocationMeter.start(parallel);
    LowRankPart lr = in.causal() ? LowRankPart.computeCausal(map, in, parallel) : LowRankPart.compute(map, in, parallel);
    int n = in.queryCount();
    int dv = in.valueDim();
    double[] out = new double[n * dv];
    double[] logZ = new double[n];
    int empty = 0;
    for (int i = 0; i < n; i++) {
      double den = lr.denominator(i);
      if (den > 0) {
        double inv = 1.0 / den;
        for (int c = 0; c < dv; c++) {
          out[i * dv + c] = lr.numerator(i, c) * inv;
        }
        logZ[i] = lr.logScale(i) + Math.log(den);
      } else {
        logZ[i] = Double.NEGATIVE_INFINITY;
        empty++;
      }
    }
    long allocated = meter.stop();
    long stored = lr.bytes() + 8L * map.projection().rows() * map.projection().dim();
    MemoryFootprint mem =
        new MemoryFootprint(
            config.entriesPerRow(n, in.keyCount()),
            config.entriesPerRow(n, in.keyCount()) * n,
            stored,
            allocated);
    return new Estimate("performer", n, dv, out, mem, empty, new Rows(lr, logZ));
  }

  /** Rows {@code qbar_i . kbar_j / (qbar_i . g)}. */
  private static final class Rows implements ApproximateAttention {
    private final LowRankPart lr;
    private final double[] logZ;

    Rows(LowRankPart lr, double[] logZ) {
      this.lr = lr;
      this.logZ = logZ;
    }

    @Override
    public int queryCount() {
      return lr.queryFeatures().rows();
    }

    @Override
    public int keyCount() {
      return lr.keyFeatures().rows();
    }

    @Override
    public void rows(int from, int to, double[] dst) {
      int m = keyCount();
      lr.products(from, to, dst);
      for (int i = from; i < to; i++) {
        double den = lr.denominator(i);
        double inv = den > 0 ? 1.0 / den : 0.0;
        int o = (i - from) * m;
        for (int j = 0; j < m; j++) {
          dst[o + j] *= inv;
        }
      }
    }

    @Override
    public double logNormalizer(int i) {
      return logZ[i];
    }

    @Override
    public SparseSupport support() {
      return null;
    }
  }
}
