package org.scatterbrain.core.sparse;

import java.util.Arrays;
import org.scatterbrain.core.Checks;

/**
 * A local window plus global key columns: query i meets the keys of its window ({@link BandSupport}'s rule, W keys)
 * and every key of a fixed set of G global columns (attention sinks, e.g. the first token, which real heads attend to
 * from every row and no window or hash bucket reliably catches). A pair in both counts once. Tiles are blocks of
 * consecutive queries against the keys their windows cover plus the global keys outside them, so logits on the
 * support are matrix multiplies. Memory: the G global indices.
 */
public final class WindowGlobalSupport implements SparseSupport {
  private final BandSupport band;
  private final int n;
  private final int m;
  private final int[] globals;
  private final boolean[] isGlobal;
  private final int block;

  /**
   * The window of width {@code window} (0: none) over n queries and m keys plus the key columns {@code globals}
   * (distinct indices in [0, m)). Not modified: {@code globals}.
   */
  public static WindowGlobalSupport of(int n, int m, int window, int[] globals) {
    Checks.requireNonNegative(window, "window");
    int[] g = globals.clone();
    Arrays.sort(g);
    for (int x = 0; x < g.length; x++) {
      if (g[x] < 0 || g[x] >= m || (x > 0 && g[x] == g[x - 1])) {
        throw new IllegalArgumentException("global columns must be distinct keys in [0, " + m + "), got "
            + Arrays.toString(globals));
      }
    }
    return new WindowGlobalSupport(window == 0 ? null : BandSupport.of(n, m, window), g, n, m);
  }

  /**
   * The causal window of width {@code window} ({@link BandSupport#causal}: the W most recent visible keys; 0: none)
   * plus the key columns {@code globals}. Global columns later than a query are still pairs of this support: mask it
   * ({@link CausalSupport#of}) to drop them. Needs m >= n. Not modified: {@code globals}.
   */
  public static WindowGlobalSupport causal(int n, int m, int window, int[] globals) {
    WindowGlobalSupport plain = of(n, m, 0, globals);
    return new WindowGlobalSupport(window == 0 ? null : BandSupport.causal(n, m, window), plain.globals, n, m);
  }

  private WindowGlobalSupport(BandSupport band, int[] globals, int n, int m) {
    this.band = band;
    this.n = n;
    this.m = m;
    this.globals = globals;
    this.isGlobal = new boolean[m];
    for (int g : globals) {
      isGlobal[g] = true;
    }
    this.block = band == null ? 64 : Math.max(8, Math.min(64, band.window()));
  }

  /** The global key columns, ascending. */
  public int[] globals() {
    return globals.clone();
  }

  /** Whether key j is a global column. */
  public boolean isGlobal(int j) {
    return isGlobal[j];
  }

  /** Window width W (0: none). */
  public int window() {
    return band == null ? 0 : band.window();
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
    return (n + block - 1) / block;
  }

  @Override
  public int maxTileQueries() {
    return block;
  }

  @Override
  public int maxTileKeys() {
    return Math.min(m, (band == null ? 0 : block + band.window() - 1) + globals.length);
  }

  @Override
  public void fillTile(int round, int tile, Tile dst) {
    int i0 = tile * block;
    int i1 = Math.min(n, i0 + block);
    int qn = i1 - i0;
    for (int r = 0; r < qn; r++) {
      dst.queries[r] = i0 + r;
    }
    int kn = 0;
    int j0 = 0;
    int j1 = 0;
    if (band != null) {
      // the windows of rows i0..i1-1 (their ends grow with i) cover [start(i0), end(i1 - 1))
      j0 = band.start(i0);
      j1 = Math.max(j0, band.end(i1 - 1));
      for (int j = j0; j < j1; j++) {
        dst.keys[kn++] = j;
      }
    }
    for (int g : globals) {
      if (g < j0 || g >= j1) {
        dst.keys[kn++] = g;
      }
    }
    dst.queryCount = qn;
    dst.keyCount = kn;
    for (int r = 0; r < qn; r++) {
      int i = i0 + r;
      for (int c = 0; c < kn; c++) {
        int j = dst.keys[c];
        dst.include[r * kn + c] = isGlobal[j] || (band != null && band.contains(i, j));
      }
    }
  }

  @Override
  public boolean contains(int i, int j) {
    return isGlobal[j] || (band != null && band.contains(i, j));
  }

  @Override
  public int firstKey(int i) {
    int first = globals.length > 0 ? globals[0] : Integer.MAX_VALUE;
    if (band != null && band.end(i) > band.start(i)) {
      first = Math.min(first, band.start(i));
    }
    return first;
  }

  @Override
  public boolean deduplicated() {
    return true;
  }

  @Override
  public int maxRowSupport() {
    return Math.max(1, Math.min(m, (band == null ? 0 : band.window()) + globals.length));
  }

  @Override
  public int rowSupport(int i, int[] keys, int[] counts) {
    int len = 0;
    // merge the window's key range [w, wEnd) with the global columns, each key once, ascending
    int w = band == null ? 0 : band.start(i);
    int wEnd = band == null ? 0 : band.end(i);
    int g = 0;
    while (w < wEnd || g < globals.length) {
      int next;
      if (g >= globals.length || (w < wEnd && w < globals[g])) {
        next = w++;
      } else if (w >= wEnd || globals[g] < w) {
        next = globals[g++];
      } else {
        next = w++;
        g++;
      }
      keys[len] = next;
      counts[len] = 1;
      len++;
    }
    return len;
  }

  @Override
  public double entriesPerRow() {
    return window() + globals.length;
  }

  @Override
  public long storedBytes() {
    return 4L * globals.length + m;
  }
}
