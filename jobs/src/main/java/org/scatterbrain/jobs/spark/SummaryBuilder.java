package org.scatterbrain.jobs.spark;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sqrt;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.functions;
import org.apache.spark.ml.regression.LinearRegression;
import org.apache.spark.ml.regression.LinearRegressionModel;
import org.apache.spark.ml.stat.Summarizer;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.scatterbrain.jobs.sweep.MethodRegistry;

/**
 * Summaries of a sweep's results, computed with Spark SQL and MLlib:
 *
 * <ul>
 *   <li>{@link #cells}: per cell (input, n, d, dv, temperature, budget) and method variant, the mean, standard
 *       deviation, 95% confidence interval (Student t over seeds) and 10/50/90% quantiles of each error metric
 *       ({@link Summarizer} for moments), the cell's mean attention-row entropy, memory, and whether the variant is on
 *       the error/memory Pareto frontier of its cell (across budgets) and the winner of its cell;
 *   <li>{@link #winners}: per cell, the best variant by mean output error, the runner-up and the margin;
 *   <li>{@link #fits}: per method label (against budget) or variant (against n), power laws {@code error ~ a * budget^b} and {@code error ~ a * n^b} fitted by
 *       {@link LinearRegression} on logs, with exponent b and R^2.
 * </ul>
 */
public final class SummaryBuilder {
  private SummaryBuilder() {}

  /** The error metrics summarised, and the time. */
  public static final List<String> METRICS =
      List.of(
          ResultSchema.OUTPUT_REL_FRO,
          ResultSchema.ATTN_REL_FRO,
          ResultSchema.KL_MEAN,
          ResultSchema.TV_MEAN,
          ResultSchema.SUPPORT_MASS,
          ResultSchema.WALL_TIME_S);

  /** Columns that identify a cell. */
  public static final List<String> CELL =
      List.of(
          ResultSchema.SWEEP_NAME,
          ResultSchema.INPUT_KIND,
          ResultSchema.INPUT_ID,
          ResultSchema.N,
          ResultSchema.D,
          ResultSchema.DV,
          ResultSchema.TEMPERATURE,
          ResultSchema.CAUSAL,
          ResultSchema.BUDGET);

  /** A cell without its budget: the scope of a Pareto frontier. */
  public static final List<String> FRONTIER_SCOPE = CELL.subList(0, CELL.size() - 1);

  /** Method label: method, or method-sparse kind for Scatterbrain ("scatterbrain-local"). */
  public static final String METHOD_LABEL = ResultSchema.METHOD_LABEL;

  /** Method label plus its non-derived parameters: distinguishes variants of one method within a cell. */
  public static final String VARIANT = ResultSchema.VARIANT;

  public static final String ENTROPY = "entropy_mean";
  public static final String ENTRIES_PER_ROW = "entries_per_row";
  public static final String MEMORY_BYTES = "memory_bytes_mean";
  public static final String TRIALS = "trials";
  public static final String PARETO = "pareto";
  public static final String BEST = "best";

  private static Column[] cols(List<String> names) {
    return names.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
  }

  /**
   * The ok rows of non-exact methods, each trial once (its newest row), with the {@link #METHOD_LABEL} and {@link
   * #VARIANT} every result row carries ({@link Results#read} derives them for rows written before those columns).
   */
  public static Dataset<Row> labelled(Dataset<Row> results) {
    return labelled(results, MethodRegistry.BUILT_IN);
  }

  /** {@link #labelled(Dataset)} for the methods of {@code registry}. */
  public static Dataset<Row> labelled(Dataset<Row> results, MethodRegistry registry) {
    // a trial recomputed with --force has several ok rows: its newest one counts, once
    WindowSpec newest =
        Window.partitionBy(col(ResultSchema.SWEEP_NAME), col(ResultSchema.TRIAL_ID))
            .orderBy(col(ResultSchema.END_TIME).desc(), col(ResultSchema.RUN_ID).desc());
    return Results.named(results, registry)
        .filter(col(ResultSchema.STATUS).equalTo("ok").and(col(ResultSchema.METHOD).notEqual("exact")))
        .withColumn("newest", row_number().over(newest))
        .filter(col("newest").equalTo(1))
        .drop("newest");
  }

