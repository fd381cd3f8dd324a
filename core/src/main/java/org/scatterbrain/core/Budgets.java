package org.scatterbrain.core;

/** Shared helpers of the configs' {@code forBudget} rules (the inverse of {@link MethodConfig#entriesPerRow}). */
final class Budgets {
  private Budgets() {}

  /** {@code x} rounded down to even. */
  static int evenFloor(int x) {
    return x - (x % 2);
  }

  /** Throws unless {@code fits}: the budget cannot hold even the smallest configuration of {@code method}. */
  static void requireFits(boolean fits, String method, int budget, String smallest) {
    if (!fits) {
      throw new IllegalArgumentException(
          "budget " + budget + " entries per row is too small for " + method + ": its smallest configuration needs "
              + smallest);
    }
  }
}
