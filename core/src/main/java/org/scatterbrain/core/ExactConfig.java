package org.scatterbrain.core;

/**
 * Exact softmax attention: no parameters. Stores m entries per row in the paper's count (the full matrix), and under
 * the causal mask the visible ones only: {@code m - n + (n + 1) / 2} on average.
 */
public record ExactConfig() implements MethodConfig {
  @Override
  public String method() {
    return "exact";
  }

  @Override
  public AttentionEstimator create(boolean parallel) {
    return new ExactAttention(parallel);
  }

  @Override
  public double entriesPerRow(int n, int m) {
    return m;
  }

  @Override
  public double entriesPerRow(int n, int m, boolean causal) {
    // row i sees i + m - n + 1 keys: the mean over i = 0..n-1
    return causal ? m - n + (n + 1) / 2.0 : m;
  }

  @Override
  public String causalUnsupported() {
    return null;
  }

  @Override
  public void validateFor(int n, int m) {
    // any size
  }
}
