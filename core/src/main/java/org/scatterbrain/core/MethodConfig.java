package org.scatterbrain.core;

/**
 * The validated configuration of one attention method, and the factory of its estimator ({@link #create}). Records
 * are immutable and checked at construction; checks that depend on the problem size (a cluster larger than n) happen
 * in {@link #validateFor}. Each config also has a static {@code forBudget(entriesPerRow, ...)} factory, the inverse of
 * {@link #entriesPerRow}: the largest configuration of its kind whose {@code entriesPerRow(n, n)} is at most the
 * budget (spec section 6 counts the budget).
 */
public interface MethodConfig extends java.io.Serializable {
  /** Short method name, as used in sweep configs and result columns: "exact", "performer", ... */
  String method();

  /**
   * The estimator of this config. With {@code parallel}, work is spread over the common fork-join pool; results are
   * bit-identical either way.
   */
  AttentionEstimator create(boolean parallel);

  /** Stored entries per query row as the paper counts them (spec section 6), for n queries and m keys. */
  double entriesPerRow(int n, int m);

  /** Throws {@link IllegalArgumentException} naming the parameter if this config cannot run on n queries, m keys. */
  void validateFor(int n, int m);
}
