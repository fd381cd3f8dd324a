package org.scatterbrain.core;

import java.util.random.RandomGenerator;
import org.scatterbrain.core.sparse.SparseSupport;

/** A method that defines a sparse support: SMYRF, Reformer-style LSH or a local window. */
public sealed interface SparseConfig extends MethodConfig
    permits SmyrfConfig, ReformerConfig, LocalConfig {
  /**
   * Samples the support for {@code inputs}, drawing hash randomness from {@code rng}.
   *
   * @param dedup whether a pair found in several rounds counts once (always true where rounds cannot repeat pairs)
   */
  SparseSupport sampleSupport(AttentionInputs inputs, RandomGenerator rng, boolean dedup);
}
