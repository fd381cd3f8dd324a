package org.scatterbrain.core;

/**
 * The validated configuration of one attention method. Records are immutable and checked at construction; checks
 * that depend on the problem size (a cluster larger than n) happen in {@link #validateFor}.
 */
public sealed interface MethodConfig extends java.io.Serializable
    permits ExactConfig, PerformerConfig, SparseConfig, ScatterbrainConfig, NystromConfig {
  /** Short method name, as used in sweep configs and result columns: "exact", "performer", ... */
  String method();

  /** Stored entries per query row as the paper counts them (spec section 6), for n queries and m keys. */
  double entriesPerRow(int n, int m);

  /** Throws {@link IllegalArgumentException} naming the parameter if this config cannot run on n queries, m keys. */
  void validateFor(int n, int m);
}
