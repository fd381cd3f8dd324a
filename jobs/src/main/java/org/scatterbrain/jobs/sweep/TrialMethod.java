package org.scatterbrain.jobs.sweep;

import java.io.Serializable;
import org.scatterbrain.core.MethodConfig;

/**
 * One method with every parameter resolved, plus the flat parameter columns written to Parquet (null where a
 * parameter does not apply). {@code antithetic} is the feature kind of Performer and Scatterbrain.
 */
public record TrialMethod(
    MethodConfig config,
    Integer features,
    Integer clusterSize,
    Integer bucketSize,
    Integer buckets,
    Integer hashRounds,
    Integer window,
    Integer landmarks,
    String sparseKind,
    Boolean deduplicate,
    Integer budget,
    Boolean antithetic)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Method name: exact, performer, smyrf, reformer, local, scatterbrain, nystrom. */
  public String method() {
    return config.method();
  }

  /** Canonical text of the method and its parameters (part of the trial id). */
  public String canonical() {
    StringBuilder b = new StringBuilder("method=").append(method());
    append(b, "features", features);
    append(b, "cluster-size", clusterSize);
    append(b, "bucket-size", bucketSize);
    append(b, "buckets", buckets);
    append(b, "hash-rounds", hashRounds);
    append(b, "window", window);
    append(b, "landmarks", landmarks);
    append(b, "sparse", sparseKind);
    append(b, "deduplicate", deduplicate);
    append(b, "budget", budget);
    // antithetic features are the default: only plain features change the canonical text (and the trial id)
    if (Boolean.FALSE.equals(antithetic)) {
      append(b, "antithetic", antithetic);
    }
    return b.toString();
  }

  private static void append(StringBuilder b, String key, Object value) {
    if (value != null) {
      b.append(';').append(key).append('=').append(value);
    }
  }
}
