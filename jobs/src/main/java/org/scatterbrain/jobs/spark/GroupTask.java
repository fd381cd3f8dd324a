package org.scatterbrain.jobs.spark;

import java.io.Serializable;
import org.apache.spark.TaskContext;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * A sweep task: runs the pieces its data stands for ({@link RunShare#runPieces}: one on a cluster, the run's queue on
 * a local master) with {@link PieceWork} and counts them. Counters are accumulators updated inside the job, so each trial is counted once even when a task is retried,
 * and only once its piece's file is written: what the counters say is done is committed.
 *
 * <p>It is a named function run with {@code SparkContext.runJob}, not a Java function given to {@code
 * JavaRDD.foreach}: foreach wraps its function in Scala lambdas, which Spark's closure cleaner reads with ASM on the
 * driver and each executor rebuilds through {@code LambdaMetafactory}; in a fresh JVM that cost about 0.2 s before
 * the first task (measured on {@code minilm.conf}), and a named function needs neither.
 */
final class GroupTask extends AbstractFunction2<TaskContext, Iterator<RunShare.TaskRef>, BoxedUnit>
    implements Serializable {
  private static final long serialVersionUID = 1L;

  private final RunShare share;
  private final Counters counters;

  GroupTask(RunShare share, Counters counters) {
    this.share = share;
    this.counters = counters;
  }

  @Override
  public BoxedUnit apply(TaskContext context, Iterator<RunShare.TaskRef> refs) {
    while (refs.hasNext()) {
      share.runPieces(refs.next(), piece -> {
        PieceWork.Outcome o = share.work().run(piece, share.heads());
        counters.exactReferences.add(o.groups());
        counters.exactSeconds.add(o.exactSeconds());
        counters.estimatorSeconds.add(o.estimatorSeconds());
        counters.trialsDone.add(o.trials());
        counters.trialsFailed.add(o.failed());
        counters.taskSeconds.add(o.seconds());
        share.counted(o.trials(), o.failed());
      });
    }
    return BoxedUnit.UNIT;
  }

  /**
   * Accumulators the driver reads for progress and overhead. A plain class, not a record: a record's first Java
   * deserialisation in a JVM builds method handles, which every task would wait for.
   */
  static final class Counters implements Serializable {
    private static final long serialVersionUID = 1L;
    final LongAccumulator trialsDone;
    final LongAccumulator trialsFailed;
    final LongAccumulator exactReferences;
    final DoubleAccumulator taskSeconds;
    final DoubleAccumulator exactSeconds;
    final DoubleAccumulator estimatorSeconds;

    /** Registers the counters with {@code sc}. */
    Counters(org.apache.spark.SparkContext sc) {
      trialsDone = sc.longAccumulator("trials done");
      trialsFailed = sc.longAccumulator("trials failed");
      exactReferences = sc.longAccumulator("exact references");
      taskSeconds = sc.doubleAccumulator("task seconds");
      exactSeconds = sc.doubleAccumulator("exact seconds");
      estimatorSeconds = sc.doubleAccumulator("estimator seconds");
    }
  }
}
