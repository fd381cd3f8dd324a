package org.scatterbrain.core.bench;

import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.Draws;
import org.scatterbrain.core.inputs.InputGenerators;
import org.scatterbrain.core.inputs.InputGenerators.GaussianSpec;

/**
 * The problems every benchmark times: Gaussian Q, K (n x {@value #HEAD_DIM}, rows of norm d^(1/4), so tau |q|^2 = 1)
 * and V (n x {@value #HEAD_DIM}), with m = n and the default scale tau = 1/sqrt(d), drawn from the fixed seed
 * {@value #INPUT_SEED}. Cost O(n d) time and memory.
 */
final class BenchmarkInputs {
  /** Head dimension d and value dimension dv. */
  static final int HEAD_DIM = 64;

  /** Seed of the inputs. */
  static final long INPUT_SEED = 20_240_601L;

  /** Seed of the estimators' generator (it feeds the two stream seeds each estimate takes, see {@code Draws}). */
  static final long ESTIMATE_SEED = 7L;

  private BenchmarkInputs() {}

  /** The n x n problem with d = dv = {@value #HEAD_DIM}. */
  static AttentionInputs gaussian(int n) {
    return InputGenerators.gaussian(
        GaussianSpec.unitLogitNorm(n, n, HEAD_DIM, HEAD_DIM), Draws.create(INPUT_SEED));
  }
}
