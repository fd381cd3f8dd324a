package org.scatterbrain.jobs.sweep;

import java.io.Serializable;
import java.util.List;

/**
 * The trials of one input cell, run together on one executor so the inputs and the exact reference are computed
 * once. {@code cost} is an estimate in flops, used to balance partitions.
 */
public record InputGroup(InputKey input, long inputSeed, List<Trial> trials, double cost)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The same cell restricted to {@code keep}. */
  public InputGroup withTrials(List<Trial> keep) {
    return new InputGroup(input, inputSeed, List.copyOf(keep), cost * keep.size() / Math.max(1, trials.size()));
  }
}
