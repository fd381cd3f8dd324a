package org.scatterbrain.jobs.spark;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.scatterbrain.jobs.sweep.InputGroup;
import org.scatterbrain.jobs.sweep.RunContext;
import org.scatterbrain.jobs.sweep.SweepPlan;
import org.scatterbrain.jobs.sweep.TrialResult;

/**
 * The driver side of a sweep: skips trials that already have an {@code ok} row, spreads the remaining input groups
 * over partitions balanced by estimated cost (by default one group per partition, largest first), runs them in waves (each wave is committed to its own folder, so a
 * killed sweep keeps every finished wave), logs progress, and reports what it did.
 *
 * <p>Layout: {@code <output>/<sweep>/run=<run id>/wave=<k>/part-*.parquet}. Reading {@code <output>/<sweep>} gives the
 * whole sweep as one dataset (with partition columns {@code run} and {@code wave}).
 */
final class SweepRunner {
  private final SparkSession spark;
  private final PrintStream log;

  SweepRunner(SparkSession spark, PrintStream log) {
    this.spark = spark;
    this.log = log;
  }

  /** What a run did. */
  record Report(
      Path sweepDir,
      String runId,
      int plannedTrials,
      int skippedTrials,
      long trialsRun,
      long trialsFailed,
      int inputGroups,
      long exactReferences,
      double wallSeconds,
      double taskSeconds,
      double exactSeconds,
      double estimatorSeconds,
      int slots) {
    /** Share of the available core time not spent inside trial work (Spark scheduling, serialisation, writing). */
    double overhead() {
      return wallSeconds <= 0 ? 0 : Math.max(0, 1 - taskSeconds / (wallSeconds * slots));
    }
  }

