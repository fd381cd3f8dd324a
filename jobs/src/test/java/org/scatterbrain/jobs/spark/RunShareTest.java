package org.scatterbrain.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.scatterbrain.jobs.sweep.HeadStore;
import org.scatterbrain.jobs.sweep.Piece;
import org.scatterbrain.jobs.sweep.SweepPlan;
import org.scatterbrain.jobs.sweep.SweepSpec;

/**
 * On a local master the tasks of a run reach the driver's own pieces, heads and work by key, one task per slot taking
 * pieces from the run's queue; in the cluster form the heads are a broadcast and each task carries its piece (checked
 * here on a local session, where broadcasts work too; ClusterIT runs sweeps on a real standalone cluster).
 */
class RunShareTest {
  private static SparkSession spark;
  private static JavaSparkContext jsc;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("RunShareTest").config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static List<Piece> pieces() {
    SweepSpec spec = SweepSpec.parse(com.typesafe.config.ConfigFactory.parseString(
        """
        sweep { name = s, seed = 1, inputs = [ { kind = gaussian } ]
          axes { n = [64], head-dim = [8], temperature = [1], seeds = 6 }
          methods = [ { method = exact }, { method = performer, features = [8] } ] }
        """).resolve(), java.nio.file.Path.of("."), org.scatterbrain.jobs.sweep.MethodRegistry.BUILT_IN);
    return SweepPlan.expand(spec).pieces(2, 3, 0, 0);
  }

