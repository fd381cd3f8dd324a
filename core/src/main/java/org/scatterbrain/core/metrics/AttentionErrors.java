package org.scatterbrain.core.metrics;

/**
 * Errors of a normalised approximate attention matrix A_hat against exact attention A (both n x m, rows summing to
 * 1), computed row block by row block ({@link ErrorMetrics}).
 *
 * @param relativeFrobenius {@code ||A_hat - A||_F / ||A||_F}
 * @param maxAbs {@code max_ij |A_hat_ij - A_ij|}
 * @param klMean mean over rows of {@code KL(A_hat_i || A_i) = sum_j A_hat_ij ln(A_hat_ij / A_ij)}, in nats. This
 *     direction stays finite for sparse estimators, whose rows have zeros (the other direction is infinite for them).
 *     Rows with negative entries (Nystrom) are clipped at 0 and renormalised first.
 * @param klMax largest row KL divergence
 * @param tvMean mean over rows of the total variation {@code (1/2) sum_j |A_hat_ij - A_ij|}, in [0, 1]
 * @param tvMax largest row total variation
 * @param supportMass for sparse and Scatterbrain estimators, the share of exact attention mass on the sparse
 *     support, {@code (1/n) sum_i sum_{j in S_i} A_ij}; NaN for estimators without a support
 */
public record AttentionErrors(
    double relativeFrobenius,
    double maxAbs,
    double klMean,
    double klMax,
    double tvMean,
    double tvMax,
    double supportMass) {
  /** Whether {@link #supportMass} applies. */
  public boolean hasSupportMass() {
    return !Double.isNaN(supportMass);
  }
}
