/**
 * Random feature maps for the low-rank part: block-orthogonal Gaussian projections, FAVOR+ positive (optionally
 * antithetic) features with log-scale stabilisation, and the low-rank attention sums built from them.
 */
package org.scatterbrain.core.features;
