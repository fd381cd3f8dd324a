package org.scatterbrain.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The summary job on results with known values, on a real sweep, and on bad input. */
class SummaryJobTest {
  private static SparkSession spark;

  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("SummaryJobTest")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** One ok result row with the given overrides (column name to value); every other column gets a neutral value. */
  private static Row row(Map<String, Object> set) {
    StructField[] fields = ResultSchema.SCHEMA.fields();
    Object[] values = new Object[fields.length];
    for (int i = 0; i < fields.length; i++) {
      StructField f = fields[i];
      Object v;
      if (set.containsKey(f.name())) {
        v = set.get(f.name());
      } else if (f.nullable()) {
        v = null;
      } else {
        v = switch (f.dataType().typeName()) {
          case "string" -> ResultSchema.STATUS.equals(f.name()) ? "ok" : "x";
          case "integer" -> 64;
          case "long" -> 1L;
          case "double" -> 1.0;
          case "timestamp" -> new Timestamp(0);
          default -> throw new IllegalStateException(f.dataType().typeName());
        };
      }
      values[i] = v;
    }
    return RowFactory.create(values);
  }

  private static Map<String, Object> trial(
      String method, int budget, double entries, double err, double entropy, String trialId) {
    Map<String, Object> m = new HashMap<>();
    m.put(ResultSchema.METHOD, method);
    m.put(ResultSchema.BUDGET, budget);
    m.put(ResultSchema.MEMORY_ENTRIES_PER_ROW, entries);
    m.put(ResultSchema.OUTPUT_REL_FRO, err);
    m.put(ResultSchema.EXACT_MEAN_ENTROPY, entropy);
    m.put(ResultSchema.TRIAL_ID, trialId);
    m.put(ResultSchema.INPUT_KIND, "gaussian");
    m.put(ResultSchema.INPUT_ID, "g");
    m.put(ResultSchema.SWEEP_NAME, "known");
    m.put(ResultSchema.TEMPERATURE, 1.0);
    return m;
  }

  /**
   * Two seeds per variant. Budget 32: performer 0.1 / 0.3 (mean 0.2), local 0.4 / 0.4, nystrom 0.25 / 0.25. Budget
   * 64: performer 0.15 / 0.15, local 0.1 / 0.1, nystrom 0.25 / sqrt(0.5). Exact rows must be ignored.
   */
  private Dataset<Row> known() {
    List<Row> rows = new ArrayList<>();
    int id = 0;
    double[][] errs32 = {{0.1, 0.3}, {0.4, 0.4}, {0.25, 0.25}};
    double[][] errs64 = {{0.15, 0.15}, {0.1, 0.1}, {0.25 / Math.sqrt(2), 0.25 / Math.sqrt(2)}};
    String[] methods = {"performer", "local", "nystrom"};
    for (int k = 0; k < 3; k++) {
      for (int s = 0; s < 2; s++) {
        rows.add(row(trial(methods[k], 32, 32, errs32[k][s], 5.0 + s, "t" + id++)));
        rows.add(row(trial(methods[k], 64, 64, errs64[k][s], 5.0 + s, "t" + id++)));
      }
    }
    Map<String, Object> exact = trial("exact", 32, 64, 0.0, 5.0, "t" + id++);
    exact.put(ResultSchema.BUDGET, null);
    rows.add(row(exact));
    Map<String, Object> failed = trial("performer", 32, 32, 9.0, 5.0, "t" + id++);
    failed.put(ResultSchema.STATUS, "failed");
    rows.add(row(failed));
    return spark.createDataFrame(rows, ResultSchema.SCHEMA);
  }

  private static Map<String, Row> byVariantAndBudget(Dataset<Row> cells) {
    Map<String, Row> m = new HashMap<>();
    for (Row r : cells.collectAsList()) {
      m.put(r.getAs(SummaryBuilder.VARIANT) + "@" + r.getAs(ResultSchema.BUDGET), r);
    }
    return m;
  }

  @Test
  void aggregatesOverSeedsAreExact() {
    Map<String, Row> cells = byVariantAndBudget(SummaryBuilder.cells(spark, known()));
    assertEquals(6, cells.size(), "3 variants x 2 budgets; exact and failed rows are left out");
    Row p = cells.get("performer@32");
    double mean = 0.2;
    double std = Math.sqrt(((0.1 - mean) * (0.1 - mean) + (0.3 - mean) * (0.3 - mean)) / 1);
    double half = new TDistribution(1).inverseCumulativeProbability(0.975) * std / Math.sqrt(2);
    // a few ulps of summation error: 1e-12 absolute on values of order 1
    assertEquals(mean, (double) p.getAs("output_rel_fro_mean"), 1e-12);
    assertEquals(std, (double) p.getAs("output_rel_fro_std"), 1e-12);
    assertEquals(mean - half, (double) p.getAs("output_rel_fro_ci95_low"), 1e-12);
    assertEquals(mean + half, (double) p.getAs("output_rel_fro_ci95_high"), 1e-12);
    assertEquals(0.1, (double) p.getAs("output_rel_fro_p10"), 0.0);
    assertEquals(0.3, (double) p.getAs("output_rel_fro_p90"), 0.0);
    assertEquals(2L, (long) p.getAs(SummaryBuilder.TRIALS));
    assertEquals(5.5, (double) p.getAs(SummaryBuilder.ENTROPY), 1e-12);
    assertTrue(p.isNullAt(p.fieldIndex("attn_rel_fro_mean")), "not computed in the input");
    assertEquals("performer", p.getAs(SummaryBuilder.METHOD_LABEL));
  }

