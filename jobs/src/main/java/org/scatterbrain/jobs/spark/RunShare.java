package org.scatterbrain.jobs.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.scatterbrain.jobs.sweep.HeadStore;
import org.scatterbrain.jobs.sweep.Piece;

/**
 * How a run's tasks reach what they share (the {@link PieceWork}, the real heads) and their pieces, without shipping
 * the heads with every task:
 *
 * <ul>
 *   <li>on a cluster, the heads are a broadcast (each executor JVM fetches the arrays once), the piece work travels
 *       with the task's function, and each task is one piece, its data: Spark hands the next piece to whichever
 *       executor slot frees up, and retries a failed piece on another;
 *   <li>on a local master, where every executor runs in the driver's JVM, the tasks use the driver's own objects,
 *       looked up by run key. Serialising them would copy every array into the block manager of this same JVM, and
 *       every piece's trials and the run's settings through Java serialisation and back, for nothing: measured on
 *       {@code minilm.conf} in a fresh JVM, the broadcast took 0.15 s before the first task, and the first
 *       (de)serialisation of the records about 0.2 s more. There is one task per slot, and each takes the run's next
 *       piece from a queue in this JVM until none is left: the same list scheduling as one task per piece, without
 *       Spark's 12-60 ms between a task's end and the next one's start in a fresh JVM (measured on {@code
 *       minilm.conf}: 0.27 core-seconds in 13 pieces, 2 points of its time). A killed task (the job aborted or
 *       cancelled) takes no further piece. A {@code local[n,f]} master, which retries a failed task up to f times,
 *       gets the cluster form: Spark's retries are per task, so a task must be one piece.
 * </ul>
 *
 * <p>The handle is what a task carries: a broadcast reference, or a key. {@link #release()} ends the sharing when the
 * run's job is over.
 */
