package org.scatterbrain.jobs.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.VoidFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.jobs.sweep.HeadStore;
import org.scatterbrain.jobs.sweep.InputGroup;
import org.scatterbrain.jobs.sweep.Piece;
import org.scatterbrain.jobs.sweep.RunContext;
import org.scatterbrain.jobs.sweep.TrialResult;
import org.scatterbrain.jobs.sweep.TrialRunner;
import org.scatterbrain.jobs.sweep.TrialSettings;

/**
 * The executor side: runs one piece's input groups with {@link TrialRunner} and writes their rows as the piece's
 * results file ({@link ResultFiles}), so every finished piece is on disk whatever happens to the driver. A task
 * carries only what its groups need: the trial settings, the run's provenance, the row layout and the run folder;
 * real heads come from a broadcast made once per run, and the groups (input key and trials) are the task's data.
 * Counters are accumulators updated inside an action, so each trial is counted once even when a task is retried.
 */
final class GroupTask implements VoidFunction<Piece> {
  private static final long serialVersionUID = 1L;

  private final TrialSettings settings;
  private final Broadcast<HeadStore> heads;
  private final RunContext context;
  private final Counters counters;
  private final ResultSchema.RowWriter rows;
  private final String runDir;

  GroupTask(TrialSettings settings, Broadcast<HeadStore> heads, RunContext context, Counters counters,
      ResultSchema.RowWriter rows, String runDir) {
    this.settings = settings;
    this.heads = heads;
    this.context = context;
    this.counters = counters;
    this.rows = rows;
    this.runDir = runDir;
  }

  /** Accumulators the driver reads for progress and overhead. */
  record Counters(
      LongAccumulator trialsDone,
      LongAccumulator trialsFailed,
      LongAccumulator exactReferences,
      DoubleAccumulator taskSeconds,
      DoubleAccumulator exactSeconds,
      DoubleAccumulator estimatorSeconds)
      implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
  }

  @Override
  public void call(Piece piece) {
    long t0 = System.nanoTime();
    SparkEnv env = SparkEnv.get();
    String executor = env == null ? "unknown" : env.executorId();
    RunContext here =
        context.onExecutor(host(), executor, System.getProperty("java.version"), Gemm.implementation());
    TrialRunner runner = new TrialRunner(settings, heads.value(), here);
    List<Row> out = new ArrayList<>();
    long done = 0;
    long failed = 0;
    double exact = 0;
    double estimators = 0;
    for (InputGroup g : piece.groups()) {
      TrialRunner.GroupRun run = runner.run(g);
      exact += run.exactSeconds();
      estimators += run.estimatorSeconds();
      for (TrialResult r : run.results()) {
        out.add(rows.toRow(r));
        done++;
        if (!TrialResult.OK.equals(r.status())) {
          failed++;
        }
      }
    }
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(runDir, piece.fileName());
    try {
      ResultFiles.write(file, rows.schema(), out, new Configuration());
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
    // counted only once the piece is on disk: what the counters say is done is committed
    counters.exactReferences().add(piece.groups().size());
    counters.exactSeconds().add(exact);
    counters.estimatorSeconds().add(estimators);
    counters.trialsDone().add(done);
    counters.trialsFailed().add(failed);
    counters.taskSeconds().add((System.nanoTime() - t0) / 1e9);
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown";
    }
  }
}