  @Test
  void paretoFrontierAcrossBudgets() {
    Map<String, Row> cells = byVariantAndBudget(SummaryBuilder.cells(spark, known()));
    // (entries, error): performer (32, 0.2) and local (64, 0.1) are undominated; the rest are dominated
    assertTrue((boolean) cells.get("performer@32").getAs(SummaryBuilder.PARETO));
    assertTrue((boolean) cells.get("local@64").getAs(SummaryBuilder.PARETO));
    assertFalse((boolean) cells.get("nystrom@32").getAs(SummaryBuilder.PARETO));
    assertFalse((boolean) cells.get("local@32").getAs(SummaryBuilder.PARETO));
    assertFalse((boolean) cells.get("performer@64").getAs(SummaryBuilder.PARETO));
    assertFalse((boolean) cells.get("nystrom@64").getAs(SummaryBuilder.PARETO));
  }

  @Test
  void winnerAndMarginPerCell() {
    Dataset<Row> cells = SummaryBuilder.cells(spark, known());
    List<Row> winners = SummaryBuilder.winners(cells).collectAsList();
    assertEquals(2, winners.size());
    Row b32 = winners.get(0);
    assertEquals(32, (int) b32.getAs(ResultSchema.BUDGET));
    assertEquals("performer", b32.getAs("best_variant"));
    assertEquals("nystrom", b32.getAs("runner_up_variant"));
    assertEquals(0.05, (double) b32.getAs("margin"), 1e-12);
    assertEquals(1.25, (double) b32.getAs("ratio"), 1e-12);
    Row b64 = winners.get(1);
    assertEquals("local", b64.getAs("best_variant"));
    assertEquals(0.15 - 0.1, (double) b64.getAs("margin"), 1e-12);
  }

  @Test
  void powerLawFitRecoversTheExponent() {
    List<Row> fits = SummaryBuilder.fits(spark, known()).filter("method_label = 'nystrom'").collectAsList();
    assertEquals(1, fits.size());
    Row f = fits.get(0);
    assertEquals("budget", f.getAs("against"));
    // nystrom's error is exactly 0.25 (budget / 32)^(-1/2): exponent -0.5, prefactor 0.25 * 32^0.5, R^2 = 1
    assertEquals(-0.5, (double) f.getAs("exponent"), 1e-9);
    assertEquals(0.25 * Math.sqrt(32), (double) f.getAs("prefactor"), 1e-9);
    assertEquals(1.0, (double) f.getAs("r2"), 1e-9);
    assertEquals(4L, (long) f.getAs("points"));
  }

  @Test
  void powerLawFitsKeepTheMasksApart() {
    // the causal cells of nystrom fall as budget^-1 (0.5 at 32, 0.25 at 64), the bidirectional ones as budget^-1/2
    List<Row> rows = new ArrayList<>(known().collectAsList());
    int id = 1000;
    for (int s = 0; s < 2; s++) {
      for (int b : new int[] {32, 64}) {
        Map<String, Object> t = trial("nystrom", b, b, 0.5 * 32.0 / b, 4.0, "c" + id++);
        t.put(ResultSchema.CAUSAL, true);
        rows.add(row(t));
      }
    }
    List<Row> fits = SummaryBuilder.fits(spark, spark.createDataFrame(rows, ResultSchema.SCHEMA))
        .filter("method_label = 'nystrom'").orderBy(ResultSchema.CAUSAL).collectAsList();
    assertEquals(2, fits.size());
    assertEquals(false, fits.get(0).getAs(ResultSchema.CAUSAL));
    assertEquals(-0.5, (double) fits.get(0).getAs("exponent"), 1e-9);
    assertEquals(true, fits.get(1).getAs(ResultSchema.CAUSAL));
    assertEquals(-1.0, (double) fits.get(1).getAs("exponent"), 1e-9);
  }

