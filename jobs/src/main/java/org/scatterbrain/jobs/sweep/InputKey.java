package org.scatterbrain.jobs.sweep;

import java.io.Serializable;
import org.scatterbrain.core.AttentionInputs;

/**
 * One input cell: source, sequence length, dims, temperature and replicate. All trials of a cell share its inputs
 * and its exact reference.
 */
public record InputKey(InputSource source, int n, int d, int dv, double temperature, int seedIndex)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Canonical text, part of every trial id of this cell. */
  public String canonical() {
    return "input=" + source.id() + ";n=" + n + ";d=" + d + ";dv=" + dv + ";temperature="
        + Canonical.number(temperature) + ";seed-index=" + seedIndex;
  }

  /** Seed of the synthetic inputs (unused by real heads, which have no randomness). */
  public long inputSeed(long sweepSeed) {
    return Canonical.seed("sweep-seed=" + sweepSeed + ";" + canonical());
  }

  /** Logit scale tau = temperature / sqrt(d) (core's {@link AttentionInputs#temperatureScale}). */
  public double scale() {
    return AttentionInputs.temperatureScale(temperature, d);
  }
}
