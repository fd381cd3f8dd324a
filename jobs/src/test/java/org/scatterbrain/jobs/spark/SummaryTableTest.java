package org.scatterbrain.jobs.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scatterbrain.jobs.sweep.MethodRegistry;

/**
 * The table printed after a sweep reads the results with Parquet's own reader; it must count exactly the rows the
 * summary job counts (Spark: {@link SummaryBuilder#labelled}), across runs, with rows an older version wrote (Spark's
 * INT96 timestamps, no label, variant or reference columns), recomputed trials and references.
 */
class SummaryTableTest {
  private static SparkSession spark;
  @TempDir static Path tmp;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("SummaryTableTest").config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2").getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static final String SWEEP =
      """
      sweep {
        name = table
        seed = 5
        inputs = [ { kind = clustered, clusters = 4 } ]
        axes { n = [64], head-dim = [16], temperature = [0.5, 2], seeds = 2, causal = [false, true] }
        methods = [
          { method = exact }
          { method = local, window = [8, 32] }
          { method = performer, features = [16] }
          { method = oracle, support = top, top-k = [8] }
        ]
      }
      """;

  /** A line of comparison: label, reference flag, temperature, mask and error, in a canonical text. */
  private static String line(String label, boolean reference, double temperature, boolean causal, Double err) {
    return String.format(Locale.ROOT, "%s|%s|%s|%s|%.15g", label, reference, temperature, causal, err);
  }

  @Test
  void theTableCountsWhatTheSummaryJobCounts() throws IOException {
    Path conf = Files.writeString(tmp.resolve("table.conf"), SWEEP);
    Path output = tmp.resolve("out");
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    PrintStream quiet = new PrintStream(sink, true, StandardCharsets.UTF_8);
    assertEquals(0, SweepJob.run(new String[] {conf.toString(), "--output", output.toString(), "--run-id", "a"},
        spark, quiet, quiet), sink.toString(StandardCharsets.UTF_8));
    Path dir = output.resolve("table");
    Dataset<Row> first = spark.read().parquet(dir.resolve("run=a").resolve("wave=0").toString());
    // an older version's run, later (newest for every trial it holds), in Spark's own format: INT96 timestamps and no
    // label, variant or reference columns, errors tripled for half of the trials so that the selection shows
    Dataset<Row> later = first.filter(col(ResultSchema.SEED_INDEX).equalTo(0))
        .withColumn(ResultSchema.OUTPUT_REL_FRO, col(ResultSchema.OUTPUT_REL_FRO).multiply(3))
        .withColumn(ResultSchema.END_TIME, col(ResultSchema.END_TIME).plus(expr("INTERVAL 1 HOUR")))
        .withColumn(ResultSchema.RUN_ID, lit("b"))
        .drop(ResultSchema.METHOD_LABEL, ResultSchema.VARIANT, ResultSchema.REFERENCE);
    // and an earlier run of the other half, which the newest rows of run a replace
    Dataset<Row> earlier = first.filter(col(ResultSchema.SEED_INDEX).equalTo(1))
        .withColumn(ResultSchema.OUTPUT_REL_FRO, col(ResultSchema.OUTPUT_REL_FRO).multiply(10))
        .withColumn(ResultSchema.END_TIME, col(ResultSchema.END_TIME).minus(expr("INTERVAL 1 HOUR")))
        .withColumn(ResultSchema.RUN_ID, lit("0"));
    spark.conf().set("spark.sql.parquet.outputTimestampType", "INT96");
    later.coalesce(1).write().parquet(dir.resolve("run=b").resolve("wave=1").toString());
    spark.conf().unset("spark.sql.parquet.outputTimestampType");
    earlier.coalesce(1).write().parquet(dir.resolve("run=0").resolve("wave=1").toString());

    List<String> expected = new ArrayList<>();
    for (Row r : SummaryBuilder.labelled(Results.read(spark, dir, MethodRegistry.BUILT_IN, quiet))
        .select(ResultSchema.METHOD_LABEL, ResultSchema.REFERENCE, ResultSchema.TEMPERATURE, ResultSchema.CAUSAL,
            ResultSchema.OUTPUT_REL_FRO)
        .collectAsList()) {
      expected.add(line(r.getString(0), r.getBoolean(1), r.getDouble(2), r.getBoolean(3), r.getDouble(4)));
    }
    List<String> actual = new ArrayList<>();
    for (Results.OkRow r : Results.newestOkRows(dir, MethodRegistry.BUILT_IN, quiet)) {
      actual.add(line(r.label(), r.reference(), r.temperature(), r.causal(), r.outputRelFro()));
    }
    expected.sort(null);
    actual.sort(null);
    // 2 temperatures x 2 masks x 2 seeds x 4 approximations (local twice, performer, oracle)
    assertEquals(32, expected.size());
    assertEquals(expected, actual);
    assertTrue(actual.stream().anyMatch(l -> l.contains("|true|")), "the oracle is read as a reference");

    ByteArrayOutputStream table = new ByteArrayOutputStream();
    Summary.bestPerTemperature(dir, MethodRegistry.BUILT_IN, new PrintStream(table, true, StandardCharsets.UTF_8),
        quiet);
    String text = table.toString(StandardCharsets.UTF_8);
    for (String key : List.of("  0.5  ", "  2.0  ", "  0.5 causal  ", "  2.0 causal  ")) {
      assertTrue(text.contains(key), key + " in\n" + text);
    }
    assertTrue(!text.contains("oracle"), "references are never best:\n" + text);
    // the best line of each temperature is the smallest mean error Spark computes for it
    for (Row r : SummaryBuilder.labelled(Results.read(spark, dir, MethodRegistry.BUILT_IN, quiet))
        .filter(col(ResultSchema.REFERENCE).equalTo(false))
        .groupBy(ResultSchema.TEMPERATURE, ResultSchema.CAUSAL, ResultSchema.METHOD_LABEL)
        .agg(org.apache.spark.sql.functions.avg(ResultSchema.OUTPUT_REL_FRO).as("err"))
        .groupBy(ResultSchema.TEMPERATURE, ResultSchema.CAUSAL)
        .agg(org.apache.spark.sql.functions.min("err"))
        .collectAsList()) {
      String key = r.getDouble(0) + (r.getBoolean(1) ? " causal" : "");
      String best = String.format(Locale.ROOT, "%-10.4g", r.getDouble(2));
      assertTrue(text.lines().anyMatch(l -> l.startsWith("  " + key + " ") && l.contains(best)),
          key + " best " + best + " in\n" + text);
    }
  }
}
