package org.scatterbrain.core;

import java.util.Objects;
import org.scatterbrain.core.features.ProjectionScaling;

/**
 * FAVOR+ positive random features.
 *
 * @param features feature dimension F (with {@code antithetic}, F = 2r for r projection rows, so F must be even:
 *     pitfall P4 rejects the reference's silent flooring)
 * @param antithetic use [u, -u] features ("cosh", the Scatterbrain feature map and the reference cases')
 * @param scaling row norms of the projection
 * @param eps added to every stabilised feature (divided by sqrt(F)); 0, the default, keeps the estimate unbiased
 */
public record PerformerConfig(
    int features, boolean antithetic, ProjectionScaling scaling, double eps)
    implements MethodConfig {
  /** Validates. */
  public PerformerConfig {
    Checks.requirePositive(features, "features");
    if (antithetic) {
      Checks.requirePositiveEven(features, "features", "antithetic features come in +/- pairs");
    }
    Objects.requireNonNull(scaling, "scaling");
    Checks.requireNonNegativeFinite(eps, "eps");
  }

  /** F antithetic features, chi-scaled orthogonal projection, eps = 0. */
  public static PerformerConfig of(int features) {
    return new PerformerConfig(features, true, ProjectionScaling.CHI, 0.0);
  }

  /**
   * The most features whose 2F entries per row fit in {@code budget}: F = B / 2, rounded down to even for antithetic
   * features.
   */
  public static PerformerConfig forBudget(int budget, boolean antithetic) {
    int f = antithetic ? Budgets.evenFloor(budget / 2) : budget / 2;
    Budgets.requireFits(f >= (antithetic ? 2 : 1), "performer", budget,
        antithetic ? "4 (2 antithetic features)" : "2 (1 feature)");
    return new PerformerConfig(f, antithetic, ProjectionScaling.CHI, 0.0);
  }

  /** Number of projection rows r. */
  public int projectionRows() {
    return antithetic ? features / 2 : features;
  }

  @Override
  public String method() {
    return "performer";
  }

  @Override
  public AttentionEstimator create(boolean parallel) {
    return new PerformerAttention(this, parallel);
  }

  @Override
  public double entriesPerRow(int n, int m) {
    return 2.0 * features;
  }

  /**
   * Causal FAVOR+ (prefix sums) needs eps = 0: eps is added to features stabilised against all keys, which has no
   * causal form.
   */
  @Override
  public String causalUnsupported() {
    return eps > 0 ? "eps = " + eps + " > 0 is added to features stabilised against all keys; use eps = 0" : null;
  }

  @Override
  public void validateFor(int n, int m) {
    // any size
  }
}
