package org.scatterbrain.jobs.sweep;

import java.io.Serializable;

/**
 * One sweep point: an input cell, a resolved method, a stable id (hash of the canonical semantic config: independent
 * of run, output path and ordering) and its own seed (derived from the sweep seed and the same config).
 */
public record Trial(InputKey input, TrialMethod method, String trialId, long seed) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Builds the trial, deriving its id and seed. */
  public static Trial of(long sweepSeed, InputKey input, TrialMethod method) {
    String canonical = canonical(sweepSeed, input, method);
    return new Trial(input, method, Canonical.id(canonical), Canonical.seed(canonical));
  }

  static String canonical(long sweepSeed, InputKey input, TrialMethod method) {
    return "sweep-seed=" + sweepSeed + ";" + input.canonical() + ";" + method.canonical();
  }

  /** The canonical text this trial's id and seed derive from. */
  public String canonical(long sweepSeed) {
    return canonical(sweepSeed, input, method);
  }
}
