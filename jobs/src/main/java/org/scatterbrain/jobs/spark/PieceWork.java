package org.scatterbrain.jobs.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.Row;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.jobs.sweep.HeadStore;
import org.scatterbrain.jobs.sweep.InputGroup;
import org.scatterbrain.jobs.sweep.Piece;
import org.scatterbrain.jobs.sweep.RunContext;
import org.scatterbrain.jobs.sweep.TrialResult;
import org.scatterbrain.jobs.sweep.TrialRunner;
import org.scatterbrain.jobs.sweep.TrialSettings;

/**
 * The executor side of a piece: runs its input groups with {@link TrialRunner} and writes their rows as the piece's
 * results file ({@link ResultFiles}), so every finished piece is on disk whatever happens to the driver. It holds only
 * what every piece of a run needs: the trial settings, the run's provenance, the row layout and the run folder.
 */
final class PieceWork implements Serializable {
  private static final long serialVersionUID = 1L;

  private final TrialSettings settings;
  private final RunContext context;
  private final ResultSchema.RowWriter rows;
  private final String runDir;

  PieceWork(TrialSettings settings, RunContext context, ResultSchema.RowWriter rows, String runDir) {
    this.settings = settings;
    this.context = context;
    this.rows = rows;
    this.runDir = runDir;
  }

  /** What a piece did, counted once its file is written. */
  record Outcome(int groups, long trials, long failed, double exactSeconds, double estimatorSeconds, double seconds) {}

  /** Runs {@code piece} on real heads from {@code heads} and writes its results file. */
  Outcome run(Piece piece, HeadStore heads) {
    long t0 = System.nanoTime();
    SparkEnv env = SparkEnv.get();
    String executor = env == null ? "unknown" : env.executorId();
    RunContext here =
        context.onExecutor(host(), executor, System.getProperty("java.version"), Gemm.implementation());
    TrialRunner runner = new TrialRunner(settings, heads, here);
    List<Row> out = new ArrayList<>();
    long failed = 0;
    double exact = 0;
    double estimators = 0;
    for (InputGroup g : piece.groups()) {
      TrialRunner.GroupRun run = runner.run(g);
      exact += run.exactSeconds();
      estimators += run.estimatorSeconds();
      for (TrialResult r : run.results()) {
        out.add(rows.toRow(r));
        if (!TrialResult.OK.equals(r.status())) {
          failed++;
        }
      }
    }
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(runDir, piece.fileName());
    try {
      ResultFiles.write(file, rows.schema(), out, ResultFiles.hadoopConf());
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
    return new Outcome(piece.groups().size(), out.size(), failed, exact, estimators, (System.nanoTime() - t0) / 1e9);
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown";
    }
  }
}
