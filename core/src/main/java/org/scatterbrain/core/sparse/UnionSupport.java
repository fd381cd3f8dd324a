package org.scatterbrain.core.sparse;

/**
 * The union of two supports over the same n x m problem, each pair counted once: the tiles of {@code first}, then
 * those of {@code second} with every pair {@code first} contains left out (so a window, global columns and LSH
 * buckets together count a pair they share once). {@code second} must count its own repeats once (a deduplicated
 * clustering). Rounds: those of the first, then those of the second.
 */
public final class UnionSupport implements SparseSupport {
  private final SparseSupport first;
  private final SparseSupport second;

  private UnionSupport(SparseSupport first, SparseSupport second) {
    this.first = first;
    this.second = second;
  }

  /** {@code first} union {@code second}; both deduplicated and of the same shape. */
  public static UnionSupport of(SparseSupport first, SparseSupport second) {
    if (first.queryCount() != second.queryCount() || first.keyCount() != second.keyCount()) {
      throw new IllegalArgumentException("supports of different shapes: " + first.queryCount() + "x"
          + first.keyCount() + " and " + second.queryCount() + "x" + second.keyCount());
    }
    if (!first.deduplicated() || !second.deduplicated()) {
      throw new IllegalArgumentException("a union counts each pair once: both supports must be deduplicated");
    }
    return new UnionSupport(first, second);
  }

  @Override
  public int queryCount() {
    return first.queryCount();
  }

  @Override
  public int keyCount() {
    return first.keyCount();
  }

  @Override
  public int rounds() {
    return first.rounds() + second.rounds();
  }

  @Override
  public int tiles(int round) {
    return round < first.rounds() ? first.tiles(round) : second.tiles(round - first.rounds());
  }

  @Override
  public int maxTileQueries() {
    return Math.max(first.maxTileQueries(), second.maxTileQueries());
  }

  @Override
  public int maxTileKeys() {
    return Math.max(first.maxTileKeys(), second.maxTileKeys());
  }

  @Override
  public void fillTile(int round, int tile, Tile dst) {
    if (round < first.rounds()) {
      first.fillTile(round, tile, dst);
      return;
    }
    second.fillTile(round - first.rounds(), tile, dst);
    int qn = dst.queryCount;
    int kn = dst.keyCount;
    for (int r = 0; r < qn; r++) {
      int i = dst.queries[r];
      for (int c = 0; c < kn; c++) {
        if (dst.include[r * kn + c] && first.contains(i, dst.keys[c])) {
          dst.include[r * kn + c] = false;
        }
      }
    }
  }

  @Override
  public boolean contains(int i, int j) {
    return first.contains(i, j) || second.contains(i, j);
  }

  @Override
  public boolean deduplicated() {
    return true;
  }

  @Override
  public int maxRowSupport() {
    return first.maxRowSupport() + second.maxRowSupport();
  }

  @Override
  public int rowSupport(int i, int[] keys, int[] counts) {
    int[] a = new int[first.maxRowSupport()];
    int la = first.rowSupport(i, a, new int[a.length]);
    int[] b = new int[second.maxRowSupport()];
    int lb = second.rowSupport(i, b, new int[b.length]);
    int x = 0;
    int y = 0;
    int len = 0;
    while (x < la || y < lb) {
      int next;
      if (y >= lb || (x < la && a[x] < b[y])) {
        next = a[x++];
      } else if (x >= la || b[y] < a[x]) {
        next = b[y++];
      } else {
        next = a[x++];
        y++;
      }
      keys[len] = next;
      counts[len] = 1;
      len++;
    }
    return len;
  }

  /**
   * The entries both parts store (each keeps its own pairs; a shared pair is computed once but stored by both), an
   * upper bound of the distinct pairs per row.
   */
  @Override
  public double entriesPerRow() {
    return first.entriesPerRow() + second.entriesPerRow();
  }

  @Override
  public long storedBytes() {
    return first.storedBytes() + second.storedBytes();
  }
}
