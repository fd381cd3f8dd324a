package org.scatterbrain.core.sparse;

import org.scatterbrain.core.Checks;

/**
 * Sliding-window ("local") support of width W (spec section 3(c)): key j is in query i's window iff {@code i -
 * floor(W/2) <= j < i + ceil(W/2)} and {@code 0 <= j < m}. Positions are absolute indices, so for n != m the band is
 * not centred on a diagonal of the rectangle, and an even W is asymmetric (W = 4: offsets -2..1).
 *
 * <p>Causal form ({@link #causal}): query i sees the W most recent visible keys {@code [i + m - n - W + 1, i + m - n]}
 * (clipped at 0), so no slot of the budget goes to a masked key; the first rows (with m = n, rows i < W - 1) see fewer
 * keys, and {@link #entriesPerRow} is then the exact mean count.
 *
 * <p>Tiles are blocks of consecutive queries against the keys their windows cover. One round, no index storage.
 */
public final class BandSupport implements SparseSupport {
  private final int n;
  private final int m;
  private final int window;
  private final int before;
  private final int after;
  private final int block;
  private final boolean causal;

  private BandSupport(int n, int m, int window, boolean causal) {
    this.n = n;
    this.m = m;
    this.window = window;
    // key j is in query i's window iff i - before <= j < i + after
    this.before = causal ? window - 1 - (m - n) : window / 2;
    this.after = causal ? m - n + 1 : (window + 1) / 2;
    this.block = Math.max(8, Math.min(64, window));
    this.causal = causal;
  }

  /** The band of width {@code window} over n queries and m keys. */
  public static BandSupport of(int n, int m, int window) {
    Checks.requirePositive(window, "window");
    Checks.requirePositive(n, "n");
    Checks.requirePositive(m, "m");
    return new BandSupport(n, m, window, false);
  }

  /**
   * The causal window of width {@code window} over n queries and m >= n keys: query i sees keys {@code [i + m - n -
   * W + 1, i + m - n]} that exist.
   */
  public static BandSupport causal(int n, int m, int window) {
    Checks.requirePositive(window, "window");
    Checks.requirePositive(n, "n");
    Checks.requirePositive(m, "m");
    if (m < n) {
      throw new IllegalArgumentException("a causal window needs m >= n, got n = " + n + ", m = " + m);
    }
    return new BandSupport(n, m, window, true);
  }

  /**
   * Mean keys per row of the causal window: row i sees {@code min(W, i + m - n + 1)} keys. Computed in closed form:
   * rows with {@code i + m - n + 1 < W} see {@code m - n + 1 .. W - 1} keys, the rest W.
   */
  public static double causalEntriesPerRow(int n, int m, int window) {
    long off = (long) m - n;
    long shortRows = Math.max(0, Math.min(n, window - 1 - off)); // rows i < W - 1 - off
    // sum over i < shortRows of (i + off + 1)
    double partial = shortRows * (off + 1) + (double) shortRows * (shortRows - 1) / 2.0;
    return (partial + (double) (n - shortRows) * window) / n;
  }

  /** Whether this is the causal window. */
  public boolean isCausal() {
    return causal;
  }

  /** Window width W. */
  public int window() {
    return window;
  }

  /** The first key of row i's window (its keys are {@code [start(i), end(i))}; both grow with i). */
  public int start(int i) {
    return Math.max(0, Math.min(m, i - before));
  }

  /** One past the last key of row i's window. */
  public int end(int i) {
    return Math.max(start(i), Math.min(m, i + after));
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
    return Math.min(m, block + window - 1);
  }

  @Override
  public void fillTile(int round, int tile, Tile dst) {
    int i0 = tile * block;
    int i1 = Math.min(n, i0 + block);
    int j0 = Math.max(0, Math.min(m, i0 - before));
    int j1 = Math.max(j0, Math.min(m, i1 - 1 + after));
    int qn = i1 - i0;
    int kn = j1 - j0;
    for (int r = 0; r < qn; r++) {
      dst.queries[r] = i0 + r;
    }
    for (int c = 0; c < kn; c++) {
      dst.keys[c] = j0 + c;
    }
    dst.queryCount = qn;
    dst.keyCount = kn;
    for (int r = 0; r < qn; r++) {
      int i = i0 + r;
      for (int c = 0; c < kn; c++) {
        int j = j0 + c;
        dst.include[r * kn + c] = j >= i - before && j < i + after;
      }
    }
  }

  @Override
  public boolean contains(int i, int j) {
    return j >= 0 && j < m && j >= i - before && j < i + after;
  }

  @Override
  public boolean deduplicated() {
    return true;
  }

  @Override
  public int maxRowSupport() {
    return Math.min(m, window);
  }

  @Override
  public int rowSupport(int i, int[] keys, int[] counts) {
    int j0 = Math.max(0, i - before);
    int j1 = Math.min(m, i + after);
    int len = 0;
    for (int j = j0; j < j1; j++) {
      keys[len] = j;
      counts[len] = 1;
      len++;
    }
    return len;
  }

  @Override
  public double entriesPerRow() {
    return causal ? causalEntriesPerRow(n, m, window) : window;
  }

  @Override
  public long storedBytes() {
    return 0;
  }
}
