package org.scatterbrain.core;

import java.util.random.RandomGenerator;
import org.scatterbrain.core.linalg.ExactKernel;
import org.scatterbrain.core.linalg.Exp;
import org.scatterbrain.core.linalg.RowMajor;
import org.scatterbrain.core.metrics.AllocationMeter;
import org.scatterbrain.core.metrics.MemoryFootprint;

/**
 * Exact softmax attention {@code softmax_row(tau Q K^T) V}, streamed in blocks with a running maximum ({@link
 * ExactKernel}): memory O((n + m) d), never an n x m matrix; cost 2 n m (d + dv) flops plus n m exponentials. This
 * is also the reference every error is measured against ({@link #reference}).
 *
 * <p>Under the causal mask ({@link AttentionInputs#withCausal}) each row is the softmax over its visible keys {@code j
 * <= i + m - n}: masked entries have probability exactly 0, and rows scan only their visible keys (about half the
 * work when m = n).
 */
public final class ExactAttention implements AttentionEstimator {
  private final boolean parallel;

  ExactAttention(boolean parallel) {
    this.parallel = parallel;
  }

  @Override
  public MethodConfig config() {
    return new ExactConfig();
  }

  /** The exact reference of {@code in}: output, row log-normalisers and entropies. */
  public static ExactReference reference(AttentionInputs in, boolean parallel) {
    ExactKernel.Result r = compute(in, parallel);
    return new ExactReference(in, r.output(), r.logNormalizer(), r.entropy());
  }

  private static ExactKernel.Result compute(AttentionInputs in, boolean parallel) {
    double[] kt = RowMajor.transpose(in.keysRowMajor(), in.keyCount(), in.headDim());
    return ExactKernel.attend(
        in.queriesRowMajor(),
        in.queryCount(),
        kt,
        in.valuesRowMajor(),
        in.keyCount(),
        in.headDim(),
        in.valueDim(),
        in.scale(),
        in.causal(),
        parallel);
  }

  @Override
  public Estimate estimate(AttentionInputs in, RandomGenerator rng) {
    Checks.requireCausalForm(config(), in);
    AllocationMeter meter = AllocationMeter.start(parallel);
    ExactKernel.Result r = compute(in, parallel);
    long allocated = meter.stop();
    int n = in.queryCount();
    long stored = 8L * in.keyCount() * in.headDim() + 16L * n;
    double perRow = config().entriesPerRow(n, in.keyCount(), in.causal());
    MemoryFootprint mem = new MemoryFootprint(perRow, perRow * n, stored, allocated);
    double[] logZ = r.logNormalizer();
    return new Estimate("exact", n, in.valueDim(), r.output(), mem, 0, new Rows(in, logZ));
  }

  /** Exact rows recomputed from the logits and the row log-normalisers. */
  static final class Rows extends LogitRows {
    Rows(AttentionInputs in, double[] logZ) {
      super(in, null, logZ);
    }

    @Override
    public void rows(int from, int to, double[] dst) {
      int m = in.keyCount();
      logits().rows(from, to, dst);
      for (int i = from; i < to; i++) {
        int o = (i - from) * m;
        int vis = in.visibleKeys(i);
        Exp.expShifted(dst, o, logZ[i], dst, o, vis);
        java.util.Arrays.fill(dst, o + vis, o + m, 0.0);
      }
    }
  }
}
