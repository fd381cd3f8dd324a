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
 */
public record TrialSettings(
    long sweepSeed, AttentionMetrics attentionMetrics, long attentionMaxEntries, String failTrialsMatching)
    implements Serializable {
  private static final long serialVersionUID = 1L;

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