  /**
   * What the summary leaves out, and why, one line each: failed trials (no metrics), and non-finite values in ok rows
   * (which this version never writes: they come from results of older versions) per metric. Empty when nothing is
   * left out. Metrics that were not computed (attention errors above the size limit) are nulls, not drops.
   */
  public static List<String> dropped(Dataset<Row> results) {
    List<String> out = new ArrayList<>();
    Dataset<Row> approx = results.filter(col(ResultSchema.METHOD).notEqual("exact"));
    long failed = approx.filter(col(ResultSchema.STATUS).notEqual("ok")).count();
    if (failed > 0) {
      out.add("dropped: " + failed + " failed trials (status 'failed'; their errors are in the results, and a rerun "
          + "computes them again)");
    }
    Dataset<Row> ok = approx.filter(col(ResultSchema.STATUS).equalTo("ok"));
    List<Column> counts = new ArrayList<>();
    for (String m : METRICS) {
      Column v = col(m).cast("double");
      counts.add(org.apache.spark.sql.functions.sum(when(v.isNotNull().and(isnan(v).or(v.isin(Double.POSITIVE_INFINITY,
          Double.NEGATIVE_INFINITY))), 1).otherwise(0)).as(m));
    }
    Row r = ok.agg(counts.get(0), counts.subList(1, counts.size()).toArray(Column[]::new)).first();
    for (int i = 0; i < METRICS.size(); i++) {
      long n = r.isNullAt(i) ? 0 : r.getLong(i);
      if (n > 0) {
        out.add("dropped: " + n + " non-finite values of " + METRICS.get(i) + " in ok rows (written by an older "
            + "version, which did not check metrics; rerun those trials with --force to replace them)");
      }
    }
    return out;
  }

  /** Student t quantile t_{0.975, k - 1}, null below two samples. */
  private static final UDF1<Long, Double> T975 =
      k -> k == null || k < 2 ? null : new TDistribution(k - 1).inverseCumulativeProbability(0.975);

