package org.scatterbrain.jobs.regression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scatterbrain.jobs.sweep.InputGroup;
import org.scatterbrain.jobs.sweep.SweepPlan;
import org.scatterbrain.jobs.sweep.SweepSpec;
import org.scatterbrain.jobs.sweep.Trial;

/**
 * The regression logic without Spark: a backend that returns chosen metrics shows the verdicts follow from them (no
 * baseline, baseline written, pass, a regressed metric, a failed trial), which {@code RegressionJobTest} then checks
 * end to end on a real SparkSession.
 */
class RegressionRunTest {
  private static final String SWEEP = """
      sweep {
        name = fake
        seed = 1
        inputs = [ { kind = gaussian } ]
        axes { n = [32], head-dim = [8], temperature = [1], seeds = 1, budget = [16] }
        methods = [ { method = exact }, { method = local }, { method = performer } ]
      }
      """;

  @TempDir Path tmp;

  /** Every trial ok with output error {@code error} (local's error times {@code localFactor}), unless failed. */
  private static final class Fake implements RegressionRun.Backend {
    double localFactor = 1;
    boolean failLocal;
    int probes;

    @Override
    public SpeedProbe.Result probe(SpeedProbe probe, String what) {
      probes++;
      List<Measurement> ratios = new ArrayList<>();
      ratios.add(new Measurement(Category.SPEED, "local", probe.cell() + " B=16", SpeedProbe.METRIC, 0.5, "", ""));
      return new SpeedProbe.Result(Testbed.current("spark", "ojalgo"), 0.01, ratios);
    }

    @Override
    public RegressionRun.SweepRun sweep(SweepPlan plan, String runId) {
      Map<String, RegressionRun.TrialRow> rows = new HashMap<>();
      for (InputGroup g : plan.groups()) {
        for (Trial t : g.trials()) {
          boolean local = t.method().method().equals("local");
          Map<String, Double> m = new HashMap<>();
          m.put("output_rel_fro", local ? 0.25 * localFactor : 0.5);
          m.put("memory_entries_per_row", 16.0);
          rows.put(t.trialId(), local && failLocal
              ? new RegressionRun.TrialRow("failed", "boom", Map.of())
              : new RegressionRun.TrialRow("ok", null, m));
        }
      }
      return new RegressionRun.SweepRun(runId, rows.size(), 0, 0.1, rows);
    }

    @Override
    public RegressionRun.Build build() {
      return new RegressionRun.Build("spark", "ojalgo", "abc", "0.1");
    }
  }

  private RegressionRun.Outcome run(Fake fake, boolean update) {
    SweepSpec spec = SweepSpec.of(ConfigFactory.parseString(SWEEP), tmp);
    PrintStream log = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    return RegressionRun.run(spec, SweepPlan.expand(spec), RegressionSettings.defaults().withHeadDim(8), "fake.conf",
        tmp.resolve("baselines"), update, null, "r1", log, fake);
  }

  @Test
  void verdictsFollowTheBackendsMetrics() throws Exception {
    Fake fake = new Fake();
    assertEquals(RegressionRun.EXIT_NO_BASELINE, run(fake, false).report().exitCode());
    Files.createDirectories(tmp.resolve("baselines"));
    RegressionRun.Outcome written = run(fake, true);
    assertEquals(0, written.report().exitCode());
    assertEquals("baseline-updated", written.report().status());
    assertEquals("pass", run(fake, false).report().status());

    fake.localFactor = 1.5;
    RegressionRun.Outcome worse = run(fake, false);
    assertEquals(RegressionRun.EXIT_REGRESSION, worse.report().exitCode());
    Comparison first = worse.report().result().comparisons().get(0);
    assertEquals("local", first.variant());
    assertEquals("output_rel_fro", first.metric());
    assertTrue(first.cell().endsWith(" B=16"), first.cell());

    fake.localFactor = 1;
    fake.failLocal = true;
    RegressionRun.Outcome failed = run(fake, true);
    assertEquals(RegressionRun.EXIT_REGRESSION, failed.report().exitCode());
    assertTrue(failed.report().notes().get(0).startsWith("baseline NOT written"), failed.report().notes().toString());
  }
}
