package org.scatterbrain.core;

import java.util.Objects;

/** Creates the estimator of a {@link MethodConfig} (each config builds its own: {@link MethodConfig#create}). */
public final class Estimators {
  private Estimators() {}

  /**
   * The estimator for {@code config}. With {@code parallel}, work is spread over the common fork-join pool; results
   * are bit-identical either way (every output row is computed by the same code in the same order). Use sequential
   * estimators inside Spark tasks, which already use one core each.
   */
  public static AttentionEstimator create(MethodConfig config, boolean parallel) {
    return Objects.requireNonNull(config, "config").create(parallel);
  }

  /** Sequential estimator for {@code config}. */
  public static AttentionEstimator create(MethodConfig config) {
    return create(config, false);
  }
}
