package org.scatterbrain.jobs.spark;

import com.typesafe.config.Config;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.scatterbrain.jobs.regression.Baseline;
import org.scatterbrain.jobs.regression.BaselineException;
import org.scatterbrain.jobs.regression.Category;
import org.scatterbrain.jobs.regression.Comparison;
import org.scatterbrain.jobs.regression.JmhResults;
import org.scatterbrain.jobs.regression.Measurement;
import org.scatterbrain.jobs.regression.RegressionReport;
import org.scatterbrain.jobs.regression.RegressionSettings;
import org.scatterbrain.jobs.regression.SpeedProbe;
import org.scatterbrain.jobs.regression.Testbed;
import org.scatterbrain.jobs.regression.Variants;
import org.scatterbrain.jobs.regression.Verdicts;
import org.scatterbrain.jobs.sweep.Canonical;
import org.scatterbrain.jobs.sweep.InputGroup;
import org.scatterbrain.jobs.sweep.MethodRegistry;
import org.scatterbrain.jobs.sweep.SweepConfigException;
import org.scatterbrain.jobs.sweep.SweepPlan;
import org.scatterbrain.jobs.sweep.SweepSpec;
import org.scatterbrain.jobs.sweep.Trial;
import org.scatterbrain.jobs.sweep.TrialResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The scheduled regression benchmark: runs the regression sweep (accuracy and memory of every trial) and the speed
 * probe (each method's time over exact attention's, on an executor), optionally reads JMH results, compares every
 * metric with the committed baseline of this testbed ({@code conf/baselines/<testbed>.json}) and writes a Markdown
 * and JSON report. Runs with spark-submit or embedded ({@code bin/regression}).
 *
 * <p>Exit codes: 0 no regression (or, with {@code --update-baseline}, the baseline was written); 4 regression: a
 * metric is worse than its baseline beyond its tolerance (timings: confirmed by a re-run), or missing (its trial
 * failed); 5 no baseline for this testbed (nothing compared; not a pass); 2 bad configuration, baseline or JMH file
 * (named in the message); 1 the job itself failed.
 */
@Command(
    name = "regression",
    mixinStandardHelpOptions = true,
    description = "Runs the regression sweep and speed probe and compares them with this testbed's baseline.")
public final class RegressionJob implements Callable<Integer> {
  static final int EXIT_REGRESSION = 4;
  static final int EXIT_NO_BASELINE = 5;

  /** Accuracy metrics compared per trial (null values, e.g. attention errors not computed, are skipped). */
  static final List<String> ACCURACY =
      List.of(ResultSchema.OUTPUT_REL_FRO, ResultSchema.OUTPUT_MAX_ABS, ResultSchema.ATTN_REL_FRO,
          ResultSchema.ATTN_MAX_ABS, ResultSchema.KL_MEAN, ResultSchema.KL_MAX, ResultSchema.TV_MEAN,
          ResultSchema.TV_MAX, ResultSchema.SUPPORT_MASS, ResultSchema.EMPTY_ROWS);

  /** Memory metrics compared exactly. */
  static final List<String> MEMORY = List.of(ResultSchema.MEMORY_ENTRIES_PER_ROW, ResultSchema.MEMORY_BYTES);

  @Parameters(index = "0", arity = "0..1", paramLabel = "SWEEP.conf",
      description = "regression sweep (default: ${DEFAULT-VALUE})")
  Path sweepFile = Path.of("conf/sweeps/regression.conf");

  @Option(names = "--baselines", paramLabel = "DIR", description = "baseline folder (default: ${DEFAULT-VALUE})")
  Path baselines = Path.of("conf/baselines");

  @Option(names = "--report", paramLabel = "DIR",
      description = "where report.md and report.json go (default: ${DEFAULT-VALUE})")
  Path report = Path.of("results/regression-report");