final class RunShare implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The heads and pieces of the local runs in this JVM, by run key (one entry per running sweep job). */
  private static final Map<String, Local> LOCAL = new ConcurrentHashMap<>();

  /**
   * A local run: the driver's objects, the pieces not yet taken (largest first) and what the finished ones did, one
   * consistent snapshot for progress and the report.
   */
  private record Local(PieceWork work, HeadStore heads, Queue<Piece> queue, AtomicReference<GroupTask.Totals> totals) {}

  private final PieceWork work;
  private final Broadcast<HeadStore> broadcast;
  private final String localKey;
  /** On the driver of a local run, its counts (read after the run too); null elsewhere. */
  private final transient AtomicReference<GroupTask.Totals> own;

  private RunShare(
      PieceWork work, Broadcast<HeadStore> broadcast, String localKey, AtomicReference<GroupTask.Totals> own) {
    this.work = work;
    this.broadcast = broadcast;
    this.localKey = localKey;
    this.own = own;
  }

  /**
   * Shares {@code work}, {@code heads} and {@code pieces} with the executors of {@code jsc} for the run named {@code
   * key}: in the local form on a local master that does not retry tasks, else in the cluster form.
   */
  static RunShare share(JavaSparkContext jsc, PieceWork work, HeadStore heads, List<Piece> pieces, String key) {
    // with a child-first executor class loader the tasks would see another copy of this class, and of its map
    boolean local = LocalMaster.of(jsc.master()).map(m -> m.maxFailures() == 1).orElse(false)
        && !jsc.getConf().getBoolean("spark.executor.userClassPathFirst", false);
    return share(jsc, work, heads, pieces, key, local);
  }

  /** {@link #share(JavaSparkContext, PieceWork, HeadStore, List, String)} in the local form or the cluster form. */
  static RunShare share(
      JavaSparkContext jsc, PieceWork work, HeadStore heads, List<Piece> pieces, String key, boolean local) {
    if (local) {
      Local l =
          new Local(work, heads, new ConcurrentLinkedQueue<>(pieces), new AtomicReference<>(GroupTask.Totals.NONE));
      // unique: a task of an earlier run of the same name that is still ending never finds this run
      String unique = key + "#" + UUID.randomUUID();
      LOCAL.put(unique, l);
      return new RunShare(null, null, unique, l.totals());
    }
    return new RunShare(work, heads.size() == 0 ? null : jsc.broadcast(heads), null, null);
  }

  /**
   * A local master as Spark reads it ({@code local}, {@code local[n]}, {@code local[*]}, {@code local[n,f]}): its
   * cores and how many times a task may fail (1: a failed task ends the job).
   */
  record LocalMaster(int cores, int maxFailures) {
    private static final Pattern FORM = Pattern.compile("local(?:\\[([0-9]+|\\*)(?:\\s*,\\s*([0-9]+))?\\])?");

    /** {@code master} as a local master, or empty (a cluster, {@code local-cluster[...]}). */
    static Optional<LocalMaster> of(String master) {
      Matcher m = FORM.matcher(master == null ? "" : master.trim());
      if (!m.matches()) {
        return Optional.empty();
      }
      int cores = m.group(1) == null ? 1
          : m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(m.group(1));
      return Optional.of(new LocalMaster(cores, m.group(2) == null ? 1 : Integer.parseInt(m.group(2))));
    }

    /** Tasks that run at once with {@code taskCpus} cores each (at least 1). */
    int slots(int taskCpus) {
      return Math.max(1, cores / Math.max(1, taskCpus));
    }
  }

  /** The work of a piece, on the driver or on an executor. */
  PieceWork work() {
    return localKey != null ? local().work() : work;
  }

  /**
   * The tasks' data, one element per task: on a cluster each piece; on a local master a turn at the run's queue for
   * each of {@code slots} tasks (fewer when there are fewer pieces).
   */
  List<TaskRef> refs(List<Piece> pieces, int slots) {
    int tasks = localKey != null ? Math.min(Math.max(1, slots), pieces.size()) : pieces.size();
    List<TaskRef> out = new ArrayList<>(tasks);
    for (int i = 0; i < tasks; i++) {
      out.add(new TaskRef(localKey != null ? null : pieces.get(i)));
    }
    return out;
  }

  /**
   * Runs the pieces task data {@code ref} stands for with {@code run}: its piece, or on a local master the queue's
   * next pieces until none is left or the task is killed ({@code context}, null outside a task, says so; the piece
   * running then finishes, as a piece on a cluster does).
   */
  void runPieces(TaskRef ref, TaskContext context, Consumer<Piece> run) {
    if (ref.piece != null) {
      run.accept(ref.piece);
      return;
    }
    Local l = local();
    while (true) {
      if (context != null) {
        context.killTaskIfInterrupted();
      }
      if (Thread.currentThread().isInterrupted()) {
        throw new TaskKilledException("interrupted");
      }
      Piece p = l.queue().poll();
      if (p == null) {
        return;
      }
      run.accept(p);
    }
  }

  /**
   * Counts a finished piece (its file written): on a cluster in the task's accumulators {@code counters}, which reach
   * the driver when the task succeeds, so a retried task's piece counts once; on a local master in the run's counts
   * in this JVM, at once, for the progress log: a local task runs many pieces, and its accumulators would reach the
   * driver only when it ends.
   */
  void count(PieceWork.Outcome o, GroupTask.Counters counters) {
    if (localKey != null) {
      local().totals().updateAndGet(t -> t.plus(o));
    } else {
      counters.add(o);
    }
  }

  /** What the run's finished pieces did, as the driver knows it now (the run's counts, or {@code counters}). */
  GroupTask.Totals totals(GroupTask.Counters counters) {
    return own != null ? own.get() : counters.totals();
  }

  /** The heads, on the driver or on an executor. */
  HeadStore heads() {
    if (localKey != null) {
      return local().heads();
    }
    return broadcast == null ? HeadStore.EMPTY : broadcast.value();
  }

  private Local local() {
    Local l = LOCAL.get(localKey);
    if (l == null) {
      throw new IllegalStateException("run " + localKey + " is not in this JVM: a task of a local master ran in "
          + "another JVM, or after its run ended");
    }
    return l;
  }

  /** Ends the sharing (driver, after the run's job). */
  void release() {
    if (broadcast != null) {
      broadcast.destroy();
    }
    if (localKey != null) {
      Local l = LOCAL.remove(localKey);
      if (l != null) {
        l.queue().clear(); // a task still running takes no further piece
      }
    }
  }

  /** A task's data: its piece (cluster), or on a local master a turn at the run's queue (null piece). */
  static final class TaskRef implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Piece piece;

    private TaskRef(Piece piece) {
      this.piece = piece;
    }
  }
}
