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

  /**
   * Stored entries per query row under the causal mask when {@code causal} (a masked form stores only the pairs a
   * query can see: a causal window stores about half of a centred one's), else {@link #entriesPerRow(int, int)}.
   */
  default double entriesPerRow(int n, int m, boolean causal) {
    return entriesPerRow(n, m);
  }

  /**
   * {@link #validateFor(int, int)}, and with {@code causal} also that this method has a causal form and m >= n;
   * throws naming the method and the reason otherwise.
   */
  default void validateFor(int n, int m, boolean causal) {
    validateFor(n, m);
    if (causal) {
      if (m < n) {
        throw new IllegalArgumentException("a causal mask needs m >= n keys, got n = " + n + ", m = " + m);
      }
      String why = causalUnsupported();
      if (why != null) {
        throw new IllegalArgumentException(method() + " has no causal form: " + why);
      }
    }
  }

  /**
   * Why this method has no causal (masked) form, or null when it has one. Configs whose estimator implements the mask
   * override this with null; every estimator rejects causal inputs when it is non-null.
   */
  default String causalUnsupported() {
    return "its causal form is not implemented";
  }
}
