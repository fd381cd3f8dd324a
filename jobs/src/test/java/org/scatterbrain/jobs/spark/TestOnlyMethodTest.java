package org.scatterbrain.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scatterbrain.core.LocalConfig;
import org.scatterbrain.jobs.sweep.Combination;
import org.scatterbrain.jobs.sweep.MethodCodec;
import org.scatterbrain.jobs.sweep.MethodRegistry;
import org.scatterbrain.jobs.sweep.Param;

/**
 * Adding a method in jobs is one registry entry: a test-only method with a parameter no built-in method has is
 * declared once below ({@link #NARROW}), and sweeps accept it, validate it, give its trials ids, run them on a real
 * SparkSession, write its parameter column, label and variant, and the summary names it, with no other change.
 */
class TestOnlyMethodTest {
  /** A new parameter: the share of the budget the window gets. */
  static final Param FRACTION = Param.number("window-fraction", "window_fraction", "f", 0.01, 1.0);

  /** Local attention whose window is a fraction of the budget (or of a listed window): one codec, nothing else. */
  static final MethodCodec NARROW =
      new MethodCodec() {
        private static final long serialVersionUID = 1L;

        @Override
        public String method() {
          return "narrow-local";
        }

        @Override
        public List<Param> params() {
          return List.of(org.scatterbrain.jobs.sweep.Params.WINDOW, FRACTION);
        }

        @Override
        public Resolved resolve(Combination c) {
          double f = c.get(FRACTION, 0.5);
          int base = c.budget() == null ? c.<Integer>require(org.scatterbrain.jobs.sweep.Params.WINDOW) : c.budget();
          LocalConfig l = new LocalConfig(Math.max(1, (int) Math.floor(f * base)));
          return new Resolved(l, Map.of(org.scatterbrain.jobs.sweep.Params.WINDOW, l.window(), FRACTION, f));
        }
      };

  @TempDir Path tmp;

  @Test
  void aTestOnlyMethodIsOneRegistryEntry() throws Exception {
    Path conf = tmp.resolve("narrow.conf");
    Files.writeString(conf, """
        sweep {
          name = narrow
          seed = 3
          inputs = [ { kind = gaussian } ]
          axes { n = [64], head-dim = [8], temperature = [1, 8], seeds = 1, budget = [32] }
          methods = [ { method = exact }, { method = local }, { method = narrow-local, window-fraction = [0.25, 0.5] } ]
        }
        """);
    MethodRegistry registry = MethodRegistry.BUILT_IN.with(NARROW);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    SparkSession spark = SparkSession.builder().master("local[2]").appName("TestOnlyMethodTest")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    try {
      // a bad value of the new parameter is a configuration error naming its key
      Path bad = tmp.resolve("bad.conf");
      Files.writeString(bad, Files.readString(conf).replace("[0.25, 0.5]", "[2]"));
      assertEquals(2, SweepJob.run(new String[] {bad.toString()}, spark, out, out, registry));
      assertTrue(log.toString(StandardCharsets.UTF_8).contains(
          "sweep.methods[2].window-fraction: got 2; allowed: numbers in [0.01, 1]"), log.toString());
      // the built-in registry does not know the method
      assertEquals(2, SweepJob.run(new String[] {conf.toString()}, spark, out, out));

      String[] args = {conf.toString(), "--output", tmp.resolve("results").toString(), "--progress-seconds", "0"};
      assertEquals(0, SweepJob.run(args, spark, out, out, registry), log.toString(StandardCharsets.UTF_8));
      List<Row> rows = Results.read(spark, tmp.resolve("results/narrow"), registry, out)
          .filter("method = 'narrow-local'").collectAsList();
      assertEquals(4, rows.size());
      Set<String> seen = new HashSet<>();
      for (Row r : rows) {
        assertEquals("ok", r.getAs(ResultSchema.STATUS));
        double f = r.getAs("window_fraction");
        int window = r.getAs(ResultSchema.WINDOW);
        assertEquals((int) Math.floor(f * 32), window);
        assertEquals("narrow-local", r.getAs(ResultSchema.METHOD_LABEL));
        assertEquals("narrow-local f=" + (f == 0.25 ? "0.25" : "0.5"), r.getAs(ResultSchema.VARIANT));
        assertEquals((double) window, (double) r.getAs(ResultSchema.MEMORY_ENTRIES_PER_ROW), 0.0);
        seen.add(r.getAs(ResultSchema.VARIANT) + "@" + r.getAs(ResultSchema.TEMPERATURE));
      }
      assertEquals(4, seen.size());
      // the summary names it by the same scheme
      List<Row> cells = SummaryBuilder.cells(spark,
          Results.read(spark, tmp.resolve("results/narrow"), registry, out)).filter("method_label = 'narrow-local'")
          .collectAsList();
      assertEquals(4, cells.size());
    } finally {
      spark.stop();
    }
  }
}
