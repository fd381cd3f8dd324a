package org.scatterbrain.jobs.sweep;

import java.io.Serializable;
import java.util.Map;

/**
 * The arrays of the real heads a sweep reads ({@link InputSource.Npy}), keyed by the head's input id. Read once on
 * the driver; the Spark job broadcasts it once per run, so tasks carry only the ids of their heads.
 */
public final class HeadStore implements Serializable {
  private static final long serialVersionUID = 1L;

  /** No heads (sweeps of synthetic inputs only). */
  public static final HeadStore EMPTY = new HeadStore(Map.of());

  /** One head: row-major Q (rows x d), K (rows x d), V (rows x dv). */
  public record Arrays(double[] q, double[] k, double[] v) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  private final Map<String, Arrays> byId;

  /** A store of {@code byId} (input id to arrays). */
  public HeadStore(Map<String, Arrays> byId) {
    this.byId = Map.copyOf(byId);
  }

  /** The arrays of the head with input id {@code id}. */
  public Arrays get(String id) {
    Arrays a = byId.get(id);
    if (a == null) {
      throw new IllegalStateException("no arrays for real head " + id + " (the head store holds " + byId.size()
          + " heads)");
    }
    return a;
  }

  /** Number of heads. */
  public int size() {
    return byId.size();
  }

  /** Bytes of the arrays. */
  public long bytes() {
    long b = 0;
    for (Arrays a : byId.values()) {
      b += 8L * (a.q().length + a.k().length + a.v().length);
    }
    return b;
  }
}
