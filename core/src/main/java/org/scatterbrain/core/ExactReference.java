package org.scatterbrain.core;

import org.ojalgo.matrix.store.MatrixStore;
import org.scatterbrain.core.linalg.RowMajor;

/**
 * Exact attention of one input, kept as the reference every approximation is measured against: the output, each
 * row's log-normaliser {@code ln Z_i = ln sum_j exp(tau q_i . k_j)} (so exact rows can be recomputed block by block
 * as {@code A_ij = exp(tau q_i . k_j - ln Z_i)} without storing A) and each row's entropy in nats.
 * Memory O(n dv). Immutable. Under the causal mask ({@link AttentionInputs#causal}) the sums run over row i's visible
 * keys {@code j <= i + m - n} and {@code A_ij = 0} for the others.
 */
public final class ExactReference {
  private final AttentionInputs inputs;
  private final double[] output;
  private final double[] logNormalizer;
  private final double[] entropy;

  ExactReference(AttentionInputs inputs, double[] output, double[] logNormalizer, double[] entropy) {
    this.inputs = inputs;
    this.output = output;
    this.logNormalizer = logNormalizer;
    this.entropy = entropy;
  }

  /** The inputs this is the exact attention of. */
  public AttentionInputs inputs() {
    return inputs;
  }

  /** Exact output {@code A V} (n x dv). */
  public MatrixStore<Double> output() {
    return RowMajor.toStore(output, inputs.queryCount(), inputs.valueDim());
  }

  /** Row-major output; internal storage, not to be modified. */
  public double[] outputRowMajor() {
    return output;
  }

  /** ln Z_i for row i. */
  public double logNormalizer(int i) {
    return logNormalizer[i];
  }

  /** Entropy (nats) of exact attention row i, in [0, ln m]. */
  public double rowEntropy(int i) {
    return entropy[i];
  }

  /** Mean row entropy (nats): the paper's axis for sparse versus low-rank regimes. */
  public double meanEntropy() {
    double s = 0;
    for (double e : entropy) {
      s += e;
    }
    return s / entropy.length;
  }
}
