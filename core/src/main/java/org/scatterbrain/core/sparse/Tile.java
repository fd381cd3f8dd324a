package org.scatterbrain.core.sparse;

/**
 * A dense block of a sparse support: the queries {@code queries[0..queryCount)} against the keys {@code
 * keys[0..keyCount)}, with {@code include[r * keyCount + c]} telling whether pair (r, c) belongs to this tile (false
 * for pairs outside a band or already counted in an earlier hash round). Mutable scratch, reused tile after tile.
 */
public final class Tile {
  final int[] queries;
  final int[] keys;
  final boolean[] include;
  int queryCount;
  int keyCount;

  /** Scratch for tiles of at most {@code maxQueries} x {@code maxKeys}. */
  public Tile(int maxQueries, int maxKeys) {
    queries = new int[maxQueries];
    keys = new int[maxKeys];
    include = new boolean[maxQueries * maxKeys];
  }

  /** Number of queries in the tile. */
  public int queryCount() {
    return queryCount;
  }

  /** Number of keys in the tile. */
  public int keyCount() {
    return keyCount;
  }

  /** Query index of tile row r. */
  public int query(int r) {
    return queries[r];
  }

  /** Key index of tile column c. */
  public int key(int c) {
    return keys[c];
  }

  /** Whether pair (r, c) of the tile is part of the support here. */
  public boolean includes(int r, int c) {
    return include[r * keyCount + c];
  }
}
