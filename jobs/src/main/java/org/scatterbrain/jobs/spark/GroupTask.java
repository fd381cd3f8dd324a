package org.scatterbrain.jobs.spark;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.jobs.sweep.InputGroup;
import org.scatterbrain.jobs.sweep.RunContext;
import org.scatterbrain.jobs.sweep.SweepSpec;
import org.scatterbrain.jobs.sweep.TrialResult;
import org.scatterbrain.jobs.sweep.TrialRunner;

/** The executor side: runs a partition's input groups with {@link TrialRunner} and returns their rows. */
final class GroupTask implements FlatMapFunction<List<InputGroup>, Row> {
  private static final long serialVersionUID = 1L;

  private final SweepSpec spec;
  private final RunContext context;
  private final Counters counters;

  GroupTask(SweepSpec spec, RunContext context, Counters counters) {
    this.spec = spec;
    this.context = context;
    this.counters = counters;
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
  public Iterator<Row> call(List<InputGroup> groups) {
    long t0 = System.nanoTime();
    SparkEnv env = SparkEnv.get();
    String executor = env == null ? "unknown" : env.executorId();
    RunContext here =
        context.onExecutor(host(), executor, System.getProperty("java.version"), Gemm.implementation());
    TrialRunner runner = new TrialRunner(spec, here);
    List<Row> rows = new ArrayList<>();
    for (InputGroup g : groups) {
      TrialRunner.GroupRun run = runner.run(g);
      counters.exactReferences().add(1);
      counters.exactSeconds().add(run.exactSeconds());
      counters.estimatorSeconds().add(run.estimatorSeconds());
      for (TrialResult r : run.results()) {
        rows.add(ResultSchema.toRow(r));
        counters.trialsDone().add(1);
        if (!TrialResult.OK.equals(r.status())) {
          counters.trialsFailed().add(1);
        }
      }
    }
    counters.taskSeconds().add((System.nanoTime() - t0) / 1e9);
    return rows.iterator();
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown";
    }
  }
}
