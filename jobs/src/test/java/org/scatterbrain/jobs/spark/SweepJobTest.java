package org.scatterbrain.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep job end to end on a real local SparkSession. */
class SweepJobTest {
  private static final String SWEEP =
      """
      sweep {
        name = small
        seed = 11
        inputs = [ { kind = gaussian }, { kind = clustered, clusters = 4 } ]
        axes { n = [64, 96], head-dim = [16], temperature = [1, 4], seeds = 1 }
        methods = [
          { method = exact }
          { method = performer, features = [8] }
          { method = local, window = [16] }
          { method = scatterbrain, sparse = smyrf, features = [8], cluster-size = [16], hash-rounds = [2] }
        ]
      }
      """;
  private static final int TRIALS = 2 * 2 * 2 * 4;

  @TempDir Path tmp;
  private SparkSession spark;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @AfterEach
  void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
  }

  private SparkSession spark(String master) {
    stopSpark();
    spark =
        SparkSession.builder()
            .master(master)
            .appName("SweepJobTest")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "2")
            .getOrCreate();
    return spark;
  }

  private Path write(String text) throws IOException {
    Path f = Files.createTempFile(tmp, "sweep", ".conf");
    Files.writeString(f, text);
    return f;
  }

  private int run(SparkSession s, Path conf, Path output, String... extra) {
    String[] base = {conf.toString(), "--output", output.toString(), "--progress-seconds", "0"};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return SweepJob.run(args, s, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String log() {
    return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
  }

  private Dataset<Row> results(Path output) {
    return spark.read().parquet(output.resolve("small").toString());
  }

  @Test
  void smallSweepWritesEveryTrialWithTheSchema() throws IOException {
    Path output = tmp.resolve("out");
    assertEquals(0, run(spark("local[2]"), write(SWEEP), output), log());
    Dataset<Row> rows = results(output);
    assertEquals(TRIALS, rows.count());
    assertEquals(TRIALS, rows.select(ResultSchema.TRIAL_ID).distinct().count());
    assertEquals(TRIALS, rows.filter("status = 'ok'").count(), log());
    List<String> columns = List.of(rows.columns());
    for (StructField f : ResultSchema.SCHEMA.fields()) {
      assertTrue(columns.contains(f.name()), "missing column " + f.name());
      assertEquals(f.dataType(), rows.schema().apply(f.name()).dataType(), f.name());
    }
    assertTrue(columns.contains("run") && columns.contains("wave"), columns.toString());
    assertEquals(0, rows.filter("method = 'exact' AND output_rel_fro != 0").count());
    assertEquals(0, rows.filter("method = 'scatterbrain' AND support_mass IS NULL").count());
    assertTrue(log().contains("best method per temperature"), log());
    assertTrue(log().contains("8 exact references"), log());
  }

  @Test
  void causalAxisRunsBothMasksAndRecordsThem() throws IOException {
    String sweep =
        """
        sweep {
          name = small
          seed = 11
          inputs = [ { kind = clustered, clusters = 4 } ]
          axes { n = [64], head-dim = [16], temperature = [2], seeds = 1, causal = [false, true] }
          methods = [
            { method = exact }
            { method = local, window = [16, 64] }
            { method = scatterbrain, sparse = local, features = [8], window = [16] }
          ]
        }
        """;
    Path output = tmp.resolve("out");
    assertEquals(0, run(spark("local[2]"), write(sweep), output), log());
    Dataset<Row> rows = results(output);
    assertEquals(8, rows.count());
    assertEquals(8, rows.filter("status = 'ok'").count(), log());
    assertEquals(4, rows.filter("causal").count());
    assertEquals(4, rows.filter("NOT causal").count());
    assertTrue(log().contains("  2.0 causal "), "the best-method table keeps the masks apart: " + log());
    // a causal window of n keys sees each query's whole past: exact causal attention up to round-off (1e-12 is
    // far below any approximation error and far above double round-off on 64 keys)
    assertEquals(1, rows.filter("causal AND method = 'local' AND output_rel_fro < 1e-12").count(), log());
    assertEquals(0, rows.filter("method = 'exact' AND output_rel_fro != 0").count());
    // the causal window holds the W most recent keys: its first W - 1 rows see fewer, so the mean entry count is
    // W - W (W - 1) / (2 n) = 16 - 240 / 128 = 14.125 against 16
    Row[] local16 = (Row[]) rows.filter("method = 'local' AND variant LIKE '%16%'").orderBy("causal")
        .select("memory_entries_per_row").collect();
    assertEquals(2, local16.length);
    assertEquals(16.0, local16[0].getDouble(0), 1e-12);
    assertEquals(14.125, local16[1].getDouble(0), 1e-12);
  }

  private Map<String, List<Object>> metrics(Path output) {
    Map<String, List<Object>> m = new HashMap<>();
    for (Row r :
        results(output)
            .select("trial_id", "output_rel_fro", "output_max_abs", "attn_rel_fro", "kl_mean", "kl_max", "tv_mean",
                "support_mass", "exact_mean_entropy", "memory_bytes")
            .collectAsList()) {
      m.put(r.getString(0), List.of(r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6),
          r.get(7) == null ? "null" : r.get(7), r.get(8), r.get(9)));
    }
    return m;
  }

  @Test
  void metricsAreIdenticalAcrossParallelismAndPartitioning() throws IOException {
    Path conf = write(SWEEP);
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    Path c = tmp.resolve("c");
    assertEquals(0, run(spark("local[1]"), conf, a, "--partitions", "1"), log());
    Map<String, List<Object>> one = metrics(a);
    assertEquals(0, run(spark("local[2]"), conf, b, "--partitions", "2"), log());
    assertEquals(0, run(spark, conf, c, "--partitions", "5", "--wave-groups", "3"), log());
    assertEquals(TRIALS, one.size());
    assertEquals(one, metrics(b));
    assertEquals(one, metrics(c));
  }

  @Test
  void rerunWithOneMoreSeedComputesOnlyTheNewTrials() throws IOException {
    Path output = tmp.resolve("out");
    assertEquals(0, run(spark("local[2]"), write(SWEEP), output, "--run-id", "first"), log());
    out.reset();
    assertEquals(
        0, run(spark, write(SWEEP.replace("seeds = 1", "seeds = 2")), output, "--run-id", "second"), log());
    Dataset<Row> rows = results(output);
    assertEquals(TRIALS, rows.filter("run = 'first'").count());
    assertEquals(TRIALS, rows.filter("run = 'second'").count());
    assertEquals(0, rows.filter("run = 'second' AND seed_index = 0").count());
    assertEquals(2 * TRIALS, rows.select("trial_id").distinct().count());
    assertTrue(log().contains(TRIALS + " already done"), log());
    out.reset();
    assertEquals(0, run(spark, write(SWEEP.replace("seeds = 1", "seeds = 2")), output, "--run-id", "third"), log());
    assertTrue(log().contains("0 to run"), log());
    assertEquals(0, results(output).filter("run = 'third'").count());
  }

  @Test
  void failedTrialsAreRecordedAndRecomputedOnRerun() throws IOException {
    Path output = tmp.resolve("out");
    String failing = SWEEP.replace("seed = 11", "seed = 11\n debug.fail-trials-matching = \"method=performer\"");
    assertEquals(3, run(spark("local[2]"), write(failing), output, "--run-id", "broken"), log());
    Dataset<Row> rows = results(output);
    assertEquals(TRIALS, rows.count());
    assertEquals(TRIALS / 4, rows.filter("status = 'failed' AND method = 'performer'").count());
    assertEquals(TRIALS * 3 / 4, rows.filter("status = 'ok'").count());
    assertEquals(0, rows.filter("status = 'failed' AND (error IS NULL OR error NOT LIKE '%injected%')").count());
    assertEquals(0, run(spark, write(SWEEP), output, "--run-id", "fixed"), log());
    assertEquals(TRIALS / 4, results(output).filter("run = 'fixed' AND status = 'ok'").count());
  }

  @Test
  void badConfigFailsBeforeSparkStarts() throws IOException {
    stopSpark();
    int code = run(null, write(SWEEP.replace("cluster-size = [16]", "cluster-size = [500]")), tmp.resolve("out"));
    assertEquals(2, code);
    String message = err.toString(StandardCharsets.UTF_8);
    assertTrue(message.startsWith("error: sweep.methods[3]"), message);
    assertTrue(message.contains("clusterSize") && message.contains("500"), message);
    assertTrue(SparkSession.getDefaultSession().isEmpty(), "a SparkSession was created");
    assertTrue(!Files.exists(tmp.resolve("out")), "output written");
  }

  @Test
  void reusedRunIdIsRejectedBeforeAnyWork() throws IOException {
    Path output = tmp.resolve("out");
    assertEquals(0, run(spark("local[2]"), write(SWEEP), output, "--run-id", "same"), log());
    err.reset();
    assertEquals(2, run(spark, write(SWEEP), output, "--run-id", "same", "--force"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--run-id: got 'same'"), log());
    assertEquals(2, run(spark, write(SWEEP), output, "--run-id", "a/b"));
  }

  @Test
  void missingSweepFileIsOneClearError() {
    int code = run(null, tmp.resolve("nope.conf"), tmp.resolve("out"));
    assertEquals(2, code);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("nope.conf does not exist"), log());
  }

  @Test
  void overridesReplaceKeys() throws IOException {
    Path output = tmp.resolve("out");
    assertEquals(
        0, run(spark("local[2]"), write(SWEEP), output, "--set", "sweep.axes.n=[64]", "--set",
            "sweep.axes.temperature=[2]"), log());
    Dataset<Row> rows = results(output);
    assertEquals(2 * 4, rows.count());
    assertEquals(0, rows.filter("n != 64 OR temperature != 2.0").count());
  }

  @Test
  void aTrialPastItsTimeLimitIsAFailedRowAndTheSweepFinishes() throws IOException {
    Path output = tmp.resolve("limit");
    Path conf = write(SWEEP + "sweep.debug.stall-trials-matching = \"method=local\"\nsweep.limits.trial-seconds = 1\n");
    assertEquals(3, run(spark("local[2]"), conf, output), log());
    Dataset<Row> rows = results(output);
    assertEquals(TRIALS, rows.count());
    List<Row> failed = rows.filter("status = 'failed'").select("method", "error").collectAsList();
    assertEquals(8, failed.size(), failed.toString());
    for (Row r : failed) {
      assertEquals("local", r.getString(0));
      assertTrue(r.getString(1).startsWith("TimeLimitExceeded: the trial ran longer than its limit of 1 s"), r.getString(1));
    }
    assertEquals(TRIALS - 8, rows.filter("status = 'ok'").count());
  }
}
