package org.scatterbrain.jobs.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import com.typesafe.config.ConfigException;
import org.scatterbrain.jobs.sweep.Canonical;
import org.scatterbrain.jobs.sweep.MethodRegistry;
import org.scatterbrain.jobs.sweep.PlanReport;
import org.scatterbrain.jobs.sweep.SweepConfigException;
import org.scatterbrain.jobs.sweep.SweepPlan;
import org.scatterbrain.jobs.sweep.SweepSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Runs a sweep: {@code spark-submit --class org.scatterbrain.jobs.spark.SweepJob scatterbrain-jobs-job.jar
 * conf/sweeps/quickstart.conf}, or embedded on {@code local[*]} when started without spark-submit (see README).
 * Exit codes: 0 done, every trial ok; 3 done, but some trials failed (they are recorded as failed rows and rerun next
 * time); 1 the job itself failed; 2 bad configuration or arguments (nothing was run).
 */
@Command(
    name = "sweep",
    mixinStandardHelpOptions = true,
    description = "Runs an attention-approximation sweep and writes one Parquet dataset per sweep.")
public final class SweepJob implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "SWEEP.conf", description = "HOCON sweep definition")
  Path sweepFile;

  @Option(names = "--output", paramLabel = "DIR", description = "results folder (default: ${DEFAULT-VALUE})")
  Path output = Path.of("results");

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a key, e.g. --set sweep.axes.n=[512]")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--force", description = "recompute trials that already have an ok row")
  boolean force;

  @Option(names = "--master", description = "Spark master when not started by spark-submit (default: local[*])")
  String master;

  @Option(names = "--verbose", description = "print the stack trace of a failure")
  boolean verbose;

  @Option(names = "--partitions", description = "cut the work into exactly this many committed pieces, balanced by "
      + "estimated cost (default: pieces of about --piece-seconds each)")
  int partitions;

  @Option(names = "--piece-seconds", description = "estimated seconds of work per committed piece (default: automatic, "
      + "0.5-20 s; a killed sweep loses at most the pieces running)")
  double pieceSeconds;

  @Option(names = "--wave-groups", description = "at most this many input groups per committed piece (default: no limit)")
  int waveGroups;

  @Option(names = "--progress-seconds", description = "progress log interval (default: ${DEFAULT-VALUE})")
  double progressSeconds = 10;

  @Option(names = "--run-id", description = "run id (default: UTC time plus a random suffix)")
  String runId;

  @Option(names = "--plan", description = "validate and print the plan (trials, input groups, exact references, "
      + "estimated work) without starting Spark")
  boolean planOnly;

  @Option(names = "--trials", description = "with --plan: also list every trial (id, seed, canonical config)")
  boolean listTrials;

  private SparkSession session;
  private MethodRegistry registry = MethodRegistry.BUILT_IN;
  private PrintStream out = System.out;
  private PrintStream err = System.err;

  /** Entry point for spark-submit and the embedded launcher. */
  public static void main(String[] args) {
    JobSupport.installInterruptHook(System.err);
    System.exit(run(args, null, System.out, System.err));
  }

  /**
   * Runs with {@code args}; uses {@code spark} when non-null (tests), else creates a session. Returns the exit code.
   */
  public static int run(String[] args, SparkSession spark, PrintStream out, PrintStream err) {
    return run(args, spark, out, err, MethodRegistry.BUILT_IN);
  }

  /** {@link #run(String[], SparkSession, PrintStream, PrintStream)} with the methods of {@code registry}. */
  static int run(String[] args, SparkSession spark, PrintStream out, PrintStream err, MethodRegistry registry) {
    SweepJob job = new SweepJob();
    job.registry = registry;
    job.session = spark;
    job.out = out;
    job.err = err;
    return JobSupport.execute(job, args, out, err, JobSupport::configError);
  }

  /** Loads the HOCON file with overrides applied. */
  static Config load(Path file, List<String> overrides) {
    if (!Files.isRegularFile(file)) {
      throw new SweepConfigException("sweep file " + file + " does not exist or is not a file");
    }
    Config c;
    try {
      c = ConfigFactory.parseFile(file.toFile());
    } catch (ConfigException e) {
      throw new SweepConfigException("sweep file " + file + ": " + e.getMessage());
    }
    for (int i = overrides.size() - 1; i >= 0; i--) {
      String o = overrides.get(i);
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new SweepConfigException("--set " + o + ": expected KEY=VALUE, e.g. --set sweep.axes.n=[512]");
      }
      String key = o.substring(0, eq).trim();
      try {
        Config one = ConfigFactory.parseString(key + " = " + o.substring(eq + 1).trim());
        c = one.withFallback(c);
      } catch (ConfigException e) {
        throw new SweepConfigException("--set " + o + ": not a valid KEY=VALUE for key '" + key + "' (HOCON: "
            + e.getMessage().replaceFirst("^String: 1: ", "") + ")");
      }
    }
    try {
      return c.resolve();
    } catch (ConfigException e) {
      throw new SweepConfigException("sweep file " + file + ": " + e.getMessage());
    }
  }

  @Override
  public Integer call() {
    JobSupport.requireValidMaster(master);
    Config config = load(sweepFile, overrides);
    // relative npy folders are relative to the working directory (where users run from the repo root)
    SweepSpec spec = SweepSpec.parse(config, Path.of("").toAbsolutePath(), registry);
    SweepPlan plan = SweepPlan.expand(spec);
    if (planOnly) {
      PlanReport.print(plan, out, listTrials);
      return 0;
    }
    requireNonNegative("--partitions", partitions);
    requireNonNegative("--wave-groups", waveGroups);
    requireNonNegative("--piece-seconds", pieceSeconds);
    requireNonNegative("--progress-seconds", progressSeconds);
    String id = runId != null ? runId : SweepRunner.newRunId();
    if (!id.matches("[A-Za-z0-9_-]+")) {
      throw new SweepConfigException("--run-id", id, "letters, digits, '-' and '_'");
    }
    Path sweepDir = output.resolve(spec.name()).toAbsolutePath().normalize();
    // the folder is claimed before Spark starts: a file in its place, a folder we cannot write and a sweep already
    // writing there are all reported now, before any work
    OutputLock lock = OutputLock.claim(sweepDir);
    boolean own = session == null;
    SparkSession spark = null;
    try {
      Path runDir = sweepDir.resolve("run=" + id);
      if (Files.exists(runDir)) {
        throw new SweepConfigException("--run-id", id, "a run id not used before in this sweep (" + runDir + " exists)");
      }
      JobSupport.interruptMessage("sweep " + spec.name() + " interrupted: every finished piece is kept in " + sweepDir
          + "; run the same command again to compute the rest");
      spark = own ? JobSupport.session("scatterbrain sweep " + spec.name(), master) : session;
      SweepRunner runner = new SweepRunner(spark, err);
      SweepRunner.Report r = runner.run(plan, output, id, force,
          new SweepRunner.Options(partitions, waveGroups, pieceSeconds, progressSeconds), lock);
      printReport(r);
      try {
        Summary.bestPerTemperature(r.sweepDir(), spec.registry(), out, err);
      } catch (RuntimeException e) {
        err.println("warning: could not print the best-method table: " + e.getMessage());
      }
      if (r.trialsFailed() > 0) {
        err.println("warning: " + r.trialsFailed() + " trials failed; they are recorded with status 'failed' and "
            + "their error, and a rerun computes them again (exit code 3)");
        return 3;
      }
      return 0;
    } finally {
      lock.close();
      if (own && spark != null) {
        spark.stop();
      }
    }
  }

  private static void requireNonNegative(String option, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new SweepConfigException(option, Canonical.number(value), "a finite number >= 0");
    }
  }


  private void printReport(SweepRunner.Report r) {
    out.printf(Locale.ROOT, "%nresults: %s (run %s)%n", r.sweepDir(), r.runId());
    out.printf(Locale.ROOT,
        "trials: %d planned, %d skipped (already ok), %d run, %d failed; %d input groups, %d exact references%n",
        r.plannedTrials(), r.skippedTrials(), r.trialsRun(), r.trialsFailed(), r.inputGroups(), r.exactReferences());
    if (r.trialsRun() == 0) {
      out.printf(Locale.ROOT, "time: %.1f s wall (nothing to run)%n", r.wallSeconds());
      return;
    }
    out.printf(Locale.ROOT,
        "time: %.1f s wall on %d slots; task work %.1f s (exact %.1f s, estimators %.1f s); outside trial work %.1f%%%n",
        r.wallSeconds(), r.slots(), r.taskSeconds(), r.exactSeconds(), r.estimatorSeconds(), 100 * r.overhead());
    out.printf(Locale.ROOT, "driver JVM: peak heap %.0f MiB of %.0f MiB%s%n", peakHeap() / 1048576.0,
        Runtime.getRuntime().maxMemory() / 1048576.0, session == null && !new SparkConf().contains("spark.master")
            && (master == null || master.startsWith("local")) ? " (embedded: the trials run in this JVM too)" : "");
  }

  /** The largest heap this JVM has used: the sum of the heap pools' peaks (an upper bound of the true peak). */
  static long peakHeap() {
    long peak = 0;
    for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == java.lang.management.MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return peak;
  }

  /** Result rows of a sweep folder (for tests and tools). */
  static Dataset<Row> read(SparkSession spark, Path sweepDir) {
    return Results.read(spark, sweepDir, MethodRegistry.BUILT_IN, System.err);
  }
}