  static String newRunId() {
    return ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT))
        + "-" + String.format(Locale.ROOT, "%04x", ThreadLocalRandom.current().nextInt(1 << 16));
  }

  Report run(SweepPlan plan, Path output, String runId, boolean force, int partitions, int waveGroups,
      double progressSeconds) {
    String name = plan.spec().name();
    Path sweepDir = output.resolve(name).toAbsolutePath().normalize();
    int planned = plan.trialCount();
    Set<String> done = force ? Set.of() : finishedTrials(sweepDir);
    SweepPlan todo = plan.without(t -> done.contains(t.trialId()));
    int skipped = planned - todo.trialCount();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int slots = Math.max(1, jsc.defaultParallelism());
    log.printf(Locale.ROOT, "sweep %s: %d trials in %d input groups planned; %d already done%s; %d to run on %d slots%n",
        name, planned, plan.groups().size(), skipped, force ? " (ignored: --force)" : "", todo.trialCount(), slots);
    GroupTask.Counters counters =
        new GroupTask.Counters(
            jsc.sc().longAccumulator("trials done"),
            jsc.sc().longAccumulator("trials failed"),
            jsc.sc().longAccumulator("exact references"),
            jsc.sc().doubleAccumulator("task seconds"),
            jsc.sc().doubleAccumulator("exact seconds"),
            jsc.sc().doubleAccumulator("estimator seconds"));
    RunContext context =
        new RunContext(name, runId, Provenance.projectVersion(), Provenance.gitCommit(), spark.version(),
            System.getProperty("java.version"), Provenance.ojalgoVersion(), "driver", "driver", "driver");
    long start = System.nanoTime();
    List<List<InputGroup>> waves = waves(todo.groups(), waveGroups > 0 ? waveGroups : 64 * slots);
    Progress progress = new Progress(counters, todo.trialCount(), start, progressSeconds, name);
    progress.start();
    try {
      for (int w = 0; w < waves.size(); w++) {
        SweepPlan wavePlan = new SweepPlan(plan.spec(), waves.get(w));
        // by default one input group per partition, largest first: Spark hands the next one to whichever slot frees
        // up, which is list scheduling in longest-first order (idle time at most one group at the end of a wave)
        int p = partitions > 0 ? partitions : wavePlan.groups().size();
        List<List<InputGroup>> bins = new ArrayList<>();
        for (List<InputGroup> b : wavePlan.balance(p)) {
          bins.add(new ArrayList<>(b));
        }
        jsc.setJobDescription(String.format(Locale.ROOT, "sweep %s, wave %d/%d: %d trials in %d input groups",
            name, w + 1, waves.size(), wavePlan.trialCount(), wavePlan.groups().size()));
        JavaRDD<Row> rows = jsc.parallelize(bins, bins.size()).flatMap(new GroupTask(plan.spec(), context, counters));
        Path waveDir = sweepDir.resolve("run=" + runId).resolve("wave=" + w);
        // rows are tiny next to the work: shuffle them into one file per slot instead of one per input group, which
        // would spend most of a short sweep opening Parquet writers
        spark.createDataFrame(rows, ResultSchema.SCHEMA)
            .repartition(Math.max(1, Math.min(slots, bins.size())))
            .write()
            .parquet(waveDir.toString());
      }
    } finally {
      progress.stop();
      jsc.clearJobGroup();
    }
    double wall = (System.nanoTime() - start) / 1e9;
    return new Report(sweepDir, runId, planned, skipped, counters.trialsDone().value(),
        counters.trialsFailed().value(), todo.groups().size(), counters.exactReferences().value(), wall,
        counters.taskSeconds().value(), counters.exactSeconds().value(), counters.estimatorSeconds().value(), slots);
  }

  /**
   * Consecutive slices of the groups, in plan order: as few waves as allow at most {@code size} groups each, with
   * sizes as equal as possible (so no wave is a short tail that leaves slots idle).
   */
  static List<List<InputGroup>> waves(List<InputGroup> groups, int size) {
    List<List<InputGroup>> out = new ArrayList<>();
    int count = Math.max(1, (groups.size() + size - 1) / size);
    for (int w = 0; w < count; w++) {
      int from = (int) ((long) w * groups.size() / count);
      int to = (int) ((long) (w + 1) * groups.size() / count);
      if (to > from) {
        out.add(groups.subList(from, to));
      }
    }
    return out;
  }

  /** Trial ids with an ok row anywhere in the sweep's folder (none when it does not exist yet). */
  Set<String> finishedTrials(Path sweepDir) {
    if (!hasParquet(sweepDir)) {
      return Set.of();
    }
    Dataset<Row> ok =
        spark.read().parquet(sweepDir.toString())
            .filter(functions.col(ResultSchema.STATUS).equalTo(TrialResult.OK))
            .select(ResultSchema.TRIAL_ID)
            .distinct();
    Set<String> ids = new HashSet<>();
    for (Row r : ok.collectAsList()) {
      ids.add(r.getString(0));
    }
    return ids;
  }

  static boolean hasParquet(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (var files = Files.walk(dir)) {
      return files.anyMatch(f -> f.getFileName().toString().endsWith(".parquet")
          && !f.toString().contains("_temporary"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + dir, e);
    }
  }

  /** Logs trials done / total, elapsed and estimated time left, from a daemon thread on the driver. */
  private final class Progress implements Runnable {
    private final GroupTask.Counters counters;
    private final long total;
    private final long start;
    private final double every;
    private final String name;
    private Thread thread;

    Progress(GroupTask.Counters counters, long total, long start, double every, String name) {
      this.counters = counters;
      this.total = total;
      this.start = start;
      this.every = every;
      this.name = name;
    }

    void start() {
      if (every > 0 && total > 0) {
        thread = new Thread(this, "sweep-progress");
        thread.setDaemon(true);
        thread.start();
      }
    }

    void stop() {
      if (thread != null) {
        thread.interrupt();
      }
    }

    @Override
    public void run() {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          Thread.sleep((long) (every * 1000));
          long done = counters.trialsDone().value();
          double elapsed = (System.nanoTime() - start) / 1e9;
          String eta = done == 0 ? "unknown" : format(elapsed * (total - done) / done);
          log.printf(Locale.ROOT, "sweep %s: %d/%d trials done (%d failed), elapsed %s, estimated time left %s%n",
              name, done, total, counters.trialsFailed().value(), format(elapsed), eta);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static String format(double seconds) {
    Duration d = Duration.ofMillis((long) (seconds * 1000));
    return d.toHours() > 0
        ? String.format(Locale.ROOT, "%dh%02dm", d.toHours(), d.toMinutesPart())
        : String.format(Locale.ROOT, "%dm%02ds", d.toMinutes(), d.toSecondsPart());
  }
}