  /** A sweep without a budget axis: variants differ by their own size parameters; budget is null everywhere. */
  @Test
  void sweepsWithoutABudgetAxisGetFrontiersAndRunnersUp() {
    List<Row> rows = new ArrayList<>();
    Object[][] variants = {{"performer", 8, null, 16.0, 0.3}, {"performer", 16, null, 32.0, 0.2}, {"local", null, 8, 8.0, 0.5}};
    int id = 0;
    for (Object[] v : variants) {
      for (int seed = 0; seed < 2; seed++) {
        Map<String, Object> t = trial((String) v[0], 0, (double) v[3], (double) v[4], 6.0, "u" + id++);
        t.put(ResultSchema.BUDGET, null);
        t.put(ResultSchema.FEATURES, v[1]);
        t.put(ResultSchema.WINDOW, v[2]);
        rows.add(row(t));
      }
    }
    Dataset<Row> cells = SummaryBuilder.cells(spark, spark.createDataFrame(rows, ResultSchema.SCHEMA));
    assertEquals(3, cells.count());
    assertEquals(3, cells.filter("pareto").count(), "each variant trades memory for error");
    List<Row> w = SummaryBuilder.winners(cells).collectAsList();
    assertEquals(1, w.size());
    assertEquals("performer F=16", w.get(0).getAs("best_variant"));
    assertEquals("performer F=8", w.get(0).getAs("runner_up_variant"));
    assertEquals(0.1, (double) w.get(0).getAs("margin"), 1e-12);
  }

  /** A trial recomputed with --force has two ok rows: only the newest counts. */
  @Test
  void recomputedTrialsCountOnce() {
    List<Row> rows = new ArrayList<>();
    for (int seed = 0; seed < 2; seed++) {
      Map<String, Object> old = trial("performer", 32, 32, 0.9, 5.0, "p" + seed);
      old.put(ResultSchema.END_TIME, new Timestamp(1000));
      rows.add(row(old));
      Map<String, Object> fresh = trial("performer", 32, 32, 0.2 + 0.1 * seed, 5.0, "p" + seed);
      fresh.put(ResultSchema.END_TIME, new Timestamp(2000));
      rows.add(row(fresh));
    }
    Row c = SummaryBuilder.cells(spark, spark.createDataFrame(rows, ResultSchema.SCHEMA)).first();
    assertEquals(2L, (long) c.getAs(SummaryBuilder.TRIALS));
    assertEquals(0.25, (double) c.getAs("output_rel_fro_mean"), 1e-12);
  }

  private int summarize(Path results, ByteArrayOutputStream out, ByteArrayOutputStream err, String... extra) {
    List<String> args = new ArrayList<>(List.of(results.toString()));
    args.addAll(List.of(extra));
    return SummaryJob.run(args.toArray(String[]::new), spark, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void everyCellOfARealSweepHasASummaryRow() throws IOException {
    Path conf = tmp.resolve("s.conf");
    Files.writeString(
        conf,
        """
        sweep { name = real, seed = 3, inputs = [ { kind = gaussian, self-attention = true } ]
          axes { n = [64, 128], head-dim = [16], temperature = [1, 8], seeds = 2, budget = [16, 32] }
          methods = [ { method = exact }, { method = performer }, { method = local }, { method = scatterbrain, sparse = local } ] }
        """);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path results = tmp.resolve("results");
    assertEquals(0, SweepJob.run(new String[] {conf.toString(), "--output", results.toString(), "--progress-seconds", "0"},
        spark, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)),
        err.toString(StandardCharsets.UTF_8));
    assertEquals(0, summarize(results.resolve("real"), out, err), err.toString(StandardCharsets.UTF_8));
    Path summary = tmp.resolve("results/real-summary");
    Dataset<Row> cells = spark.read().parquet(summary.resolve("cells").toString());
    // 2 n x 2 temperatures x 2 budgets = 8 cells, 3 approximate methods each
    assertEquals(8 * 3, cells.count());
    assertEquals(8, spark.read().parquet(summary.resolve("winners").toString()).count());
    assertEquals(0, cells.filter("trials != 2 OR entropy_mean IS NULL OR output_rel_fro_mean IS NULL").count());
    // budget fits for each method x temperature x n, and n fits for each method x temperature x budget
    assertEquals(3 * 2 * 2 * 2, spark.read().parquet(summary.resolve("fits").toString()).count());
    List<String> csv = Files.readAllLines(summary.resolve("winners.csv"));
    assertEquals(9, csv.size(), "header and 8 cells");
    assertTrue(csv.get(0).contains("best_variant"), csv.get(0));
  }

  @Test
  void missingResultsPathIsOneClearError() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(2, summarize(tmp.resolve("nowhere"), out, err));
    String e = err.toString(StandardCharsets.UTF_8).trim();
    assertEquals(1, e.lines().count(), e);
    assertTrue(e.startsWith("error: results path ") && e.endsWith("does not exist"), e);
  }

  @Test
  void folderWithoutResultsIsOneClearError() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Files.createDirectories(tmp.resolve("empty"));
    assertEquals(2, summarize(tmp.resolve("empty"), out, err));
    String e = err.toString(StandardCharsets.UTF_8).trim();
    assertEquals(1, e.lines().count(), e);
    assertTrue(e.contains("holds no sweep results"), e);
  }

  @Test
  void parquetThatIsNotASweepIsOneClearError() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path other = tmp.resolve("other");
    spark.range(3).write().parquet(other.toString());
    assertEquals(2, summarize(other, out, err));
    String e = err.toString(StandardCharsets.UTF_8).trim();
    assertEquals(1, e.lines().count(), e);
    assertTrue(e.contains("is not a sweep result: missing columns"), e);
  }
}
