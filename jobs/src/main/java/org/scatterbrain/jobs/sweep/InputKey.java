package org.scatterbrain.jobs.sweep;

import java.io.Serializable;
import org.scatterbrain.core.AttentionInputs;

/**
 * One input cell: source, sequence length, dims, temperature, replicate and mask. All trials of a cell share its
 * inputs and its exact reference.
 */
public record InputKey(InputSource source, int n, int d, int dv, double temperature, int seedIndex, boolean causal)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A bidirectional cell. */
  public InputKey(InputSource source, int n, int d, int dv, double temperature, int seedIndex) {
    this(source, n, d, dv, temperature, seedIndex, false);
  }

  /**
   * Canonical text, part of every trial id of this cell. The causal mask adds {@code ;causal}; bidirectional cells
   * keep the text (and the trial ids) they had before the mask existed.
   */
  public String canonical() {
    return "input=" + source.id() + ";n=" + n + ";d=" + d + ";dv=" + dv + ";temperature="
        + Canonical.number(temperature) + ";seed-index=" + seedIndex + (causal ? ";causal" : "");
  }

  /**
   * Seed of the synthetic inputs (unused by real heads, which have no randomness). The mask is not part of it: a
   * causal cell and its bidirectional twin draw the same Q, K and V, so the two masks are compared on equal inputs.
   */
  public long inputSeed(long sweepSeed) {
    return Canonical.seed("sweep-seed=" + sweepSeed + ";" + withCausal(false).canonical());
  }

  /** This cell under the mask {@code c}. */
  public InputKey withCausal(boolean c) {
    return c == causal ? this : new InputKey(source, n, d, dv, temperature, seedIndex, c);
  }

  /**
   * Logit scale tau: temperature / sqrt(d) (core's {@link AttentionInputs#temperatureScale}), or temperature x the
   * model's own scale for a real head that records one.
   */
  public double scale() {
    return source.scale(temperature, d);
  }
}