  @Option(names = "--output", paramLabel = "DIR", description = "results folder of the sweep (default: ${DEFAULT-VALUE})")
  Path output = Path.of("results");

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "override a key, e.g. --set regression.speed.rounds=15")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--jmh", paramLabel = "FILE",
      description = "JMH JSON results (-rf json) to compare as ratios; repeat for more runs")
  List<Path> jmh = new ArrayList<>();

  @Option(names = "--update-baseline",
      description = "write this run's values as the baseline of this testbed (after a deliberate change)")
  boolean updateBaseline;

  @Option(names = "--master", description = "Spark master when not started by spark-submit (default: local[*])")
  String master;

  private SparkSession session;
  private PrintStream out = System.out;
  private PrintStream err = System.err;

  /** Entry point for spark-submit and the embedded launcher. */
  public static void main(String[] args) {
    System.exit(run(args, null, System.out, System.err));
  }

  /** Runs with {@code args}; uses {@code spark} when non-null (tests). Returns the exit code. */
  public static int run(String[] args, SparkSession spark, PrintStream out, PrintStream err) {
    RegressionJob job = new RegressionJob();
    job.session = spark;
    job.out = out;
    job.err = err;
    return JobSupport.execute(job, args, out, err,
        e -> JobSupport.configError(e) || e instanceof BaselineException || e instanceof JmhResults.BadJmhFile);
  }

  @Override
  public Integer call() {
    // everything that can be checked without a testbed is checked before Spark starts (the baseline is chosen by
    // the testbed, which the speed probe reads on an executor)
    Config config = SweepJob.load(sweepFile, overrides);
    SweepSpec spec = SweepSpec.of(config, Path.of("").toAbsolutePath());
    RegressionSettings settings = RegressionSettings.of(config);
    SweepPlan plan = SweepPlan.expand(spec);
    List<Trial> trials = new ArrayList<>();
    for (InputGroup g : plan.groups()) {
      trials.addAll(g.trials());
    }
    if (settings.speedHeadDim() == 0) {
      // the sweep's first synthetic head dim; a sweep of real heads only: their dim
      settings = withHeadDim(settings, spec.headDims().isEmpty() ? trials.get(0).input().d() : spec.headDims().get(0));
    }
    Variants.requireDistinct(trials);
    if (!updateBaseline && !Files.isDirectory(baselines)) {
      throw new BaselineException("baseline folder " + baselines + " does not exist (--baselines; the shipped one is "
          + "conf/baselines, relative to the repository root)");
    }
    JmhResults.Ratios jmhRatios = jmh.isEmpty() ? null : JmhResults.read(jmh);
    String runId = SweepRunner.newRunId();

    boolean own = session == null;
    SparkSession spark = own ? JobSupport.session("scatterbrain regression " + spec.name(), master) : session;
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      SpeedProbe probe = probe(trials, settings, spec.seed(), spark.version());
      err.printf(Locale.ROOT, "regression: speed probe of %d methods, %s, on an executor%n", probe.size(),
          probe.cell());
      SpeedProbe.Result speed = runProbe(jsc, probe, "first run");
      Testbed testbed = speed.testbed();
      // one baseline per sweep and testbed
      Path baselineFile = baselines.resolve(spec.name() + "-" + testbed.fileName());
      List<String> notes = new ArrayList<>();
      Baseline baseline = null;
      if (Files.exists(baselineFile)) {
        try {
          baseline = Baseline.read(baselineFile);
        } catch (BaselineException e) {
          if (!updateBaseline) {
            throw e;
          }
          notes.add("the previous baseline could not be read and is replaced: " + e.getMessage());
        }
      }
      if (baseline != null && !baseline.sweepName().equals(spec.name())) {
        throw new BaselineException("baseline " + baselineFile + " belongs to sweep '" + baseline.sweepName()
            + "', not '" + spec.name() + "' (the file was renamed or copied)");
      }
      if (baseline != null && !baseline.testbed().equals(testbed)) {
        notes.add("the baseline file's testbed (" + baseline.testbed().describe() + ") differs from this one: it was "
            + "copied or edited; timings are compared anyway");
      }
      if (baseline == null && !updateBaseline) {
        notes.add("no baseline for this testbed: " + baselineFile + " does not exist" + otherTestbeds(spec.name())
            + "; after checking this run, write one with --update-baseline");
      }

      SweepRunner runner = new SweepRunner(spark, err);
      SweepRunner.Report r = runner.run(plan, output, runId, true, SweepRunner.Options.DEFAULT);
      Path runDir = r.sweepDir().resolve("run=" + runId);
      List<Measurement> current = new ArrayList<>(trialMeasurements(spark, runDir, trials));
      current.addAll(speed.ratios());
      Map<String, List<Double>> reruns = new HashMap<>();
      if (jmhRatios != null) {
        current.addAll(jmhRatios.ratios());
        reruns.putAll(jmhRatios.forkRatios());
        for (String s : jmhRatios.skipped()) {
          notes.add("JMH entry not compared: " + s);
        }
      }
      String hash = planHash(trials);
      if (baseline != null) {
        confirmSlowdowns(jsc, probe, testbed, baseline, speed.ratios(), settings, reruns, notes);
        if (!hash.equals(baseline.planHash())) {
          notes.add("the regression sweep's trials differ from the baseline's (plan hash " + hash + ", baseline "
              + baseline.planHash() + "): the sweep definition or the budget rules changed since the baseline");
        }
      }
      Verdicts.Result result = Verdicts.compare(baseline, current, reruns, settings);

      String status;
      int exit;
      long failedTrials =
          current.stream().filter(m -> m.value() == null || !Double.isFinite(m.value())).count();
      if (updateBaseline && failedTrials == 0) {
        List<Measurement> values = new ArrayList<>(current);
        int kept = 0;
        if (baseline != null) {
          // JMH ratios are measured by a separate command: without --jmh, keep the previous ones
          for (Measurement m : baseline.metrics()) {
            if (result.notCompared().containsKey(m.category())) {
              values.add(m);
              kept++;
            }
          }
        }
        new Baseline(testbed, now(), Provenance.gitDescription(), Provenance.projectVersion(), spec.name(), hash,
            values).write(baselineFile);
        notes.add(0, "baseline written: " + baselineFile + " (" + values.size() + " metrics"
            + (kept > 0 ? ", of which " + kept + " JMH ratios kept from the previous baseline: this run had no --jmh"
                : "") + "); the verdicts below compare this run with the previous baseline"
            + (baseline == null ? " (there was none)" : ""));
        status = "baseline-updated";
        exit = 0;
      } else {
        if (updateBaseline) {
          notes.add(0, "baseline NOT written: " + failedTrials + " metrics could not be measured (failed trials or "
              + "probe); fix them first");
        }
        status = result.failed() ? "fail" : baseline == null ? "no-baseline" : "pass";
        exit = result.failed() ? EXIT_REGRESSION : baseline == null ? EXIT_NO_BASELINE : 0;
      }
      RegressionReport rep = new RegressionReport(status, exit, spec.name(), sweepFile.toString(), runId,
          runDir.toString(), plan.trialCount(), now(), Provenance.gitDescription(), Provenance.projectVersion(), testbed,
          baselineFile.toString(), baseline, settings, speed.exactSeconds(), notes, result);
      Path reportDir = report.toAbsolutePath().normalize();
      rep.write(reportDir);
      print(rep, reportDir, r);
      return exit;
    } finally {
      if (own) {
        spark.stop();
      }
    }
  }

  private static RegressionSettings withHeadDim(RegressionSettings s, int d) {
    return new RegressionSettings(s.relativeTolerance(), s.absoluteTolerance(), s.speedN(), d, s.warmupRounds(),
        s.warmupSeconds(), s.rounds(), s.minBlockSeconds(), s.speedTolerance(), s.reruns(), s.jmhTolerance());
  }

  /** The probe of every approximate variant of the sweep (exact attention is its calibration). */
  static SpeedProbe probe(List<Trial> trials, RegressionSettings s, long sweepSeed, String sparkVersion) {
    Map<String, SpeedProbe.Variant> variants = new LinkedHashMap<>();
    for (Trial t : trials) {
      if (!"exact".equals(t.method().method())) {
        String v = t.method().variant(false);
        Integer budget = t.method().budget();
        variants.putIfAbsent(v + " | " + budget,
            new SpeedProbe.Variant(v, budget, t.method().sizes(), t.method().config()));
      }
    }
    return new SpeedProbe(List.copyOf(variants.values()), s.speedN(), s.speedHeadDim(), s.warmupRounds(),
        s.warmupSeconds(), s.rounds(), s.minBlockSeconds(), Canonical.seed("speed-probe;" + sweepSeed), sparkVersion, Provenance.ojalgoVersion());
  }

  /** Runs the probe as a one-task Spark job, so that it measures an executor. */
  private static SpeedProbe.Result runProbe(JavaSparkContext jsc, SpeedProbe probe, String what) {
    jsc.setJobDescription("regression speed probe (" + what + ")");
    try {
      return jsc.parallelize(List.of(probe), 1).map(SpeedProbe::run).collect().get(0);
    } finally {
      jsc.clearJobGroup();
    }
  }

  /**
   * Re-runs the whole probe (same schedule as the first run) {@code reruns} times when some variants were slower
   * than their tolerance, and records those variants' re-run ratios: a slowdown fails only if every re-run confirms
   * it. A re-run that fails records NaN, which {@link Verdicts} reports as missing.
   */
  private void confirmSlowdowns(JavaSparkContext jsc, SpeedProbe probe, Testbed testbed, Baseline baseline,
      List<Measurement> first, RegressionSettings s, Map<String, List<Double>> reruns, List<String> notes) {
    Map<String, Double> base = new HashMap<>();
    for (Measurement m : baseline.metrics()) {
      base.put(m.key(), m.value());
    }
    Set<String> slow = new LinkedHashSet<>();
    for (Measurement m : first) {
      Double b = base.get(m.key());
      if (b != null && m.value() != null && m.value() > b * (1 + s.speedTolerance())) {
        slow.add(m.variant());
      }
    }
    if (slow.isEmpty()) {
      return;
    }
    err.printf(Locale.ROOT, "regression: %d methods slower than the tolerance; re-running the probe %d time(s) to "
        + "confirm: %s%n", slow.size(), s.reruns(), slow);
    for (int i = 0; i < s.reruns(); i++) {
      SpeedProbe.Result again = runProbe(jsc, probe, "re-run " + (i + 1));
      if (!again.testbed().equals(testbed)) {
        notes.add("speed re-run " + (i + 1) + " ran on another testbed (" + again.testbed().describe() + ")");
      }
      for (Measurement m : again.ratios()) {
        if (slow.contains(m.variant())) {
          reruns.computeIfAbsent(m.key(), k -> new ArrayList<>()).add(m.value() == null ? Double.NaN : m.value());
          if (m.value() == null) {
            notes.add("speed re-run " + (i + 1) + " of " + m.variant() + " failed: " + m.note());
          }
        }
      }
    }
  }

  /** Accuracy and memory metrics of every trial of the run; a trial that failed or wrote no row gives null values. */
  static List<Measurement> trialMeasurements(SparkSession spark, Path runDir, List<Trial> trials) {
    Map<String, Row> rows = new HashMap<>();
    Dataset<Row> all = Results.read(spark, runDir, MethodRegistry.BUILT_IN, System.err);
    if (all != null) {
      for (Row row : all.collectAsList()) {
        rows.put(row.getAs(ResultSchema.TRIAL_ID), row);
      }
    }
    List<Measurement> out = new ArrayList<>();
    for (Trial t : trials) {
      Row row = rows.get(t.trialId());
      String variant = t.method().variant(false);
      String cell = Variants.cell(t);
      String params = t.method().sizes();
      boolean ok = row != null && TrialResult.OK.equals(row.getAs(ResultSchema.STATUS));
      String note = row == null ? "no result row for trial " + t.trialId()
          : ok ? "" : "trial failed: " + row.getAs(ResultSchema.ERROR);
      for (String metric : ACCURACY) {
        add(out, Category.ACCURACY, variant, cell, metric, params, ok ? row : null, note);
      }
      for (String metric : MEMORY) {
        add(out, Category.MEMORY, variant, cell, metric, params, ok ? row : null, note);
      }
    }
    return out;
  }

  private static void add(List<Measurement> out, Category c, String variant, String cell, String metric,
      String params, Row row, String note) {
    if (row == null) {
      // a failed trial: every metric it would have had is missing (attention metrics may not apply; list them all)
      out.add(new Measurement(c, variant, cell, metric, null, params, note));
      return;
    }
    Object v = row.getAs(metric);
    if (v != null) {
      out.add(new Measurement(c, variant, cell, metric, ((Number) v).doubleValue(), params, ""));
    }
  }

  /** A hash of the sweep's expanded trials: changes when the sweep definition or the budget rules change. */
  static String planHash(List<Trial> trials) {
    List<String> ids = new ArrayList<>();
    for (Trial t : trials) {
      ids.add(t.trialId());
    }
    java.util.Collections.sort(ids);
    return Canonical.id(String.join("\n", ids));
  }

  private String otherTestbeds(String sweep) {
    List<String> others = new ArrayList<>();
    if (Files.isDirectory(baselines)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(baselines, sweep + "-*.json")) {
        for (Path f : files) {
          try {
            others.add(f.getFileName() + " (" + Baseline.read(f).testbed().describe() + ")");
          } catch (BaselineException e) {
            others.add(f.getFileName() + " (unreadable: " + e.getMessage() + ")");
          }
        }
      } catch (java.io.IOException e) {
        others.add("(cannot list " + baselines + ": " + e + ")");
      }
    }
    java.util.Collections.sort(others);
    return others.isEmpty() ? " (" + baselines + " has no baseline of sweep " + sweep + ")"
        : " (baselines exist for: " + String.join("; ", others) + ")";
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private void print(RegressionReport rep, Path reportDir, SweepRunner.Report r) {
    out.printf(Locale.ROOT, "%nregression %s: %s (%s)%n", rep.sweepName(), rep.status().toUpperCase(Locale.ROOT),
        rep.countsLine());
    out.printf(Locale.ROOT, "testbed: %s%n", rep.testbed().describe());
    out.printf(Locale.ROOT, "sweep: %d trials in %.1f s, %d failed; speed probe calibration %.4g s%n",
        r.trialsRun(), r.wallSeconds(), r.trialsFailed(), rep.exactSeconds());
    for (String n : rep.notes()) {
      out.println("note: " + n);
    }
    int shown = 0;
    for (Comparison c : rep.result().comparisons()) {
      if (!c.verdict().fails() || shown == 10) {
        break;
      }
      out.printf(Locale.ROOT, "  %s: %s %s | %s | %s: baseline %s, now %s%s%n", c.verdict().label().toUpperCase(Locale.ROOT),
          c.category().label(), c.variant(), c.cell(), c.metric(), c.baseline(), c.current(),
          c.note().isEmpty() ? "" : " (" + c.note() + ")");
      shown++;
    }
    long failures = rep.result().comparisons().stream().filter(c -> c.verdict().fails()).count();
    if (failures > shown) {
      out.printf(Locale.ROOT, "  ... and %d more%n", failures - shown);
    }
    out.println("report: " + reportDir.resolve("report.md") + " (and report.json)");
  }
}
