package org.scatterbrain.jobs.sweep;

import java.io.Serializable;

/**
 * What every trial of a sweep needs besides its own method and input: the small part of the spec a Spark task
 * carries.
 *
 * @param sweepSeed the sweep seed (a trial's canonical text starts with it)
 * @param attentionMetrics when attention-matrix errors are computed
 * @param attentionMaxEntries with {@link AttentionMetrics#AUTO}, computed when n * n is at most this
 * @param failTrialsMatching debug: trials whose canonical text contains this fail on purpose (empty: none)
 * @param stallTrialsMatching debug: trials whose canonical text contains this wait until their time limit stops them
 *     (empty: none), to test the limit
 * @param trialSeconds the time limit of one trial (its estimate and its metrics) in seconds, or 0 for automatic:
 *     {@link #AUTO_FACTOR} times the cell's exact reference time, at least {@link #AUTO_MIN_SECONDS}
 */
public record TrialSettings(
    long sweepSeed,
    AttentionMetrics attentionMetrics,
    long attentionMaxEntries,
    String failTrialsMatching,
    String stallTrialsMatching,
    double trialSeconds)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * The automatic limit's multiple of the exact reference time: a trial is an estimate (cheaper than exact
   * attention by design; the slowest measured, Nystrom's SVD at small n, takes under 3x) plus its metrics (1 to 8
   * exact passes, measured on the shipped sweeps), so 30x leaves room for a slow machine without letting a stuck
   * trial hold a slot for long.
   */
  public static final double AUTO_FACTOR = 30;

  /** The automatic limit's floor: the JIT's first compilation of a method's code can take seconds. */
  public static final double AUTO_MIN_SECONDS = 60;

  /** The time limit of a trial in a cell whose exact reference took {@code exactSeconds}. */
  public double limitSeconds(double exactSeconds) {
    return trialSeconds > 0 ? trialSeconds : Math.max(AUTO_MIN_SECONDS, AUTO_FACTOR * exactSeconds);
  }

  /** How the limit was set, for the failure message. */
  public String limitSource() {
    return trialSeconds > 0 ? "sweep.limits.trial-seconds = " + Canonical.number(trialSeconds)
        : "the automatic limit, max(" + Canonical.number(AUTO_MIN_SECONDS) + " s, " + Canonical.number(AUTO_FACTOR)
            + " x the cell's exact reference time); set sweep.limits.trial-seconds to change it";
  }

  /** When attention-matrix errors are computed. */
  public enum AttentionMetrics {
    AUTO,
    ALWAYS,
    NEVER
  }

  /** Whether a trial at sequence length n computes attention-matrix errors. */
  public boolean attentionMetricsFor(int n) {
    return switch (attentionMetrics) {
      case ALWAYS -> true;
      case NEVER -> false;
      case AUTO -> (long) n * n <= attentionMaxEntries;
    };
  }
}
