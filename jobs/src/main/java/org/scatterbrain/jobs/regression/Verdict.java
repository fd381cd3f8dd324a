package org.scatterbrain.jobs.regression;

/** The outcome of comparing one metric with its baseline, in report order (most serious first). */
public enum Verdict {
  /** Worse than the baseline by more than the tolerance (for timings: confirmed on a re-run). Fails the run. */
  REGRESSED(true),
  /** In the baseline but not measured now: its trial failed or the sweep no longer has it. Fails the run. */
  MISSING(true),
  /** A timing slower than its tolerance that a re-run did not confirm (noise): reported, does not fail. */
  SLOWER_UNCONFIRMED(false),
  /** No baseline for this testbed: the value is reported, nothing is compared (the run does not pass). */
  NO_BASELINE(false),
  /** Better than the baseline by more than the tolerance: the code changed; update the baseline if deliberate. */
  IMPROVED(false),
  /** Measured now but not in the baseline (a new method or cell). */
  NEW(false),
  /** Within the tolerance. */
  OK(false);

  private final boolean fails;

  Verdict(boolean fails) {
    this.fails = fails;
  }

  /** Whether this verdict makes the regression run fail. */
  public boolean fails() {
    return fails;
  }

  /** Lower-case label used in reports. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
  }
}
