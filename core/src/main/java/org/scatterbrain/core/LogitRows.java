package org.scatterbrain.core;

/**
 * Base of the normalised rows that are recomputed from the inputs' logits ({@link Logits}, built on first use and
 * shared by later calls: its transposed keys and scaled queries cost O((n + m) d) once).
 */
abstract class LogitRows implements ApproximateAttention {
  /** The inputs the rows belong to. */
  protected final AttentionInputs in;

  private volatile Logits logits;

  LogitRows(AttentionInputs in) {
    this.in = in;
  }

  @Override
  public final int queryCount() {
    return in.queryCount();
  }

  @Override
  public final int keyCount() {
    return in.keyCount();
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
}
