package org.scatterbrain.jobs.sweep;

import java.util.List;

/**
 * The built-in method parameters, each declared once. {@link #ALL}'s order is the order of a trial's canonical text
 * (and so part of every trial id) and of the result columns: append new parameters at the end, never reorder.
 */
public final class Params {
  private Params() {}

  public static final Param FEATURES = Param.positiveInt("features", "features", true, "F");
  public static final Param CLUSTER_SIZE = Param.positiveInt("cluster-size", "cluster_size", true, "b");
  public static final Param BUCKET_SIZE = Param.positiveInt("bucket-size", "bucket_size", true, "b");
  public static final Param BUCKETS =
      Param.evenInt("buckets", "buckets", "buckets", "even integers >= 2, or 0 for n / bucket-size");
  public static final Param HASH_ROUNDS = Param.positiveInt("hash-rounds", "hash_rounds", false, "h");
  public static final Param WINDOW = Param.positiveInt("window", "window", true, "W");
  public static final Param LANDMARKS = Param.positiveInt("landmarks", "landmarks", true, "L");
  public static final Param SPARSE =
      Param.choice("sparse", "sparse_kind", true, List.of("smyrf", "reformer", "local"));
  public static final Param DEDUPLICATE = Param.flag("deduplicate", "deduplicate", "dedup", null, null);
  /** The budget axis (entries per query row); set from {@code sweep.axes.budget}, never listed by a method. */
  public static final Param BUDGET = Param.positiveInt("budget", "budget", false, "B");
  /** Antithetic ([u, -u]) features, the default, which ids leave out; plain features show as "plain". */
  public static final Param ANTITHETIC = Param.flag("antithetic", "antithetic", null, "plain", Boolean.TRUE);

  /**
   * Iterations of Nystrom's pseudo-inverse (0: SVD); the paper's 6, the default, is left out of ids, so trials from
   * before the parameter existed keep theirs.
   */
  public static final Param PINV_ITERATIONS = Param.count("pinv-iterations", "pinv_iterations", "it", 100, 6);

  /** Performer's kind: ours (unbiased, the default, left out of ids) or the authors' baseline (plain, with eps). */
  public static final Param PERFORMER_KIND =
      Param.choice("kind", "performer_kind", true, List.of("unbiased", "authors"), "unbiased");
  /** The hybrid method's remainder estimate. */
  public static final Param REMAINDER =
      Param.choice("remainder", "remainder", true, List.of("pool", "sampled", "favor", "oprf", "blocks"), null);
  /** Global key columns of the hybrid support. */
  public static final Param GLOBALS = Param.sizeCount("globals", "globals", "G", 1 << 20);
  /** Pooled key groups (or, with the blocks remainder, position blocks per row). */
  public static final Param GROUPS = Param.positiveInt("groups", "groups", true, "P");
  /** Sampled keys (calibration of the pooled remainder, or the sampled remainder itself). */
  public static final Param SAMPLES = Param.sizeCount("samples", "samples", "s", 1 << 20);
  /** SMYRF rounds in the hybrid support (0: none). */
  public static final Param LSH_ROUNDS = Param.count("lsh-rounds", "lsh_rounds", "lsh", 8, 0);
  /** How the hybrid's budget is split: fixed (the default) or chosen per head on validation rows. */
  public static final Param SPLIT = Param.choice("split", "split", false, List.of("fixed", "adaptive"), "fixed");
  /** The oracle's kind: top-k renormalised, or top-k plus the exact rest spread uniformly. */
  public static final Param ORACLE_KIND =
      Param.choice("support", "oracle_support", true, List.of("top", "top-uniform"), null);
  /** Keys per row of the oracle. */
  public static final Param TOP_K = Param.positiveInt("top-k", "top_k", true, "k");

  /** Every built-in parameter, in canonical order. */
  public static final List<Param> ALL =
      List.of(FEATURES, CLUSTER_SIZE, BUCKET_SIZE, BUCKETS, HASH_ROUNDS, WINDOW, LANDMARKS, SPARSE, DEDUPLICATE, BUDGET,
          ANTITHETIC, PINV_ITERATIONS, PERFORMER_KIND, REMAINDER, GLOBALS, GROUPS, SAMPLES, LSH_ROUNDS, SPLIT,
          ORACLE_KIND, TOP_K);
}
