package org.scatterbrain.core;

import java.util.List;
import java.util.function.IntFunction;
import org.scatterbrain.core.HybridConfig.Remainder;
import org.scatterbrain.core.features.ProjectionScaling;

/**
 * Every estimator the tests and benchmarks exercise, listed once: its name (the method label the sweeps use), a small
 * configuration for the contract tests, the configuration the JMH benchmarks time (about 256 entries per row, as
 * documented in {@code docs/benchmarks.md}), its budget rule, and what the contract may assert about it. A new
 * estimator gets the whole {@link EstimatorContractTest} and a JMH benchmark by adding one entry here.
 */
public final class EstimatorCatalog {
  private EstimatorCatalog() {}

  /**
   * One estimator.
   *
   * @param name method label, e.g. {@code scatterbrain-smyrf}
   * @param small configuration for the contract tests (n and m around 40-200)
   * @param benchmark configuration timed by JMH, or null when not benchmarked
   * @param atBudget its {@code forBudget} rule, or null (exact attention has no budget)
   * @param random whether its output depends on the seed (local attention takes its two seeds but uses neither)
   * @param convex whether every normalised row is non-negative and sums to 1 (every method but Nystrom, whose
   *     pseudo-inverse gives rows that sum to 1 only approximately and can be negative)
   */
  public record Entry(
      String name,
      MethodConfig small,
      MethodConfig benchmark,
      IntFunction<MethodConfig> atBudget,
      boolean random,
      boolean convex) {
    @Override
    public String toString() {
      return name + " " + small;
    }

    /** Whether it takes the two stream seeds of {@link Draws} from the caller's generator (not exact, Nystrom, oracle). */
    public boolean drawsSeeds() {
      return !(small instanceof ExactConfig || small instanceof NystromConfig || small instanceof OracleConfig);
    }
  }

  /** The estimators, in a fixed order. */
  public static List<Entry> all() {
    return List.of(
        new Entry("exact", new ExactConfig(), null, null, false, true),
        new Entry("performer", PerformerConfig.of(32), PerformerConfig.of(256),
            b -> PerformerConfig.forBudget(b, true), true, true),
        new Entry("performer-plain", new PerformerConfig(20, false, ProjectionScaling.SQRT_D, 1e-4), null,
            b -> PerformerConfig.forBudget(b, false), true, true),
        new Entry("smyrf", SmyrfConfig.of(20, 2), SmyrfConfig.of(128, 2), b -> SmyrfConfig.forBudget(b, 2, false),
            true, true),
        new Entry("smyrf-dedup", new SmyrfConfig(20, 2, true), null, b -> SmyrfConfig.forBudget(b, 2, true), true,
            true),
        new Entry("reformer", ReformerConfig.of(20, 2), ReformerConfig.of(128, 2),
            b -> ReformerConfig.forBudget(b, 2, 0), true, true),
        new Entry("local", new LocalConfig(9), new LocalConfig(128), LocalConfig::forBudget, false, true),
        new Entry("scatterbrain-smyrf", new ScatterbrainConfig(PerformerConfig.of(16), new SmyrfConfig(20, 2, true)),
            new ScatterbrainConfig(PerformerConfig.of(256), new SmyrfConfig(128, 2, true)),
            b -> ScatterbrainConfig.forBudget(b, s -> SmyrfConfig.forBudget(s, 2, true)), true, true),
        new Entry("scatterbrain-reformer", new ScatterbrainConfig(PerformerConfig.of(16), ReformerConfig.of(20, 2)),
            null, b -> ScatterbrainConfig.forBudget(b, s -> ReformerConfig.forBudget(s, 2, 0)), true, true),
        new Entry("scatterbrain-local", new ScatterbrainConfig(PerformerConfig.of(16), new LocalConfig(9)),
            ScatterbrainConfig.forBudget(256, LocalConfig::forBudget),
            b -> ScatterbrainConfig.forBudget(b, LocalConfig::forBudget), true, true),
        new Entry("nystrom", new NystromConfig(10), new NystromConfig(64), NystromConfig::forBudget, false, false),
        new Entry("performer-authors", AuthorsPerformerConfig.of(20), AuthorsPerformerConfig.of(256),
            AuthorsPerformerConfig::forBudget, true, false),
        new Entry("hybrid-pool", new HybridConfig(9, 4, 0, 0, Remainder.POOL, 12, 6, 3, false),
            HybridConfig.forBudget(256, Remainder.POOL, 0, false), b -> HybridConfig.forBudget(b, Remainder.POOL, 0,
                false), true, true),
        new Entry("hybrid-pool-adaptive", new HybridConfig(9, 4, 0, 0, Remainder.POOL, 12, 6, 3, true),
            HybridConfig.forBudget(256, Remainder.POOL, 0, true),
            b -> HybridConfig.forBudget(b, Remainder.POOL, 0, true), true, false),
        new Entry("hybrid-pool-lsh", new HybridConfig(6, 4, 10, 1, Remainder.POOL, 12, 6, 3, false), null,
            b -> HybridConfig.forBudget(b, Remainder.POOL, 1, false), true, true),
        new Entry("hybrid-sampled", new HybridConfig(9, 4, 0, 0, Remainder.SAMPLED, 16, 0, 0, false), null,
            b -> HybridConfig.forBudget(b, Remainder.SAMPLED, 0, false), true, true),
        new Entry("hybrid-favor", new HybridConfig(9, 4, 0, 0, Remainder.FAVOR, 8, 0, 0, false), null,
            b -> HybridConfig.forBudget(b, Remainder.FAVOR, 0, false), true, true),
        new Entry("hybrid-oprf", new HybridConfig(9, 4, 0, 0, Remainder.OPRF, 8, 0, 0, false), null,
            b -> HybridConfig.forBudget(b, Remainder.OPRF, 0, false), true, true),
        new Entry("hybrid-blocks", new HybridConfig(9, 3, 0, 0, Remainder.BLOCKS, 10, 0, 0, false),
            HybridConfig.forBudget(256, Remainder.BLOCKS, 0, false),
            b -> HybridConfig.forBudget(b, Remainder.BLOCKS, 0, false), false, true),
        new Entry("oracle-top", new OracleConfig(12, false), null, b -> OracleConfig.forBudget(b, false), false, true),
        new Entry("oracle-top-uniform", new OracleConfig(12, true), null, b -> OracleConfig.forBudget(b, true), false,
            true));
  }

  /** The entry called {@code name}; throws naming the known ones. */
  public static Entry named(String name) {
    for (Entry e : all()) {
      if (e.name().equals(name)) {
        return e;
      }
    }
    throw new IllegalArgumentException("no estimator '" + name + "' in the catalog; known: "
        + all().stream().map(Entry::name).toList());
  }

  /** The names of the benchmarked entries. */
  public static List<String> benchmarked() {
    return all().stream().filter(e -> e.benchmark() != null).map(Entry::name).toList();
  }
}