  private static int serialisedSize(Object o) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(b)) {
      out.writeObject(o);
    }
    return b.size();
  }

  /** The pieces {@code share}'s tasks run, by task, each task's data sent through Java serialisation first. */
  private static List<List<Piece>> runAll(RunShare share, List<RunShare.TaskRef> refs) throws IOException {
    List<List<Piece>> byTask = new java.util.ArrayList<>();
    for (RunShare.TaskRef ref : refs) {
      List<Piece> ran = new java.util.ArrayList<>();
      roundTrip(share).runPieces(roundTrip(ref), null, ran::add);
      byTask.add(ran);
    }
    return byTask;
  }

  @Test
  void aLocalTaskPerSlotTakesTheDriversPiecesFromTheQueue() throws IOException {
    List<Piece> pieces = pieces();
    assertTrue(pieces.size() > 2, "pieces: " + pieces.size());
    HeadStore heads = new HeadStore(Map.of("h", new HeadStore.Arrays(new double[64], new double[64], new double[64])));
    PieceWork work = new PieceWork(null, null, null, "file:/nowhere");
    RunShare share = RunShare.share(jsc, work, heads, pieces, "run-a");
    try {
      List<RunShare.TaskRef> refs = share.refs(pieces, 2);
      assertEquals(2, refs.size(), "one task per slot");
      for (RunShare.TaskRef ref : refs) {
        // a turn at the queue, not a piece's trials: the class descriptor and a null, where a piece is kilobytes
        assertTrue(serialisedSize(ref) < 200, "ref: " + serialisedSize(ref));
      }
      assertTrue(serialisedSize(pieces.get(0)) > 1000);
      assertSame(heads, share.heads());
      assertSame(work, share.work());
      // the handle itself is a key: small whatever the heads weigh
      assertTrue(serialisedSize(share) < 300, "handle: " + serialisedSize(share));
      // the driver's own piece objects, every one once, in the plan's order (largest first); here the first task
      // drains the queue, as a task does when the other slot is still busy
      List<List<Piece>> ran = runAll(share, refs);
      assertEquals(pieces.size(), ran.get(0).size());
      for (int i = 0; i < pieces.size(); i++) {
        assertSame(pieces.get(i), ran.get(0).get(i));
      }
      assertEquals(List.of(), ran.get(1));
      // a second run of the same name (an earlier one still ending) is a run of its own
      RunShare again = RunShare.share(jsc, work, heads, pieces, "run-a");
      List<Piece> ranAgain = new java.util.ArrayList<>();
      again.runPieces(again.refs(pieces, 1).get(0), null, ranAgain::add);
      again.release();
      assertEquals(pieces, ranAgain);
    } finally {
      share.release();
    }
    IllegalStateException gone = assertThrows(IllegalStateException.class,
        () -> share.runPieces(share.refs(pieces, 2).get(0), null, p -> {}));
    assertTrue(gone.getMessage().contains("run-a") && gone.getMessage().contains("after its run ended"),
        gone.getMessage());
  }

  @Test
  void localTasksShareTheQueueAndStopWhenInterrupted() throws Exception {
    List<Piece> pieces = pieces();
    GroupTask.Counters counters = new GroupTask.Counters(jsc.sc());
    RunShare share = RunShare.share(jsc, new PieceWork(null, null, null, "q"), HeadStore.EMPTY, pieces, "run-q");
    try {
      assertEquals(1, share.refs(pieces.subList(0, 1), 4).size(), "no more tasks than pieces");
      List<RunShare.TaskRef> refs = share.refs(pieces, 2);
      // two tasks at once, each piece slow enough that both take some: every piece runs exactly once
      java.util.Set<Piece> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
      java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.CountDownLatch bothStarted = new java.util.concurrent.CountDownLatch(2);
      Map<String, Integer> byThread = new java.util.concurrent.ConcurrentHashMap<>();
      java.util.function.Consumer<Piece> run = p -> {
        runs.incrementAndGet();
        seen.add(p);
        byThread.merge(Thread.currentThread().getName(), 1, Integer::sum);
        bothStarted.countDown();
        try {
          // the first piece of each task waits for the other task's first, so both tasks take pieces
          if (!bothStarted.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException("the other task took no piece in 30 s");
          }
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        share.count(new PieceWork.Outcome(2, 3, 1, 0.5, 0.25, 1.0), counters);
      };
      java.util.concurrent.atomic.AtomicReference<Throwable> otherFailed = new java.util.concurrent.atomic.AtomicReference<>();
      Thread other = new Thread(() -> {
        try {
          share.runPieces(refs.get(1), null, run);
        } catch (Throwable e) {
          otherFailed.set(e);
        }
      }, "task-1");
      other.start();
      share.runPieces(refs.get(0), null, run);
      other.join();
      assertEquals(null, otherFailed.get());
      assertEquals(2, byThread.size(), "pieces by task: " + byThread);
      assertEquals(pieces.size(), runs.get());
      assertEquals(pieces.size(), seen.size());
      // counted in this JVM as each piece ends, before any task has: the progress log is live
      GroupTask.Totals live = share.totals(counters);
      assertEquals(3L * pieces.size(), live.trialsDone());
      assertEquals(pieces.size(), live.trialsFailed());
      assertEquals(2L * pieces.size(), live.exactReferences());
      assertEquals(1.0 * pieces.size(), live.taskSeconds(), 1e-12);
    } finally {
      share.release();
    }
    // the driver still has the run's counts after it ended; the accumulators were not used
    assertEquals(3L * pieces.size(), share.totals(counters).trialsDone());
    assertEquals(GroupTask.Totals.NONE, counters.totals());

    // an interrupted task takes no further piece; the rest stays queued
    RunShare stopped = RunShare.share(jsc, new PieceWork(null, null, null, "k"), HeadStore.EMPTY, pieces, "run-k");
    try {
      RunShare.TaskRef ref = stopped.refs(pieces, 1).get(0);
      List<Piece> ran = new java.util.ArrayList<>();
      assertThrows(org.apache.spark.TaskKilledException.class, () -> stopped.runPieces(ref, null, p -> {
        ran.add(p);
        Thread.currentThread().interrupt();
      }));
      assertTrue(Thread.interrupted());
      assertEquals(List.of(pieces.get(0)), ran);
      List<Piece> rest = new java.util.ArrayList<>();
      stopped.runPieces(ref, null, rest::add);
      assertEquals(pieces.subList(1, pieces.size()), rest);
    } finally {
      stopped.release();
    }
  }

  private static final java.util.concurrent.atomic.AtomicInteger STARTED = new java.util.concurrent.atomic.AtomicInteger();

  @Test
  void theTasksOfACancelledLocalJobTakeNoFurtherPiece() throws Exception {
    // Spark's cancel marks the tasks killed without interrupting their threads (spark.job.interruptOnCancel is off):
    // each task's loop must look, or it would drain the whole queue after the job ended
    List<Piece> many = java.util.Collections.nCopies(20, pieces().get(0));
    RunShare share = RunShare.share(jsc, new PieceWork(null, null, null, "c"), HeadStore.EMPTY, many, "run-cancel");
    STARTED.set(0);
    List<RunShare.TaskRef> refs = share.refs(many, 2);
    java.util.concurrent.atomic.AtomicReference<Throwable> jobFailed = new java.util.concurrent.atomic.AtomicReference<>();
    Thread driver = new Thread(() -> {
      jsc.setJobGroup("cancel-me", "a job to cancel", false);
      try {
        jsc.parallelize(refs, refs.size()).foreachPartition(it -> share.runPieces(it.next(),
            org.apache.spark.TaskContext.get(), p -> {
              STARTED.incrementAndGet();
              try {
                Thread.sleep(300);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }));
      } catch (Throwable e) {
        jobFailed.set(e);
      }
    });
    try {
      driver.start();
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (STARTED.get() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(STARTED.get() >= 2, "the tasks started no piece in 60 s");
      jsc.cancelJobGroup("cancel-me");
      driver.join(60_000);
      assertNotNull(jobFailed.get(), "the job was cancelled");
      // wait until no piece has started for a second (three pieces' time): the tasks have stopped
      int seen = -1;
      while (STARTED.get() != seen && System.nanoTime() < deadline) {
        seen = STARTED.get();
        Thread.sleep(1000);
      }
      // without the check the two tasks would have run all 20 pieces (6 s); with it, each ends the piece it has
      assertTrue(seen < many.size(), "pieces started after the cancel: " + seen + " of " + many.size());
    } finally {
      share.release();
    }
  }

  @Test
  void localMastersAreReadAsSparkReadsThem() {
    assertEquals(new RunShare.LocalMaster(1, 1), RunShare.LocalMaster.of("local").orElseThrow());
    assertEquals(new RunShare.LocalMaster(3, 1), RunShare.LocalMaster.of("local[3]").orElseThrow());
    assertEquals(new RunShare.LocalMaster(2, 4), RunShare.LocalMaster.of("local[2, 4]").orElseThrow());
    int cores = Runtime.getRuntime().availableProcessors();
    assertEquals(new RunShare.LocalMaster(cores, 3), RunShare.LocalMaster.of("local[*,3]").orElseThrow());
    assertEquals(cores, RunShare.LocalMaster.of("local[*]").orElseThrow().slots(1));
    assertEquals(2, RunShare.LocalMaster.of("local[4]").orElseThrow().slots(2));
    assertEquals(1, RunShare.LocalMaster.of("local[1]").orElseThrow().slots(4));
    for (String cluster : new String[] {"local-cluster[2,1,1024]", "spark://127.0.0.1:7077", "yarn", "", null}) {
      assertTrue(RunShare.LocalMaster.of(cluster).isEmpty(), cluster);
    }
  }

  @Test
  void runsOfOneJvmAreKeptApartAndSyntheticSweepsHaveNoHeads() {
    List<Piece> pieces = pieces();
    RunShare a = RunShare.share(jsc, new PieceWork(null, null, null, "a"), HeadStore.EMPTY, pieces, "run-1");
    List<Piece> other = pieces();
    RunShare b = RunShare.share(jsc, new PieceWork(null, null, null, "b"), HeadStore.EMPTY, other, "run-2");
    try {
      assertNotNull(a.work());
      assertTrue(a.work() != b.work());
      assertEquals(0, a.heads().size());
      // equal pieces, but each run finds its own objects
      assertEquals(pieces.get(0), other.get(0));
      List<Piece> ranB = new java.util.ArrayList<>();
      b.runPieces(b.refs(other, 1).get(0), null, ranB::add);
      List<Piece> ranA = new java.util.ArrayList<>();
      a.runPieces(a.refs(pieces, 1).get(0), null, ranA::add);
      assertSame(other.get(0), ranB.get(0));
      assertSame(pieces.get(0), ranA.get(0));
      assertEquals(other.size(), ranB.size());
    } finally {
      a.release();
      b.release();
    }
  }

  @Test
  void theClusterFormBroadcastsTheHeadsAndShipsEachPiece() throws IOException {
    List<Piece> pieces = pieces();
    HeadStore heads = new HeadStore(Map.of("h", new HeadStore.Arrays(new double[64], new double[64], new double[64])));
    PieceWork work = new PieceWork(null, null, null, "file:/nowhere");
    RunShare share = RunShare.share(jsc, work, heads, pieces, "run-c", false);
    List<RunShare.TaskRef> refs = share.refs(pieces, 2);
    assertEquals(pieces.size(), refs.size(), "one task per piece, whatever the slots");
    // what a task receives: the handle and its ref, each through Java serialisation; each runs its own piece only
    RunShare shipped = roundTrip(share);
    List<List<Piece>> ran = runAll(share, refs);
    for (int i = 0; i < refs.size(); i++) {
      assertEquals(List.of(pieces.get(i)), ran.get(i));
      assertTrue(serialisedSize(refs.get(i)) > 1000, "a ref carries its piece");
    }
    // on a cluster a piece counts in the task's accumulators (here the driver's own, as no task ran)
    GroupTask.Counters counters = new GroupTask.Counters(jsc.sc());
    shipped.count(new PieceWork.Outcome(1, 5, 0, 0.5, 0.25, 1.0), counters);
    assertEquals(5, share.totals(counters).trialsDone());
    assertEquals(1, shipped.heads().size());
    assertEquals(64, shipped.heads().get("h").q().length);
    assertTrue(shipped.work() != null);
    share.release();
    // a released run's broadcast is destroyed: Spark refuses to ship it again
    Exception gone = assertThrows(Exception.class, () -> roundTrip(share).heads());
    assertTrue(String.valueOf(gone.getMessage()).contains("destroyed"), String.valueOf(gone.getMessage()));
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T o) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(b)) {
      out.writeObject(o);
    }
    try (java.io.ObjectInputStream in =
        new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(b.toByteArray()))) {
      return (T) in.readObject();
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }
}
