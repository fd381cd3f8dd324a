package org.scatterbrain.core;

import java.util.Objects;
import java.util.random.RandomGenerator;
import org.scatterbrain.core.metrics.AllocationMeter;
import org.scatterbrain.core.metrics.MemoryFootprint;
import org.scatterbrain.core.sparse.CausalSupport;
import org.scatterbrain.core.sparse.SparseSupport;
import org.scatterbrain.core.sparse.SupportSums;

/**
 * Sparse attention: softmax restricted to a support S, {@code out_i = sum_{j in S_i} c_ij exp(s_ij) v_j / sum_{j in
 * S_i} c_ij exp(s_ij)} with multiplicities c_ij (1 unless plain SMYRF counts a pair once per round that finds it,
 * which is the original SMYRF's softmax over rounds weighted by their normalisers: spec 3(a) step 7). The support
 * comes from SMYRF, Reformer-style LSH or a local window ({@link SparseConfig}). Cost O(|S| (d + dv)) plus hashing;
 * memory O(n dv) plus the support's indices. Zero off the support, so exact when the support covers every key.
 *
 * <p>Under the causal mask the support loses its future pairs ({@link CausalSupport}; a local window is instead the W
 * most recent visible keys, {@link LocalConfig}), and a query left without a visible key sees its own position's key.
 */
public final class SparseAttention implements AttentionEstimator {
  private final SparseConfig config;
  private final boolean parallel;

  SparseAttention(SparseConfig config, boolean parallel) {
    this.config = Objects.requireNonNull(config, "config");
    this.parallel = parallel;
  }

  @Override
  public SparseConfig config() {
    return config;
  }

  @Override
  public Estimate estimate(AttentionInputs in, RandomGenerator rng) {
    Checks.requireCausalForm(config, in);
    config.validateFor(in.queryCount(), in.keyCount());
    boolean dedup = config.deduplicated();
    AllocationMeter meter = AllocationMeter.start(parallel);
    SparseSupport support = config.sampleSupport(in, Draws.split(rng).hashes(), dedup);
    Estimate e = estimate(in, support);
    long allocated = meter.stop();
    MemoryFootprint m = e.memory();
    return e.withMemory(
        new MemoryFootprint(m.entriesPerRow(), m.entries(), m.storedBytes(), allocated));
  }

  /** Estimate on an explicit support (with its future pairs dropped when {@code in} is causal). */
  public Estimate estimate(AttentionInputs in, SparseSupport support) {
    Checks.requireCausalForm(config, in);
    requireShape(support, in);
    support = masked(support, in);
    AllocationMeter meter = AllocationMeter.start(parallel);
    SupportSums sums = SupportSums.compute(support, in, null, null, parallel);
    int n = in.queryCount();
    int dv = in.valueDim();
    double[] out = new double[n * dv];
    double[] logZ = new double[n];
    int empty = 0;
    for (int i = 0; i < n; i++) {
      double s = sums.sum[i];
      if (s > 0) {
        double inv = 1.0 / s;
        for (int c = 0; c < dv; c++) {
          out[i * dv + c] = sums.num[i * dv + c] * inv;
        }
        logZ[i] = sums.max[i] + Math.log(s);
      } else {
        logZ[i] = Double.NEGATIVE_INFINITY;
        empty++;
      }
    }
    long allocated = meter.stop();
    MemoryFootprint mem =
        new MemoryFootprint(
            support.entriesPerRow(),
            support.entriesPerRow() * n,
            support.storedBytes() + sums.bytes(),
            allocated);
    return new Estimate(
        config.method(), n, dv, out, mem, empty, new SupportRows(in, support, logZ, null, null));
  }

  /** {@code support} under {@code in}'s causal mask, or itself without the mask. */
  static SparseSupport masked(SparseSupport support, AttentionInputs in) {
    return in.causal() ? CausalSupport.of(support) : support;
  }

  static void requireShape(SparseSupport support, AttentionInputs in) {
    if (support.queryCount() != in.queryCount() || support.keyCount() != in.keyCount()) {
      throw new IllegalArgumentException(
          "support is "
              + support.queryCount()
              + "x"
              + support.keyCount()
              + " but the inputs have n = "
              + in.queryCount()
              + ", m = "
              + in.keyCount());
    }
  }
}
