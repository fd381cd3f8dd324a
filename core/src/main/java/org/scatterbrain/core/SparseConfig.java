package org.scatterbrain.core;

import java.util.random.RandomGenerator;
import org.scatterbrain.core.sparse.SparseSupport;

/** A method that defines a sparse support: SMYRF, Reformer-style LSH or a local window. */
public interface SparseConfig extends MethodConfig {
  /** Whether a pair found in several rounds counts once (true unless plain SMYRF, which counts it once per round). */
  default boolean deduplicated() {
    return true;
  }

  /** Sparse attention on this support alone. */
  @Override
  default AttentionEstimator create(boolean parallel) {
    return new SparseAttention(this, parallel);
  }

  /**
   * Samples the support for {@code inputs}, drawing hash randomness from {@code rng}.
   *
   * @param dedup whether a pair found in several rounds counts once (always true where rounds cannot repeat pairs)
   */
  SparseSupport sampleSupport(AttentionInputs inputs, RandomGenerator rng, boolean dedup);
}
