package org.scatterbrain.jobs.spark;

import com.typesafe.config.Config;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.scatterbrain.jobs.regression.BaselineException;
import org.scatterbrain.jobs.regression.Comparison;
import org.scatterbrain.jobs.regression.JmhResults;
import org.scatterbrain.jobs.regression.RegressionReport;
import org.scatterbrain.jobs.regression.RegressionRun;
import org.scatterbrain.jobs.regression.RegressionSettings;
import org.scatterbrain.jobs.regression.SpeedProbe;
import org.scatterbrain.jobs.regression.Variants;
import org.scatterbrain.jobs.sweep.InputGroup;
import org.scatterbrain.jobs.sweep.SweepPlan;
import org.scatterbrain.jobs.sweep.SweepSpec;
import org.scatterbrain.jobs.sweep.Trial;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The scheduled regression benchmark's entry point: parses and checks the sweep and options before Spark starts, then
 * runs {@link RegressionRun} (the logic, plain Java) with a Spark backend: the speed probe (each method's time over
 * exact attention's) as a one-task job on an executor, the regression sweep through the sweep runner. Writes the
 * Markdown and JSON report. Runs with spark-submit or embedded ({@code bin/regression}).
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
  static final int EXIT_REGRESSION = RegressionRun.EXIT_REGRESSION;
  static final int EXIT_NO_BASELINE = RegressionRun.EXIT_NO_BASELINE;

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

  @Option(names = "--verbose", description = "print the stack trace of a failure")
  boolean verbose;

  private SparkSession session;
  private PrintStream out = System.out;
  private PrintStream err = System.err;

  /** Entry point for spark-submit and the embedded launcher. */
  public static void main(String[] args) {
    JobSupport.installInterruptHook(System.err);
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
    JobSupport.requireValidMaster(master);
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
      settings = settings.withHeadDim(spec.headDims().isEmpty() ? trials.get(0).input().d() : spec.headDims().get(0));
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
      RegressionRun.Outcome o = RegressionRun.run(spec, plan, settings, sweepFile.toString(), baselines,
          updateBaseline, jmhRatios, runId, err, new SparkBackend(spark));
      Path reportDir = report.toAbsolutePath().normalize();
      o.report().write(reportDir);
      print(o.report(), reportDir, o.sweep());
      return o.report().exitCode();
    } finally {
      if (own) {
        spark.stop();
      }
    }
  }

  /** The Spark side of the benchmark: the probe as a one-task job on an executor, the sweep through the runner. */
  private final class SparkBackend implements RegressionRun.Backend {
    private final SparkSession spark;
    private final JavaSparkContext jsc;

    SparkBackend(SparkSession spark) {
      this.spark = spark;
      this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @Override
    public SpeedProbe.Result probe(SpeedProbe probe, String what) {
      jsc.setJobDescription("regression speed probe (" + what + ")");
      try {
        return jsc.parallelize(List.of(probe), 1).map(SpeedProbe::run).collect().get(0);
      } finally {
        jsc.clearJobGroup();
      }
    }

    @Override
    public RegressionRun.SweepRun sweep(SweepPlan plan, String runId) {
      SweepRunner.Report r = new SweepRunner(spark, err).run(plan, output, runId, true, SweepRunner.Options.DEFAULT);
      Path runDir = r.sweepDir().resolve("run=" + runId);
      Map<String, RegressionRun.TrialRow> rows = new HashMap<>();
      Dataset<Row> all = Results.read(spark, runDir, plan.spec().registry(), err);
      if (all != null) {
        List<String> metrics = new ArrayList<>(RegressionRun.ACCURACY);
        metrics.addAll(RegressionRun.MEMORY);
        for (Row row : all.collectAsList()) {
          Map<String, Double> values = new HashMap<>();
          for (String m : metrics) {
            Object v = row.getAs(m);
            if (v != null) {
              values.put(m, ((Number) v).doubleValue());
            }
          }
          rows.put(row.getAs(ResultSchema.TRIAL_ID), new RegressionRun.TrialRow(row.getAs(ResultSchema.STATUS),
              row.getAs(ResultSchema.ERROR), values));
        }
      }
      return new RegressionRun.SweepRun(runDir.toString(), r.trialsRun(), r.trialsFailed(), r.wallSeconds(), rows);
    }

    @Override
    public RegressionRun.Build build() {
      return new RegressionRun.Build(spark.version(), Provenance.ojalgoVersion(), Provenance.gitDescription(),
          Provenance.projectVersion());
    }
  }

  private void print(RegressionReport rep, Path reportDir, RegressionRun.SweepRun r) {
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
