package org.scatterbrain.jobs.sweep;

import java.util.Objects;
import org.scatterbrain.core.metrics.ErrorReport;
import org.scatterbrain.core.metrics.MemoryFootprint;

/**
 * Everything recorded about one trial (one Parquet row; {@code org.scatterbrain.jobs.spark.ResultSchema} owns the
 * columns): the trial, its outcome (ok with its errors and memory, or failed with a reason), its timing, the input
 * cell's exact reference, and where it ran.
 *
 * @param trial the trial
 * @param inputSeed seed of the cell's synthetic inputs
 * @param outcome ok or failed
 * @param timing wall and CPU time of the estimate (for a failed trial: until it failed), and start and end
 * @param cell the cell's exact reference: its mean row entropy (null when it could not be computed) and wall time
 * @param context provenance
 */
public record TrialResult(
    Trial trial, long inputSeed, Outcome outcome, Timing timing, Cell cell, RunContext context) {
  /** Status of a trial that ran to the end with finite output and metrics. */
  public static final String OK = "ok";

  /** Status of a trial that threw, produced non-finite numbers or ran out of time. */
  public static final String FAILED = "failed";

  /** Validates. */
  public TrialResult {
    Objects.requireNonNull(trial, "trial");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(timing, "timing");
    Objects.requireNonNull(cell, "cell");
    Objects.requireNonNull(context, "context");
  }

  /** How a trial ended. */
  public sealed interface Outcome permits Ok, Failed {}

  /**
   * A trial that ran to the end.
   *
   * @param errors errors against exact attention (attention-matrix errors null when not computed)
   * @param memory the estimate's memory footprint
   * @param emptyRows rows whose estimated normaliser was exactly 0
   */
  public record Ok(ErrorReport errors, MemoryFootprint memory, int emptyRows) implements Outcome {
    /** Validates. */
    public Ok {
      Objects.requireNonNull(errors, "errors");
      Objects.requireNonNull(memory, "memory");
    }
  }

  /** A trial that failed, with the reason. */
  public record Failed(String error) implements Outcome {
    /** Validates. */
    public Failed {
      Objects.requireNonNull(error, "error");
    }
  }

  /** Times of a trial. */
  public record Timing(double wallSeconds, double cpuSeconds, long startMillis, long endMillis) {}

  /** The input cell's exact reference: mean row entropy (null if it failed) and its wall time. */
  public record Cell(Double exactMeanEntropy, double exactWallSeconds) {}

  /** {@link #OK} or {@link #FAILED}. */
  public String status() {
    return outcome instanceof Ok ? OK : FAILED;
  }

  /** The failure reason, or null. */
  public String error() {
    return outcome instanceof Failed f ? f.error() : null;
  }

  /** The outcome of an ok trial; throws for a failed one. */
  public Ok ok() {
    if (outcome instanceof Ok o) {
      return o;
    }
    throw new IllegalStateException("trial " + trial.trialId() + " failed: " + error());
  }
}
