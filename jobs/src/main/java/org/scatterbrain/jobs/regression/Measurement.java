package org.scatterbrain.jobs.regression;

import java.io.Serializable;

/**
 * One value the regression benchmark tracks: a metric of a method variant in a cell. A null value is a metric that
 * could not be measured this time (its trial failed); {@code note} then says why.
 *
 * @param category how the metric is compared
 * @param variant the method as the sweep claims it, e.g. {@code scatterbrain+smyrf B=64} (see {@link Variants})
 * @param cell the input cell, e.g. {@code npy(minilm_L0_H2_n512@...) n=256 d=32 beta=8 seed=0}
 * @param metric the metric's column name, e.g. {@code output_rel_fro}
 * @param value the value, or null when it could not be measured
 * @param params the method's resolved size parameters, e.g. {@code features=16}: shown, not part of the key
 * @param note why the value is missing, or empty
 */
public record Measurement(
    Category category, String variant, String cell, String metric, Double value, String params, String note)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The identity of the metric: category, variant, cell and metric name. */
  public String key() {
    return key(category, variant, cell, metric);
  }

  /** The identity of a metric from its parts. */
  public static String key(Category category, String variant, String cell, String metric) {
    return category.label() + " | " + variant + " | " + cell + " | " + metric;
  }
}
