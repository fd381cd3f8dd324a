package org.scatterbrain.core.metrics;

/**
 * Errors of one estimate against exact attention.
 *
 * @param outputRelativeFrobenius {@code ||O_hat - O||_F / ||O||_F} for outputs O = A V (n x dv)
 * @param outputMaxAbs {@code max_ic |O_hat_ic - O_ic|}
 * @param attention errors of the attention matrix, or null when not requested (they cost about as much as exact
 *     attention again, plus O(n m F) for feature-based estimators)
 */
public record ErrorReport(
    double outputRelativeFrobenius, double outputMaxAbs, AttentionErrors attention) {}
