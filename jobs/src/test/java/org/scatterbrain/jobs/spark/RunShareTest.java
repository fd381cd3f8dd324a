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
 * On a local master the tasks of a run reach the driver's own pieces, heads and work by key, and carry only a piece's
 * index; in the cluster form the heads are a broadcast and each task carries its piece (checked here on a local
 * session, where broadcasts work too; ClusterIT runs sweeps on a real standalone cluster).
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

  @Test
  void aLocalTaskCarriesAnIndexAndFindsTheDriversObjects() throws IOException {
    List<Piece> pieces = pieces();
    HeadStore heads = new HeadStore(Map.of("h", new HeadStore.Arrays(new double[64], new double[64], new double[64])));
    PieceWork work = new PieceWork(null, null, null, "file:/nowhere");
    RunShare share = RunShare.share(jsc, work, heads, pieces, "run-a");
    try {
      List<RunShare.PieceRef> refs = share.refs(pieces);
      assertEquals(pieces.size(), refs.size());
      for (int i = 0; i < refs.size(); i++) {
        assertSame(pieces.get(i), share.piece(refs.get(i)));
        // an index, not the piece's trials: the class descriptor, an int and a null (125 bytes), where the piece itself
        // is kilobytes
        assertTrue(serialisedSize(refs.get(i)) < 200, "ref of piece " + i + ": " + serialisedSize(refs.get(i)));
        assertTrue(serialisedSize(pieces.get(i)) > 1000, "piece " + i);
      }
      assertSame(heads, share.heads());
      assertSame(work, share.work());
      // the handle itself is a key: small whatever the heads weigh
      assertTrue(serialisedSize(share) < 300, "handle: " + serialisedSize(share));
      IllegalStateException twice =
          assertThrows(IllegalStateException.class, () -> RunShare.share(jsc, work, heads, pieces, "run-a"));
      assertTrue(twice.getMessage().contains("run-a"), twice.getMessage());
    } finally {
      share.release();
    }
    IllegalStateException gone =
        assertThrows(IllegalStateException.class, () -> share.piece(share.refs(pieces).get(0)));
    assertTrue(gone.getMessage().contains("run-a") && gone.getMessage().contains("after its run ended"),
        gone.getMessage());
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
      assertSame(other.get(0), b.piece(b.refs(other).get(0)));
      assertSame(pieces.get(0), a.piece(a.refs(pieces).get(0)));
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
    List<RunShare.PieceRef> refs = share.refs(pieces);
    // what a task receives: the handle and its ref, each through Java serialisation
    RunShare shipped = roundTrip(share);
    for (int i = 0; i < refs.size(); i++) {
      assertEquals(pieces.get(i), shipped.piece(roundTrip(refs.get(i))));
      assertTrue(serialisedSize(refs.get(i)) > 1000, "a ref carries its piece");
    }
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
