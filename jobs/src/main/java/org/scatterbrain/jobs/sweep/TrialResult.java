package org.scatterbrain.jobs.sweep;

import java.io.Serializable;

/**
 * Everything recorded about one trial: one Parquet row ({@code org.scatterbrain.jobs.spark.ResultSchema} owns the
 * column names and types). Metric fields are null when not computed or when the trial failed.
 */
public record TrialResult(
    Trial trial,
    long inputSeed,
    String status,
    String error,
    double wallTimeSeconds,
    double cpuTimeSeconds,
    Long allocatedBytes,
    Integer emptyRows,
    Double outputRelFrobenius,
    Double outputMaxAbs,
    Double attentionRelFrobenius,
    Double attentionMaxAbs,
    Double klMean,
    Double klMax,
    Double tvMean,
    Double tvMax,
    Double supportMass,
    Double exactMeanEntropy,
    double exactWallTimeSeconds,
    Double memoryEntriesPerRow,
    Double memoryEntries,
    Long memoryBytes,
    long startMillis,
    long endMillis,
    RunContext context)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Status of a trial that ran to the end with finite output. */
  public static final String OK = "ok";

  /** Status of a trial that threw or produced non-finite output. */
  public static final String FAILED = "failed";
}
