package org.scatterbrain.jobs.spark;

import java.io.Serializable;
import java.util.function.Consumer;
import org.apache.spark.TaskContext;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.scatterbrain.jobs.sweep.Piece;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * A sweep task: runs the pieces its data stands for ({@link RunShare#runPieces}: one on a cluster, the run's queue on
 * a local master) with {@link PieceWork} and counts each piece once its file is written ({@link RunShare#count}), so
 * what the counts say is done is committed.
 *
 * <p>It is a named function run with {@code SparkContext.runJob}, not a Java function given to {@code
 * JavaRDD.foreach}: foreach wraps its function in Scala lambdas, which Spark's closure cleaner reads with ASM on the
 * driver and each executor rebuilds through {@code LambdaMetafactory}; in a fresh JVM that cost about 0.2 s before
 * the first task (measured on {@code minilm.conf}), and a named function needs neither.
 */
final class GroupTask extends AbstractFunction2<TaskContext, Iterator<RunShare.TaskRef>, BoxedUnit>
    implements Consumer<Piece>, Serializable {
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
      share.runPieces(refs.next(), context, this);
    }
    return BoxedUnit.UNIT;
  }

  /** Runs one piece and counts it. */
  @Override
  public void accept(Piece piece) {
    share.count(share.work().run(piece, share.heads()), counters);
  }

  /** What the finished pieces of a run did, as the driver reads it for progress and the report. */
  record Totals(long pieces, long trialsDone, long trialsFailed, long exactReferences, double taskSeconds,
      double exactSeconds, double estimatorSeconds) {
    /** A run with nothing to do. */
    static final Totals NONE = new Totals(0, 0, 0, 0, 0, 0, 0);

    /** These and the piece {@code o}. */
    Totals plus(PieceWork.Outcome o) {
      return new Totals(pieces + 1, trialsDone + o.trials(), trialsFailed + o.failed(), exactReferences + o.groups(),
          taskSeconds + o.seconds(), exactSeconds + o.exactSeconds(), estimatorSeconds + o.estimatorSeconds());
    }
  }

  /**
   * Accumulators the driver reads for progress and overhead, on a cluster (see {@link RunShare#count}). A plain class,
   * not a record: a record's first Java deserialisation in a JVM builds method handles, which every task would wait
   * for.
   */
  static final class Counters implements Serializable {
    private static final long serialVersionUID = 1L;
    private final LongAccumulator pieces;
    private final LongAccumulator trialsDone;
    private final LongAccumulator trialsFailed;
    private final LongAccumulator exactReferences;
    private final DoubleAccumulator taskSeconds;
    private final DoubleAccumulator exactSeconds;
    private final DoubleAccumulator estimatorSeconds;

    /** Registers the counters with {@code sc}. */
    Counters(org.apache.spark.SparkContext sc) {
      pieces = sc.longAccumulator("pieces done");
      trialsDone = sc.longAccumulator("trials done");
      trialsFailed = sc.longAccumulator("trials failed");
      exactReferences = sc.longAccumulator("exact references");
      taskSeconds = sc.doubleAccumulator("task seconds");
      exactSeconds = sc.doubleAccumulator("exact seconds");
      estimatorSeconds = sc.doubleAccumulator("estimator seconds");
    }

    /** Counts a finished piece (in a task: it reaches the driver when the task succeeds). */
    void add(PieceWork.Outcome o) {
      pieces.add(1);
      exactReferences.add(o.groups());
      exactSeconds.add(o.exactSeconds());
      estimatorSeconds.add(o.estimatorSeconds());
      trialsDone.add(o.trials());
      trialsFailed.add(o.failed());
      taskSeconds.add(o.seconds());
    }

    /** What the driver's accumulators hold (on the driver). */
    Totals totals() {
      return new Totals(pieces.value(), trialsDone.value(), trialsFailed.value(), exactReferences.value(),
          taskSeconds.value(), exactSeconds.value(), estimatorSeconds.value());
    }
  }
}