  /** Per cell and variant statistics, with Pareto and winner flags (see class comment). */
  public static Dataset<Row> cells(SparkSession spark, Dataset<Row> results) {
    spark.udf().register("t975", T975, DataTypes.DoubleType);
    Dataset<Row> ok = labelled(results);
    // NaN stands in for "not computed" inside the vector; it is turned back into null below
    List<String> vectorInputs = new ArrayList<>();
    for (String m : METRICS) {
      String v = "v_" + m;
      ok = ok.withColumn(v, coalesce(col(m).cast("double"), lit(Double.NaN)));
      vectorInputs.add(v);
    }
    ok =
        new VectorAssembler()
            .setInputCols(vectorInputs.toArray(String[]::new))
            .setOutputCol("metrics")
            .setHandleInvalid("keep")
            .transform(ok);
    List<Column> aggs = new ArrayList<>();
    aggs.add(Summarizer.metrics("mean", "std", "count").summary(col("metrics")).as("s"));
    aggs.add(count(lit(1)).as(TRIALS));
    aggs.add(avg(col(ResultSchema.EXACT_MEAN_ENTROPY)).as(ENTROPY));
    aggs.add(avg(col(ResultSchema.MEMORY_ENTRIES_PER_ROW)).as(ENTRIES_PER_ROW));
    aggs.add(avg(col(ResultSchema.MEMORY_BYTES)).as(MEMORY_BYTES));
    aggs.add(first(col(METHOD_LABEL)).as(METHOD_LABEL));
    aggs.add(first(col(ResultSchema.METHOD)).as(ResultSchema.METHOD));
    aggs.add(first(col(ResultSchema.SPARSE_KIND)).as(ResultSchema.SPARSE_KIND));
    aggs.add(first(col(ResultSchema.REFERENCE)).as(ResultSchema.REFERENCE));
    for (String m : METRICS) {
      aggs.add(percentile_approx(col(m), array(lit(0.1), lit(0.5), lit(0.9)), lit(10000)).as("q_" + m));
    }
    List<String> keys = new ArrayList<>(CELL);
    keys.add(VARIANT);
    Dataset<Row> g =
        ok.groupBy(cols(keys)).agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new));
    g = g.withColumn("mean_arr", functions.vector_to_array(col("s.mean"), "float64"))
        .withColumn("std_arr", functions.vector_to_array(col("s.std"), "float64"));
    Column t = org.apache.spark.sql.functions.call_udf("t975", col(TRIALS));
    for (int i = 0; i < METRICS.size(); i++) {
      String m = METRICS.get(i);
      Column mean = col("mean_arr").getItem(i);
      Column std = col("std_arr").getItem(i);
      Column valid = mean.isNotNull().and(isnan(mean).unary_$bang());
      Column half = t.multiply(std).divide(sqrt(col(TRIALS).cast("double")));
      g = g.withColumn(m + "_mean", when(valid, mean))
          .withColumn(m + "_std", when(valid.and(col(TRIALS).geq(2)), std))
          .withColumn(m + "_ci95_low", when(valid.and(col(TRIALS).geq(2)), mean.minus(half)))
          .withColumn(m + "_ci95_high", when(valid.and(col(TRIALS).geq(2)), mean.plus(half)))
          .withColumn(m + "_p10", col("q_" + m).getItem(0))
          .withColumn(m + "_p50", col("q_" + m).getItem(1))
          .withColumn(m + "_p90", col("q_" + m).getItem(2));
    }
    List<String> drop = new ArrayList<>(List.of("s", "mean_arr", "std_arr"));
    METRICS.forEach(m -> drop.add("q_" + m));
    g = g.drop(drop.toArray(String[]::new));
    return flagWinners(flagPareto(g));
  }

  private static final String ERR = ResultSchema.OUTPUT_REL_FRO + "_mean";

  /**
   * Marks rows no other row of the same frontier scope dominates in (entries per row, mean output error). References
   * (oracles) are never on the frontier and never dominate.
   */
  static Dataset<Row> flagPareto(Dataset<Row> cells) {
    Dataset<Row> withError = cells.filter(col(ERR).isNotNull().and(col(ResultSchema.REFERENCE).equalTo(false)));
    Dataset<Row> a = withError.alias("a");
    Dataset<Row> b = withError.alias("b");
    Column same = lit(true);
    for (String k : FRONTIER_SCOPE) {
      same = same.and(col("a." + k).eqNullSafe(col("b." + k)));
    }
    Column dominated =
        same.and(col("b." + ENTRIES_PER_ROW).leq(col("a." + ENTRIES_PER_ROW)))
            .and(col("b." + ERR).leq(col("a." + ERR)))
            .and(col("b." + ENTRIES_PER_ROW).lt(col("a." + ENTRIES_PER_ROW))
                .or(col("b." + ERR).lt(col("a." + ERR))));
    Dataset<Row> frontier = a.join(b, dominated, "left_anti").select(col("a.*")).withColumn(PARETO, lit(true));
    List<String> keys = new ArrayList<>(CELL);
    keys.add(VARIANT);
    Dataset<Row> marks = frontier.select(cols(keys)).withColumn(PARETO, lit(true));
    return leftJoinNullSafe(cells, marks, keys).withColumn(PARETO, coalesce(col(PARETO), lit(false)));
  }

  /**
   * {@code left} left-joined with {@code right} on {@code keys}, where null equals null (a sweep without a budget
   * axis has a null budget in every row). The right side's key columns are dropped.
   */
  static Dataset<Row> leftJoinNullSafe(Dataset<Row> left, Dataset<Row> right, List<String> keys) {
    Dataset<Row> r = right;
    Column on = lit(true);
    for (String k : keys) {
      r = r.withColumnRenamed(k, "r_" + k);
    }
    for (String k : keys) {
      on = on.and(left.col(k).eqNullSafe(r.col("r_" + k)));
    }
    Dataset<Row> joined = left.join(r, on, "left");
    for (String k : keys) {
      joined = joined.drop(r.col("r_" + k));
    }
    return joined;
  }

  /** Within a cell: methods before references (oracles), then by mean output error. */
  private static WindowSpec byCell() {
    return Window.partitionBy(cols(CELL))
        .orderBy(col(ResultSchema.REFERENCE).asc(), col(ERR).asc_nulls_last(), col(VARIANT));
  }

  static Dataset<Row> flagWinners(Dataset<Row> cells) {
    return cells
        .withColumn("rank", row_number().over(byCell()))
        .withColumn(BEST, col("rank").equalTo(1).and(col(ResultSchema.REFERENCE).equalTo(false)))
        .drop("rank");
  }

  /** Per cell: the best variant by mean output error, the runner-up, margin and ratio. */
  public static Dataset<Row> winners(Dataset<Row> cells) {
    Dataset<Row> ranked =
        cells.filter(col(ERR).isNotNull().and(col(ResultSchema.REFERENCE).equalTo(false)))
            .withColumn("rank", row_number().over(byCell()));
    Dataset<Row> best =
        ranked.filter(col("rank").equalTo(1))
            .select(
                concatCols(CELL,
                    col(VARIANT).as("best_variant"),
                    col(METHOD_LABEL).as("best_method"),
                    col(ERR).as("best_error"),
                    col(ENTRIES_PER_ROW).as("best_entries_per_row"),
                    col(ENTROPY)));
    Dataset<Row> second =
        ranked.filter(col("rank").equalTo(2))
            .select(concatCols(CELL, col(VARIANT).as("runner_up_variant"), col(ERR).as("runner_up_error")));
    return leftJoinNullSafe(best, second, CELL)
        .withColumn("margin", col("runner_up_error").minus(col("best_error")))
        // a best error of exactly 0 (a sparse method exact at an extreme temperature) has no ratio
        .withColumn("ratio", when(col("best_error").gt(0), col("runner_up_error").divide(col("best_error"))))
        .orderBy(cols(CELL));
  }

  private static Column[] concatCols(List<String> names, Column... more) {
    List<Column> out = new ArrayList<>(Arrays.asList(cols(names)));
    out.addAll(Arrays.asList(more));
    return out.toArray(Column[]::new);
  }

  /** Schema of {@link #fits}. */
  public static final StructType FIT_SCHEMA =
      DataTypes.createStructType(
          List.of(
              DataTypes.createStructField("against", DataTypes.StringType, false),
              DataTypes.createStructField(METHOD_LABEL, DataTypes.StringType, false),
              DataTypes.createStructField(VARIANT, DataTypes.StringType, true),
              DataTypes.createStructField(ResultSchema.INPUT_KIND, DataTypes.StringType, false),
              DataTypes.createStructField(ResultSchema.INPUT_ID, DataTypes.StringType, false),
              DataTypes.createStructField(ResultSchema.D, DataTypes.IntegerType, false),
              DataTypes.createStructField(ResultSchema.TEMPERATURE, DataTypes.DoubleType, false),
              DataTypes.createStructField(ResultSchema.CAUSAL, DataTypes.BooleanType, false),
              DataTypes.createStructField("fixed", DataTypes.StringType, false),
              DataTypes.createStructField("exponent", DataTypes.DoubleType, false),
              DataTypes.createStructField("prefactor", DataTypes.DoubleType, false),
              DataTypes.createStructField("r2", DataTypes.DoubleType, true),
              DataTypes.createStructField("points", DataTypes.LongType, false),
              DataTypes.createStructField("levels", DataTypes.LongType, false)));

  /**
   * Power laws {@code error = prefactor * x^exponent} of the per-trial output error against the budget (per method
   * label, input, d, temperature, mask and n: the size parameters follow the budget) and against n (per variant,
   * input, d, temperature, mask and budget), fitted by least squares on logs with MLlib's {@link LinearRegression}; only
   * where x takes at least two values.
   */
  public static Dataset<Row> fits(SparkSession spark, Dataset<Row> results) {
    Dataset<Row> ok =
        labelled(results)
            .filter(col(ResultSchema.OUTPUT_REL_FRO).gt(0))
            // rows written before the mask existed are bidirectional
            .withColumn(ResultSchema.CAUSAL, coalesce(col(ResultSchema.CAUSAL), lit(false)))
            .withColumn("log_err", log(col(ResultSchema.OUTPUT_REL_FRO)))
            .cache();
    List<Row> out = new ArrayList<>();
    out.addAll(fit(ok, "budget", ResultSchema.BUDGET, ResultSchema.N, false));
    out.addAll(fit(ok, "n", ResultSchema.N, ResultSchema.BUDGET, true));
    ok.unpersist();
    return spark.createDataFrame(out, FIT_SCHEMA);
  }

  private static List<Row> fit(Dataset<Row> ok, String against, String x, String fixed, boolean perVariant) {
    List<Row> out = new ArrayList<>();
    Dataset<Row> withX = ok.filter(col(x).isNotNull()).withColumn("log_x", log(col(x).cast("double")));
    String family = perVariant ? VARIANT : METHOD_LABEL;
    List<String> keys =
        List.of(family, ResultSchema.INPUT_KIND, ResultSchema.INPUT_ID, ResultSchema.D, ResultSchema.TEMPERATURE, fixed,
            ResultSchema.CAUSAL);
    List<Row> groups =
        withX.groupBy(cols(keys))
            .agg(
                org.apache.spark.sql.functions.countDistinct(col(x)).as("levels"),
                count(lit(1)).as("points"),
                first(col(METHOD_LABEL)).as("label"))
            .filter(col("levels").geq(2))
            .orderBy(cols(keys))
            .collectAsList();
    VectorAssembler assembler = new VectorAssembler().setInputCols(new String[] {"log_x"}).setOutputCol("fx");
    for (Row g : groups) {
      Column sel = lit(true);
      for (int i = 0; i < keys.size(); i++) {
        sel = sel.and(col(keys.get(i)).eqNullSafe(g.isNullAt(i) ? lit(null) : lit(g.get(i))));
      }
      Dataset<Row> data = assembler.transform(withX.filter(sel));
      LinearRegressionModel model =
          new LinearRegression()
              .setFeaturesCol("fx")
              .setLabelCol("log_err")
              .setSolver("normal")
              .fit(data);
      double r2 = model.summary().r2();
      out.add(
          RowFactory.create(
              against,
              g.getString(9),
              perVariant ? g.getString(0) : null,
              g.getString(1),
              g.getString(2),
              g.getInt(3),
              g.getDouble(4),
              g.getBoolean(6),
              fixed + "=" + (g.isNullAt(5) ? "none" : g.get(5).toString()),
              model.coefficients().apply(0),
              Math.exp(model.intercept()),
              Double.isFinite(r2) ? r2 : null,
              g.getLong(8),
              g.getLong(7)));
    }
    return out;
  }
}
