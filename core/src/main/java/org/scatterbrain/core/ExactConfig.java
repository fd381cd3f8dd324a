package org.scatterbrain.core;

/** Exact softmax attention: no parameters. Stores n entries per row in the paper's count (the full matrix). */
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
  public void validateFor(int n, int m) {
    // any size
  }
}
