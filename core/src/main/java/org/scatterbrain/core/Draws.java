package org.scatterbrain.core;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.scatterbrain.core.features.PositiveRandomFeatures;
import org.scatterbrain.core.features.ProjectionMatrix;

/**
 * How estimators split the caller's generator into independent streams. Every randomised estimator (Performer,
 * SMYRF, Reformer, local, Scatterbrain) takes exactly two longs from the caller's generator, in this order: the seed of the feature stream, then the seed of the hash stream. So
 * for the same generator state, Performer and Scatterbrain draw the same features, and Scatterbrain's hashes are
 * independent of its features (which its unbiasedness needs: spec 4.1). Exact and Nystrom attention draw nothing.
 */
public final class Draws {
  /**
   * The algorithm of the derived streams: {@link SplittableRandom} (SplitMix64), constructed directly so it needs no
   * service lookup (which fails under class loaders such as Spark's executor loader) and gives the same sequence for a
   * seed on every JDK 17+.
   */
  public static final String ALGORITHM = "SplittableRandom";

  private final RandomGenerator features;
  private final RandomGenerator hashes;

  private Draws(RandomGenerator features, RandomGenerator hashes) {
    this.features = features;
    this.hashes = hashes;
  }

  /** Takes two longs from {@code rng} and derives the two streams. Modified: {@code rng}. */
  public static Draws split(RandomGenerator rng) {
    long featureSeed = rng.nextLong();
    long hashSeed = rng.nextLong();
    return new Draws(create(featureSeed), create(hashSeed));
  }

  /** A generator of {@link #ALGORITHM} seeded with {@code seed}. */
  public static RandomGenerator create(long seed) {
    return new SplittableRandom(seed);
  }

  /** Stream for random features. */
  public RandomGenerator features() {
    return features;
  }

  /** Stream for hashing. */
  public RandomGenerator hashes() {
    return hashes;
  }

  /** Samples the feature map of {@code config} in dimension d from the feature stream. */
  public PositiveRandomFeatures sampleFeatures(PerformerConfig config, int d) {
    ProjectionMatrix w =
        ProjectionMatrix.sample(config.projectionRows(), d, config.scaling(), features);
    return PositiveRandomFeatures.of(w, config.antithetic(), config.eps());
  }
}
