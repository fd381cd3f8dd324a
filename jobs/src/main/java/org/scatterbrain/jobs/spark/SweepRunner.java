package org.scatterbrain.jobs.spark;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.scatterbrain.jobs.sweep.Piece;
import org.scatterbrain.jobs.sweep.RunContext;
import org.scatterbrain.jobs.sweep.SweepPlan;
import scala.reflect.ClassTag$;
import scala.runtime.BoxedUnit;

/**
 * The driver side of a sweep: claims the results folder ({@link OutputLock}), skips trials that already have an
 * {@code ok} row, cuts the remaining input groups into pieces of bounded estimated work ({@link SweepPlan#pieces}),
 * runs them as one Spark job whose tasks each write their piece's results file as soon as it is done (so a killed
 * sweep keeps every finished piece, and a lost executor recomputes only its own pieces), logs progress, and reports
 * what it did.
 *
 * <p>Layout: {@code <output>/<sweep>/run=<run id>/wave=0/part-<piece>-<hash>.parquet}. Reading {@code
 * <output>/<sweep>} gives the whole sweep as one dataset (with partition columns {@code run} and {@code wave}; the
 * wave is 0 since results are committed per piece, and numbered waves of older versions read alongside).
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

  /** How a run cuts its work into committed pieces ({@link SweepPlan#pieces}) and logs progress. */
  record Options(int partitions, int maxGroups, double pieceSeconds, double progressSeconds) {
    static final Options DEFAULT = new Options(0, 0, 0, 10);
  }

  Report run(SweepPlan plan, Path output, String runId, boolean force, Options options) {
    return run(plan, output, runId, force, options, null);
  }

  /** Runs with the sweep folder's lock {@code held} by the caller (null: claimed and released here). */
  Report run(SweepPlan plan, Path output, String runId, boolean force, Options options, OutputLock held) {
    String name = plan.spec().name();
    Path sweepDir = output.resolve(name).toAbsolutePath().normalize();
    if (held != null) {
      return runLocked(plan, sweepDir, runId, force, options);
    }
    try (OutputLock lock = OutputLock.claim(sweepDir)) {
      return runLocked(plan, sweepDir, runId, force, options);
    }
  }

  private Report runLocked(SweepPlan plan, Path sweepDir, String runId, boolean force, Options options) {
    String name = plan.spec().name();
    int planned = plan.trialCount();
    long start = System.nanoTime();
    removeStalePieces(sweepDir);
    Set<String> done = force ? Set.of() : finishedTrials(sweepDir);
    SweepPlan todo = plan.without(t -> done.contains(t.trialId()));
    int skipped = planned - todo.trialCount();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    // a local master runs as many tasks at once as its cores allow, whatever spark.default.parallelism says
    int slots = RunShare.LocalMaster.of(jsc.master())
        .map(m -> m.slots(jsc.getConf().getInt("spark.task.cpus", 1)))
        .orElse(Math.max(1, jsc.defaultParallelism()));
    List<Piece> pieces = todo.pieces(slots, options.partitions(), options.maxGroups(), options.pieceSeconds());
    log.printf(Locale.ROOT, "sweep %s: %d trials in %d input groups planned; %d already done%s; %d to run on %d slots "
            + "in %d committed pieces%n",
        name, planned, plan.groups().size(), skipped, force ? " (ignored: --force)" : "", todo.trialCount(), slots,
        pieces.size());
    GroupTask.Counters counters = new GroupTask.Counters(jsc.sc());
    RunContext context =
        new RunContext(name, runId, Provenance.projectVersion(), Provenance.gitCommit(), spark.version(),
            System.getProperty("java.version"), Provenance.ojalgoVersion(), "driver", "driver", "driver");
    GroupTask.Totals totals = GroupTask.Totals.NONE;
    if (!pieces.isEmpty()) {
      StructType schema = ResultSchema.schema(plan.spec().registry());
      // one folder level below the run, as results of earlier versions have (run=<id>/wave=<k>), so one sweep folder
      // reads as one dataset whatever versions wrote it
      String runDir = sweepDir.resolve("run=" + runId).resolve("wave=0").toUri().toString();
      PieceWork work = new PieceWork(plan.spec().trials(), context, new ResultSchema.RowWriter(schema), runDir);
      // the real heads travel once per run, not with every task; on a local master the tasks use the driver's heads,
      // pieces and work
      RunShare share = RunShare.share(jsc, work, plan.spec().heads(), pieces, sweepDir + "/run=" + runId);
      Progress progress = new Progress(() -> share.totals(counters), todo.trialCount(), start,
          options.progressSeconds(), name);
      try {
        progress.start();
        jsc.setJobDescription(String.format(Locale.ROOT, "sweep %s: %d trials in %d input groups, %d pieces",
            name, todo.trialCount(), todo.groups().size(), pieces.size()));
        // pieces largest first, the next one to whichever slot frees up (list scheduling): on a cluster one piece per
        // task, on a local master one task per slot taking pieces from a queue (RunShare); each piece's file is
        // written by its task, so there is no shuffle and no job-level commit
        List<RunShare.TaskRef> refs = share.refs(pieces, slots);
        jsc.sc().runJob(jsc.parallelize(refs, refs.size()).rdd(),
            new GroupTask(share, counters), ClassTag$.MODULE$.apply(BoxedUnit.class));
      } finally {
        progress.stop();
        jsc.clearJobGroup();
        share.release();
      }
      totals = share.totals(counters);
      if (totals.pieces() != pieces.size()) {
        // the job succeeded, so every piece should have been run and counted: never report a partial run as done
        throw new IllegalStateException(String.format(Locale.ROOT, "sweep %s: the job ended with %d of its %d pieces "
            + "done; the results folder keeps those, and the same command again computes the rest", name,
            totals.pieces(), pieces.size()));
      }
    }
    double wall = (System.nanoTime() - start) / 1e9;
    return new Report(sweepDir, runId, planned, skipped, totals.trialsDone(), totals.trialsFailed(),
        todo.groups().size(), totals.exactReferences(), wall, totals.taskSeconds(), totals.exactSeconds(),
        totals.estimatorSeconds(), slots);
  }

  /**
   * Deletes the hidden half-written piece files a killed run left behind (never read: readers skip hidden files).
   * Safe because the caller holds the folder's lock.
   */
  private void removeStalePieces(Path sweepDir) {
    if (!Files.isDirectory(sweepDir)) {
      return;
    }
    try (var files = Files.walk(sweepDir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".inprogress")).toList()) {
        Files.deleteIfExists(f);
        Files.deleteIfExists(f.resolveSibling("." + f.getFileName() + ".crc"));
      }
    } catch (java.io.IOException e) {
      log.println("warning: could not remove half-written pieces of an earlier run in " + sweepDir + ": " + e);
    }
  }

  /** Trial ids with an ok row anywhere in the sweep's folder (none when it does not exist yet). */
  Set<String> finishedTrials(Path sweepDir) {
    return Results.okTrialIds(sweepDir, log);
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
    private final Supplier<GroupTask.Totals> counts;
    private final long total;
    private final long start;
    private final double every;
    private final String name;
    private Thread thread;

    Progress(Supplier<GroupTask.Totals> counts, long total, long start, double every, String name) {
      this.counts = counts;
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
          GroupTask.Totals now = counts.get();
          long n = now.trialsDone();
          double elapsed = (System.nanoTime() - start) / 1e9;
          String eta = n == 0 ? "unknown" : format(elapsed * (total - n) / n);
          log.printf(Locale.ROOT, "sweep %s: %d/%d trials done (%d failed), elapsed %s, estimated time left %s%n",
              name, n, total, now.trialsFailed(), format(elapsed), eta);
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
