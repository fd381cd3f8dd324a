package org.scatterbrain.jobs.regression;

import java.util.List;

/**
 * One metric of the report: baseline, current value, change and verdict.
 *
 * @param category how it is compared
 * @param variant method variant
 * @param cell input cell
 * @param metric metric name
 * @param baseline the baseline's value (null: none)
 * @param current this run's value (null: not measured)
 * @param reruns for timings, the values of the confirming re-runs (empty when none were needed)
 * @param change current - baseline (null when either is missing)
 * @param relativeChange (current - baseline) / |baseline| (null when either is missing or the baseline is 0)
 * @param tolerance the rule applied, in words
 * @param verdict the outcome
 * @param params the method's resolved size parameters now (and in the baseline, when they differ)
 * @param note why a value is missing, or other remarks
 */
public record Comparison(
    Category category,
    String variant,
    String cell,
    String metric,
    Double baseline,
    Double current,
    List<Double> reruns,
    Double change,
    Double relativeChange,
    String tolerance,
    Verdict verdict,
    String params,
    String note) {

  /**
   * How much worse than the baseline, relative to it (positive: worse; infinite when the baseline is 0): orders
   * regressions by severity.
   */
  public double severity(boolean higherIsWorse) {
    if (change == null) {
      return Double.POSITIVE_INFINITY;
    }
    double worse = higherIsWorse ? change : -change;
    if (baseline == 0) {
      return worse > 0 ? Double.POSITIVE_INFINITY : worse < 0 ? Double.NEGATIVE_INFINITY : 0;
    }
    return worse / Math.abs(baseline);
  }
}
