package org.scatterbrain.core.sparse;

import java.util.Arrays;

/**
 * A support given explicitly as one sorted, duplicate-free key list per query (CSR layout), for supports that come
 * from elsewhere (another implementation, a union of other supports, the empty or the full support). Tiles are one
 * query row each. Memory: 4 bytes per pair plus 4 per row.
 */
public final class ExplicitSupport implements SparseSupport {
  private final int n;
  private final int m;
  private final int[] rowStart;
  private final int[] cols;
  private final int maxRow;

  private ExplicitSupport(int n, int m, int[] rowStart, int[] cols) {
    this.n = n;
    this.m = m;
    this.rowStart = rowStart;
    this.cols = cols;
    int mx = 0;
    for (int i = 0; i < n; i++) {
      mx = Math.max(mx, rowStart[i + 1] - rowStart[i]);
    }
    this.maxRow = mx;
  }

  /**
   * Support whose row i holds the keys {@code rows[i]} (any order; duplicates are merged). Not modified: {@code
   * rows}.
   */
  public static ExplicitSupport of(int[][] rows, int keyCount) {
    int n = rows.length;
    int[] start = new int[n + 1];
    int[][] sorted = new int[n][];
    for (int i = 0; i < n; i++) {
      int[] r = rows[i].clone();
      Arrays.sort(r);
      int u = 0;
      for (int x = 0; x < r.length; x++) {
        if (r[x] < 0 || r[x] >= keyCount) {
          throw new IllegalArgumentException(
              "support row " + i + " has key " + r[x] + ", allowed 0.." + (keyCount - 1));
        }
        if (u == 0 || r[u - 1] != r[x]) {
          r[u++] = r[x];
        }
      }
      sorted[i] = Arrays.copyOf(r, u);
      start[i + 1] = start[i] + u;
    }
    int[] cols = new int[start[n]];
    for (int i = 0; i < n; i++) {
      System.arraycopy(sorted[i], 0, cols, start[i], sorted[i].length);
    }
    return new ExplicitSupport(n, keyCount, start, cols);
  }

  /** The union of the rows of several supports over the same n x m problem (each pair once). */
  public static ExplicitSupport union(SparseSupport... supports) {
    int n = supports[0].queryCount();
    int m = supports[0].keyCount();
    int[][] rows = new int[n][];
    for (int i = 0; i < n; i++) {
      int[] all = new int[0];
      for (SparseSupport s : supports) {
        int[] keys = new int[s.maxRowSupport()];
        int[] counts = new int[s.maxRowSupport()];
        int len = s.rowSupport(i, keys, counts);
        int old = all.length;
        all = Arrays.copyOf(all, old + len);
        System.arraycopy(keys, 0, all, old, len);
      }
      rows[i] = all;
    }
    return of(rows, m);
  }

  @Override
  public int queryCount() {
    return n;
  }

  @Override
  public int keyCount() {
    return m;
  }

  @Override
  public int rounds() {
    return 1;
  }

  @Override
  public int tiles(int round) {
    return n;
  }

  @Override
  public int maxTileQueries() {
    return 1;
  }

  @Override
  public int maxTileKeys() {
    return Math.max(1, maxRow);
  }

  @Override
  public void fillTile(int round, int tile, Tile dst) {
    int len = rowStart[tile + 1] - rowStart[tile];
    dst.queries[0] = tile;
    System.arraycopy(cols, rowStart[tile], dst.keys, 0, len);
    dst.queryCount = 1;
    dst.keyCount = len;
    Arrays.fill(dst.include, 0, len, true);
  }

  @Override
  public boolean deduplicated() {
    return true;
  }

  @Override
  public int maxRowSupport() {
    return Math.max(1, maxRow);
  }

  @Override
  public int rowSupport(int i, int[] keys, int[] counts) {
    int len = rowStart[i + 1] - rowStart[i];
    System.arraycopy(cols, rowStart[i], keys, 0, len);
    Arrays.fill(counts, 0, len, 1);
    return len;
  }

  @Override
  public double entriesPerRow() {
    return (double) cols.length / n;
  }

  @Override
  public long storedBytes() {
    return 4L * (cols.length + rowStart.length);
  }
}
