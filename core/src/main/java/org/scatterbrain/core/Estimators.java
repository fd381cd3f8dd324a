package org.scatterbrain.core;

import java.util.Objects;

/** Creates the estimator of a {@link MethodConfig}. */
public final class Estimators {
  private Estimators() {}

  /**
   * The estimator for {@code config}. With {@code parallel}, work is spread over the common fork-join pool; results
   * are bit-identical either way (every output row is computed by the same code in the same order). Use sequential
   * estimators inside Spark tasks, which already use one core each.
   */
  public static AttentionEstimator create(MethodConfig config, boolean parallel) {
    Objects.requireNonNull(config, "config");
    if (config instanceof ExactConfig) {
      return new ExactAttention(parallel);
    } else if (config instanceof PerformerConfig p) {
      return new PerformerAttention(p, parallel);
    } else if (config instanceof SparseConfig s) {
      return new SparseAttention(s, parallel);
    } else if (config instanceof ScatterbrainConfig s) {
      return new ScatterbrainAttention(s, parallel);
    } else if (config instanceof NystromConfig c) {
      return new NystromAttention(c, parallel);
    }
    throw new IllegalArgumentException("unknown method config " + config);
  }

  /** Sequential estimator for {@code config}. */
  public static AttentionEstimator create(MethodConfig config) {
    return create(config, false);
  }
}
