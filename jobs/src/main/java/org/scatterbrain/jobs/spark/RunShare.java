package org.scatterbrain.jobs.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 *       with the task's function and each task's piece is its data;
 *   <li>on a local master, where every executor runs in the driver's JVM, the tasks use the driver's own objects,
 *       looked up by run key, and a task's data is only its piece's index. Serialising them would copy every array
 *       into the block manager of this same JVM, and every piece's trials and the run's settings through Java
 *       serialisation and back, for nothing: measured on {@code minilm.conf} in a fresh JVM, the broadcast took 0.15 s
 *       before the first task, and the first (de)serialisation of the records about 0.2 s more.
 * </ul>
 *
 * <p>The handle is what a task carries: a broadcast reference, or a key. {@link #release()} ends the sharing when the
 * run's job is over.
 */
final class RunShare implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The heads and pieces of the local runs in this JVM, by run key (one entry per running sweep job). */
  private static final Map<String, Local> LOCAL = new ConcurrentHashMap<>();

  private record Local(PieceWork work, HeadStore heads, List<Piece> pieces) {}

  private final PieceWork work;
  private final Broadcast<HeadStore> broadcast;
  private final String localKey;

  private RunShare(PieceWork work, Broadcast<HeadStore> broadcast, String localKey) {
    this.work = work;
    this.broadcast = broadcast;
    this.localKey = localKey;
  }

  /**
   * Shares {@code work}, {@code heads} and {@code pieces} with the executors of {@code jsc} for the run with key {@code
   * key} (unique among the runs of this JVM).
   */
  static RunShare share(JavaSparkContext jsc, PieceWork work, HeadStore heads, List<Piece> pieces, String key) {
    // with a child-first executor class loader the tasks would see another copy of this class, and of its map
    return share(jsc, work, heads, pieces, key,
        jsc.isLocal() && !jsc.getConf().getBoolean("spark.executor.userClassPathFirst", false));
  }

  /** {@link #share(JavaSparkContext, PieceWork, HeadStore, List, String)} in the local form or the cluster form. */
  static RunShare share(
      JavaSparkContext jsc, PieceWork work, HeadStore heads, List<Piece> pieces, String key, boolean local) {
    if (local) {
      if (LOCAL.putIfAbsent(key, new Local(work, heads, List.copyOf(pieces))) != null) {
        throw new IllegalStateException("run " + key + " is already running in this JVM");
      }
      return new RunShare(null, null, key);
    }
    return new RunShare(work, heads.size() == 0 ? null : jsc.broadcast(heads), null);
  }

  /** The work of a piece, on the driver or on an executor. */
  PieceWork work() {
    return localKey != null ? local().work() : work;
  }

  /** The tasks' data: one reference per piece, in order. */
  List<PieceRef> refs(List<Piece> pieces) {
    List<PieceRef> out = new ArrayList<>(pieces.size());
    for (int i = 0; i < pieces.size(); i++) {
      out.add(localKey != null ? new PieceRef(i, null) : new PieceRef(i, pieces.get(i)));
    }
    return out;
  }

  /** The heads, on the driver or on an executor. */
  HeadStore heads() {
    if (localKey != null) {
      return local().heads();
    }
    return broadcast == null ? HeadStore.EMPTY : broadcast.value();
  }

  /** The piece {@code ref} stands for. */
  Piece piece(PieceRef ref) {
    return ref.piece != null ? ref.piece : local().pieces().get(ref.index);
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
      LOCAL.remove(localKey);
    }
  }

  /** A task's data: its piece, or on a local master only the piece's index. */
  static final class PieceRef implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int index;
    private final Piece piece;

    private PieceRef(int index, Piece piece) {
      this.index = index;
      this.piece = piece;
    }
  }
}
