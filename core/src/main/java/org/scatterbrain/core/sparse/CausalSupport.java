package org.scatterbrain.core.sparse;

import java.util.Arrays;

/**
 * A support under the causal mask: the pairs of another support with the future ones ({@code j > i + m - n}) dropped.
 * A query left with no visible key (all its buckets hold later keys only) gets its own position's key {@code i + m -
 * n}, which it always sees, so every row has a finite output; that pair is a stored entry of the support (its index
 * is kept, 4 bytes per such query, in {@link #storedBytes}) and is evaluated in one extra round of small tiles after
 * the inner rounds. {@link #entriesPerRow} is the inner support's count: a bound on the stored entries of every row
 * (a fallback row stores 1), since how many pairs a hash leaves visible depends on the hash.
 *
 * <p>Memory: the inner support plus one bit per query and the fallback queries' indices.
 */
public final class CausalSupport implements SparseSupport {
  private static final int FALLBACK_BLOCK = 16;

  private final SparseSupport inner;
  private final int offset;
  private final boolean[] fallback;
  private final int[] fallbackQueries;

  private CausalSupport(SparseSupport inner, boolean[] fallback, int[] fallbackQueries) {
    this.inner = inner;
    this.offset = inner.keyCount() - inner.queryCount();
    this.fallback = fallback;
    this.fallbackQueries = fallbackQueries;
  }

  /**
   * {@code support} under the causal mask: itself when it already respects it (a causal window, or a support this
   * method made), else the masked support. Needs m >= n.
   */
  public static SparseSupport of(SparseSupport support) {
    if (support instanceof CausalSupport || (support instanceof BandSupport b && b.isCausal())) {
      return support;
    }
    int n = support.queryCount();
    int m = support.keyCount();
    if (m < n) {
      throw new IllegalArgumentException("a causal mask needs m >= n, got n = " + n + ", m = " + m);
    }
    int offset = m - n;
    boolean[] fallback = new boolean[n];
    int count = 0;
    for (int i = 0; i < n; i++) {
      if (support.firstKey(i) > i + offset) {
        fallback[i] = true;
        count++;
      }
    }
    int[] queries = new int[count];
    int x = 0;
    for (int i = 0; i < n; i++) {
      if (fallback[i]) {
        queries[x++] = i;
      }
    }
    return new CausalSupport(support, fallback, queries);
  }

  /** Number of queries whose support held no visible key and which see their own position's key instead. */
  public int fallbackCount() {
    return fallbackQueries.length;
  }

  @Override
  public int queryCount() {
    return inner.queryCount();
  }

  @Override
  public int keyCount() {
    return inner.keyCount();
  }

  @Override
  public int rounds() {
    return inner.rounds() + (fallbackQueries.length > 0 ? 1 : 0);
  }

  @Override
  public int tiles(int round) {
    if (round < inner.rounds()) {
      return inner.tiles(round);
    }
    return (fallbackQueries.length + FALLBACK_BLOCK - 1) / FALLBACK_BLOCK;
  }

  @Override
  public int maxTileQueries() {
    return Math.max(inner.maxTileQueries(), FALLBACK_BLOCK);
  }

  @Override
  public int maxTileKeys() {
    return Math.max(inner.maxTileKeys(), FALLBACK_BLOCK);
  }

  @Override
  public void fillTile(int round, int tile, Tile dst) {
    if (round < inner.rounds()) {
      inner.fillTile(round, tile, dst);
      int kn = dst.keyCount;
      for (int r = 0; r < dst.queryCount; r++) {
        int limit = dst.queries[r] + offset;
        for (int c = 0; c < kn; c++) {
          if (dst.keys[c] > limit) {
            dst.include[r * kn + c] = false;
          }
        }
      }
      return;
    }
    // the fallback round: each query against its own position's key only
    int q0 = tile * FALLBACK_BLOCK;
    int qn = Math.min(FALLBACK_BLOCK, fallbackQueries.length - q0);
    for (int r = 0; r < qn; r++) {
      dst.queries[r] = fallbackQueries[q0 + r];
      dst.keys[r] = fallbackQueries[q0 + r] + offset;
    }
    dst.queryCount = qn;
    dst.keyCount = qn;
    Arrays.fill(dst.include, 0, qn * qn, false);
    for (int r = 0; r < qn; r++) {
      dst.include[r * qn + r] = true;
    }
  }

  @Override
  public boolean deduplicated() {
    return inner.deduplicated();
  }

  @Override
  public int maxRowSupport() {
    return Math.max(1, inner.maxRowSupport());
  }

  @Override
  public int rowSupport(int i, int[] keys, int[] counts) {
    if (fallback[i]) {
      keys[0] = i + offset;
      counts[0] = 1;
      return 1;
    }
    int len = inner.rowSupport(i, keys, counts);
    int limit = i + offset;
    int visible = 0;
    while (visible < len && keys[visible] <= limit) {
      visible++;
    }
    return visible;
  }

  @Override
  public boolean contains(int i, int j) {
    if (fallback[i]) {
      return j == i + offset;
    }
    return j <= i + offset && inner.contains(i, j);
  }

  @Override
  public int firstKey(int i) {
    return fallback[i] ? i + offset : inner.firstKey(i);
  }

  @Override
  public double entriesPerRow() {
    return inner.entriesPerRow();
  }

  @Override
  public long storedBytes() {
    return inner.storedBytes() + fallback.length + 4L * fallbackQueries.length;
  }
}
