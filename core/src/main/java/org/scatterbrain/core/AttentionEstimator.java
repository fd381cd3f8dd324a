package org.scatterbrain.core;

import java.util.random.RandomGenerator;

/**
 * An estimator of softmax attention {@code softmax_row(tau Q K^T) V}. Implementations are immutable and thread-safe;
 * create them with {@link Estimators#create}.
 */
public interface AttentionEstimator {
  /** The method's configuration. */
  MethodConfig config();

  /**
   * Estimates attention for {@code inputs}, drawing every random choice from {@code rng} (exact estimators ignore
   * it). The same inputs and generator state give bit-identical output. Not modified: {@code inputs}. Modified:
   * {@code rng} (advanced).
   */
  Estimate estimate(AttentionInputs inputs, RandomGenerator rng);
}
