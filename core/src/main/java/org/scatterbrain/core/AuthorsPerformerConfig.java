package org.scatterbrain.core;

import org.scatterbrain.core.features.ProjectionScaling;

/**
 * The Performer baseline as the Scatterbrain authors run it (spec section 2.3; their {@code PerformerAttention}):
 * F plain (not antithetic) positive random features on a chi-scaled block-orthogonal projection, each feature {@code
 * (exp(u - |x'|^2 / 2 - c) + eps) / sqrt(F)} with c the row's largest u for a query and the largest u over all keys
 * for a key, and {@code out = phi(Q) (phi(K)^T V) / (phi(Q) (phi(K)^T 1) + normalizerEps)}. The stabiliser eps makes
 * the estimate biased (pitfall P5) but, as a shrinkage towards uniform attention, it lowers the error of diffuse
 * heads; the authors' defaults are softmax_eps = 1e-4 and normalization_eps = 1e-6.
 *
 * @param features F
 * @param featureEps eps added to every stabilised feature (the authors' softmax_eps)
 * @param normalizerEps added to every row's denominator (the authors' normalization_eps)
 */
public record AuthorsPerformerConfig(int features, double featureEps, double normalizerEps)
    implements MethodConfig {
  /** The authors' softmax_eps. */
  public static final double FEATURE_EPS = 1e-4;

  /** The authors' normalization_eps. */
  public static final double NORMALIZER_EPS = 1e-6;

  /** Validates. */
  public AuthorsPerformerConfig {
    Checks.requirePositive(features, "features");
    Checks.requireNonNegativeFinite(featureEps, "featureEps");
    Checks.requireNonNegativeFinite(normalizerEps, "normalizerEps");
  }

  /** F features with the authors' eps values. */
  public static AuthorsPerformerConfig of(int features) {
    return new AuthorsPerformerConfig(features, FEATURE_EPS, NORMALIZER_EPS);
  }

  /** F = B / 2 features (2F entries). */
  public static AuthorsPerformerConfig forBudget(int budget) {
    Budgets.requireFits(budget >= 2, "performer", budget, "2 (1 feature)");
    return of(budget / 2);
  }

  /** The projection's configuration: F plain features, chi-scaled (the authors' scaling = 0). */
  PerformerConfig projection() {
    return new PerformerConfig(features, false, ProjectionScaling.CHI, 0.0);
  }

  @Override
  public AttentionEstimator create(boolean parallel) {
    return new AuthorsPerformerAttention(this, parallel);
  }

  @Override
  public String method() {
    return "performer-authors";
  }

  @Override
  public double entriesPerRow(int n, int m) {
    return 2.0 * features;
  }

  /** Causal FAVOR+ by prefix sums, with the key stabiliser taken over visible keys ({@link AuthorsPerformerAttention}). */
  @Override
  public String causalUnsupported() {
    return null;
  }

  @Override
  public void validateFor(int n, int m) {
    // any size
  }
}
