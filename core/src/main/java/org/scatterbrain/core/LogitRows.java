package org.scatterbrain.core;

import org.scatterbrain.core.sparse.SparseSupport;

/**
 * Base of the normalised rows that are recomputed from the inputs' logits ({@link Logits}, built on first use and
 * shared by later calls: its transposed keys and scaled queries cost O((n + m) d) once), with the estimate's row
 * log-normalisers and its sparse support (null when it has none).
 */
abstract class LogitRows implements ApproximateAttention {
  /** The inputs the rows belong to. */
  protected final AttentionInputs in;

  /** The estimate's support, or null. */
  protected final SparseSupport support;

  /** Row log-normalisers {@code ln Z_i}. */
  protected final double[] logZ;

  private volatile Logits logits;

  LogitRows(AttentionInputs in, SparseSupport support, double[] logZ) {
    this.in = in;
    this.support = support;
    this.logZ = logZ;
  }

  @Override
  public final int queryCount() {
    return in.queryCount();
  }

  @Override
  public final int keyCount() {
    return in.keyCount();
  }

  @Override
  public final double logNormalizer(int i) {
    return logZ[i];
  }

  @Override
  public final SparseSupport support() {
    return support;
  }

  /** The inputs' logits, built once (a race builds them twice, equal: no harm). */
  protected final Logits logits() {
    Logits l = logits;
    if (l == null) {
      l = new Logits(in);
      logits = l;
    }
    return l;
  }

  /**
   * Writes row i's exact entries on the support, {@code c_ij exp(s_ij - ln Z_i)} (c_ij its multiplicity), into
   * {@code dst} from offset {@code o}; {@code keys}, {@code counts} are scratch of the support's longest row.
   * Modified: {@code dst}, {@code keys}, {@code counts}.
   */
  protected final void supportEntries(Logits l, int i, double[] dst, int o, int[] keys, int[] counts) {
    int len = support.rowSupport(i, keys, counts);
    for (int a = 0; a < len; a++) {
      dst[o + keys[a]] = counts[a] * Math.exp(l.logit(i, keys[a]) - logZ[i]);
    }
  }
}
