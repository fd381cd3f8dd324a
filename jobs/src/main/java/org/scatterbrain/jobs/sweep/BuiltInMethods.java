package org.scatterbrain.jobs.sweep;

import static org.scatterbrain.jobs.sweep.Params.ANTITHETIC;
import static org.scatterbrain.jobs.sweep.Params.BUCKETS;
import static org.scatterbrain.jobs.sweep.Params.BUCKET_SIZE;
import static org.scatterbrain.jobs.sweep.Params.CLUSTER_SIZE;
import static org.scatterbrain.jobs.sweep.Params.DEDUPLICATE;
import static org.scatterbrain.jobs.sweep.Params.FEATURES;
import static org.scatterbrain.jobs.sweep.Params.GLOBALS;
import static org.scatterbrain.jobs.sweep.Params.GROUPS;
import static org.scatterbrain.jobs.sweep.Params.LSH_ROUNDS;
import static org.scatterbrain.jobs.sweep.Params.ORACLE_KIND;
import static org.scatterbrain.jobs.sweep.Params.PERFORMER_KIND;
import static org.scatterbrain.jobs.sweep.Params.REMAINDER;
import static org.scatterbrain.jobs.sweep.Params.SAMPLES;
import static org.scatterbrain.jobs.sweep.Params.SPLIT;
import static org.scatterbrain.jobs.sweep.Params.TOP_K;
import static org.scatterbrain.jobs.sweep.Params.HASH_ROUNDS;
import static org.scatterbrain.jobs.sweep.Params.LANDMARKS;
import static org.scatterbrain.jobs.sweep.Params.PINV_ITERATIONS;
import static org.scatterbrain.jobs.sweep.Params.SPARSE;
import static org.scatterbrain.jobs.sweep.Params.WINDOW;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.scatterbrain.core.AuthorsPerformerConfig;
import org.scatterbrain.core.ExactConfig;
import org.scatterbrain.core.HybridConfig;
import org.scatterbrain.core.OracleConfig;
import org.scatterbrain.core.LocalConfig;
import org.scatterbrain.core.NystromConfig;
import org.scatterbrain.core.PerformerConfig;
import org.scatterbrain.core.ReformerConfig;
import org.scatterbrain.core.ScatterbrainConfig;
import org.scatterbrain.core.SmyrfConfig;
import org.scatterbrain.core.SparseConfig;
import org.scatterbrain.core.features.ProjectionScaling;

/**
 * The methods every sweep knows, one constant each: name, parameters, defaults and how a combination (or a budget)
 * becomes a core configuration. Budgets use each config's own {@code forBudget} rule (the inverse of its {@code
 * entriesPerRow}). Defaults: 2 hash rounds, antithetic features, no deduplication for plain SMYRF, Reformer's default
 * bucket count (buckets = 0).
 */
public enum BuiltInMethods implements MethodCodec {
  /** Exact attention: the reference every other method is measured against; not budgeted. */
  EXACT("exact", List.of()) {
    @Override
    public boolean budgeted() {
      return false;
    }

    @Override
    public Resolved resolve(Combination c) {
      return new Resolved(new ExactConfig(), Map.of());
    }
  },

  /**
   * FAVOR+ positive random features: F = B / 2 (even when antithetic). {@code kind = authors}: the authors' baseline
   * (plain features with their eps stabilisers, label performer-authors).
   */
  PERFORMER("performer", List.of(FEATURES, ANTITHETIC, PERFORMER_KIND)) {
    @Override
    public Resolved resolve(Combination c) {
      if ("authors".equals(c.get(PERFORMER_KIND, "unbiased"))) {
        if (c.get(ANTITHETIC, false)) {
          throw new IllegalArgumentException("the authors' Performer uses plain features: antithetic must be false");
        }
        AuthorsPerformerConfig a = c.budget() == null
            ? AuthorsPerformerConfig.of(c.require(FEATURES))
            : AuthorsPerformerConfig.forBudget(c.budget());
        return new Resolved(a, recorded(FEATURES, a.features(), PERFORMER_KIND, "authors"));
      }
      boolean anti = c.get(ANTITHETIC, true);
      PerformerConfig p = c.budget() == null
          ? new PerformerConfig(c.require(FEATURES), anti, ProjectionScaling.CHI, 0.0)
          : PerformerConfig.forBudget(c.budget(), anti);
      return new Resolved(p, recorded(FEATURES, p.features(), ANTITHETIC, anti));
    }
  },

  /** SMYRF balanced asymmetric LSH clusters: b = B / h. */
  SMYRF("smyrf", List.of(CLUSTER_SIZE, HASH_ROUNDS, DEDUPLICATE)) {
    @Override
    public Resolved resolve(Combination c) {
      SmyrfConfig s = smyrf(c, c.get(DEDUPLICATE, false), c.budget());
      return new Resolved(s, recorded(CLUSTER_SIZE, s.clusterSize(), HASH_ROUNDS, s.hashRounds(), DEDUPLICATE,
          s.deduplicate()));
    }
  },

  /** Reformer-style angular LSH with look-back chunks: b = B / h (counted as b h: pitfall P16). */
  REFORMER("reformer", List.of(BUCKET_SIZE, HASH_ROUNDS, BUCKETS)) {
    @Override
    public Resolved resolve(Combination c) {
      ReformerConfig r = reformer(c, c.budget());
      return new Resolved(r, recorded(BUCKET_SIZE, r.bucketSize(), BUCKETS, bucketsOrNull(r), HASH_ROUNDS,
          r.hashRounds()));
    }
  },

  /** Sliding window: W = B. */
  LOCAL("local", List.of(WINDOW)) {
    @Override
    public Resolved resolve(Combination c) {
      LocalConfig l = local(c, c.budget());
      return new Resolved(l, recorded(WINDOW, l.window()));
    }
  },

  /** Nystrom landmarks: L = B / 2; the paper's iterative pseudo-inverse (6 iterations) unless listed. */
  NYSTROM("nystrom", List.of(LANDMARKS, PINV_ITERATIONS)) {
    @Override
    public Resolved resolve(Combination c) {
      int it = c.get(PINV_ITERATIONS, NystromConfig.PAPER_ITERATIONS);
      NystromConfig n = c.budget() == null
          ? new NystromConfig(c.require(LANDMARKS), it)
          : NystromConfig.forBudget(c.budget(), it);
      return new Resolved(n, recorded(LANDMARKS, n.landmarks(), PINV_ITERATIONS, n.pinvIterations()));
    }
  },

  /**
   * Scatterbrain: a sparse support (one kind per entry) plus FAVOR+ features, half the budget each; pairs found in
   * several hash rounds count once (recorded as deduplicate = true).
   */
  SCATTERBRAIN("scatterbrain", List.of(SPARSE, FEATURES, CLUSTER_SIZE, HASH_ROUNDS, BUCKET_SIZE, BUCKETS, WINDOW)) {
    @Override
    public void checkEntry(Map<Param, List<Object>> lists, String path) {
      List<Object> sparse = lists.get(SPARSE);
      if (sparse == null || sparse.size() != 1) {
        throw new SweepConfigException(path + "." + SPARSE.key(), sparse,
            "exactly one of smyrf, reformer, local (one method entry per sparse kind)");
      }
      String kind = (String) sparse.get(0);
      Set<Param> allowed = Set.copyOf(SPARSE_PARAMS.get(kind));
      for (Param p : lists.keySet()) {
        if (!allowed.contains(p)) {
          Set<String> keys = new TreeSet<>();
          allowed.forEach(a -> keys.add(a.key()));
          throw new SweepConfigException(path + "." + p.key(), lists.get(p),
              "parameters of scatterbrain with sparse = " + kind + ": " + keys);
        }
      }
    }

    @Override
    public Resolved resolve(Combination c) {
      String kind = c.require(SPARSE);
      ScatterbrainConfig sb = c.budget() == null
          ? new ScatterbrainConfig(PerformerConfig.of(c.require(FEATURES)), sparse(kind, c, null))
          : ScatterbrainConfig.forBudget(c.budget(), half -> sparse(kind, c, half));
      Map<Param, Object> v = recorded(FEATURES, sb.lowRank().features(), SPARSE, kind, ANTITHETIC, true);
      if (sb.sparse() instanceof SmyrfConfig s) {
        v.putAll(recorded(CLUSTER_SIZE, s.clusterSize(), HASH_ROUNDS, s.hashRounds(), DEDUPLICATE, true));
      } else if (sb.sparse() instanceof ReformerConfig r) {
        v.putAll(recorded(BUCKET_SIZE, r.bucketSize(), BUCKETS, bucketsOrNull(r), HASH_ROUNDS, r.hashRounds(),
            DEDUPLICATE, true));
      } else if (sb.sparse() instanceof LocalConfig l) {
        v.putAll(recorded(WINDOW, l.window()));
      }
      return new Resolved(sb, v);
    }
  },

  /**
   * Sparse + remainder beyond the paper (core's {@code HybridAttention}): a window, global key columns and optional
   * SMYRF rounds exact, the rest estimated by pooled key groups (the default), sampled keys, FAVOR+ or OPRF features,
   * or position blocks (the first keys as globals; causal). With a budget: a quarter each to the window and the
   * globals (an eighth each and a quarter to LSH buckets with lsh-rounds; blocks: half to the window and an eighth to
   * the first keys), the rest to the remainder; {@code split = adaptive} chooses the exact share per head.
   */
  HYBRID("hybrid", List.of(REMAINDER, WINDOW, GLOBALS, GROUPS, SAMPLES, FEATURES, LSH_ROUNDS, CLUSTER_SIZE, SPLIT)) {
    @Override
    public void checkEntry(Map<Param, List<Object>> lists, String path) {
      List<Object> r = lists.get(REMAINDER);
      if (r == null || r.size() != 1) {
        throw new SweepConfigException(path + "." + REMAINDER.key(), r,
            "exactly one of pool, sampled, favor, oprf, blocks (one method entry per remainder)");
      }
      Set<Param> allowed = new java.util.HashSet<>(List.of(REMAINDER, WINDOW, GLOBALS, LSH_ROUNDS, CLUSTER_SIZE, SPLIT));
      switch ((String) r.get(0)) {
        case "pool" -> allowed.addAll(List.of(GROUPS, SAMPLES));
        case "sampled" -> allowed.add(SAMPLES);
        case "blocks" -> {
          allowed.add(GROUPS);
          allowed.removeAll(List.of(LSH_ROUNDS, CLUSTER_SIZE, SPLIT));
        }
        default -> allowed.add(FEATURES);
      }
      for (Param p : lists.keySet()) {
        if (!allowed.contains(p)) {
          Set<String> keys = new TreeSet<>();
          allowed.forEach(a -> keys.add(a.key()));
          throw new SweepConfigException(path + "." + p.key(), lists.get(p),
              "parameters of hybrid with remainder = " + r.get(0) + ": " + keys);
        }
      }
    }

    @Override
    public Resolved resolve(Combination c) {
      HybridConfig.Remainder rem = HybridConfig.Remainder.valueOf(c.<String>require(REMAINDER).toUpperCase(
          java.util.Locale.ROOT));
      int rounds = c.get(LSH_ROUNDS, 0);
      boolean adaptive = "adaptive".equals(c.get(SPLIT, "fixed"));
      HybridConfig h;
      if (c.budget() != null) {
        h = HybridConfig.forBudget(c.budget(), rem, rounds, adaptive);
      } else {
        int size = switch (rem) {
          case POOL -> c.<Integer>require(GROUPS);
          case SAMPLED -> c.<Integer>require(SAMPLES);
          case BLOCKS -> c.<Integer>require(GROUPS);
          default -> c.<Integer>require(FEATURES);
        };
        int samples = rem == HybridConfig.Remainder.POOL ? c.<Integer>require(SAMPLES) : 0;
        h = new HybridConfig(c.require(WINDOW), c.require(GLOBALS), rounds > 0 ? c.<Integer>require(CLUSTER_SIZE) : 0,
            rounds, rem, size, samples, rem == HybridConfig.Remainder.POOL ? HybridConfig.DEFAULT_ITERATIONS : 0,
            adaptive);
      }
      Map<Param, Object> v = recorded(REMAINDER, rem.name().toLowerCase(java.util.Locale.ROOT), WINDOW, h.window(),
          GLOBALS, h.globals(), LSH_ROUNDS, h.lshRounds(), SPLIT, adaptive ? "adaptive" : "fixed");
      if (h.lshRounds() > 0) {
        v.put(CLUSTER_SIZE, h.lshClusterSize());
      }
      switch (rem) {
        case POOL -> v.putAll(recorded(GROUPS, h.remainderSize(), SAMPLES, h.samples()));
        case SAMPLED -> v.put(SAMPLES, h.remainderSize());
        case BLOCKS -> v.put(GROUPS, h.remainderSize());
        default -> v.put(FEATURES, h.remainderSize());
      }
      return new Resolved(h, v);
    }
  },

  /**
   * The oracle reference (reads the exact matrix; flagged as a reference, never a best method): top-k keys per row,
   * renormalised (support = top: k = B) or with the exact rest spread uniformly (support = top-uniform: k = B / 2).
   */
  ORACLE("oracle", List.of(ORACLE_KIND, TOP_K)) {
    @Override
    public boolean reference() {
      return true;
    }

    @Override
    public Resolved resolve(Combination c) {
      boolean uniform = "top-uniform".equals(c.require(ORACLE_KIND));
      OracleConfig o = c.budget() == null
          ? new OracleConfig(c.require(TOP_K), uniform)
          : OracleConfig.forBudget(c.budget(), uniform);
      return new Resolved(o, recorded(ORACLE_KIND, uniform ? "top-uniform" : "top", TOP_K, o.topK()));
    }
  };

  /** The parameters of each sparse kind of Scatterbrain. */
  private static final Map<String, List<Param>> SPARSE_PARAMS =
      Map.of(
          "local", List.of(SPARSE, FEATURES, WINDOW),
          "smyrf", List.of(SPARSE, FEATURES, CLUSTER_SIZE, HASH_ROUNDS),
          "reformer", List.of(SPARSE, FEATURES, BUCKET_SIZE, BUCKETS, HASH_ROUNDS));

  private static final int DEFAULT_ROUNDS = 2;

  private final String name;
  private final List<Param> params;

  BuiltInMethods(String name, List<Param> params) {
    this.name = name;
    this.params = params;
  }

  @Override
  public String method() {
    return name;
  }

  @Override
  public List<Param> params() {
    return params;
  }

  private static SmyrfConfig smyrf(Combination c, boolean dedup, Integer budget) {
    int h = c.get(HASH_ROUNDS, DEFAULT_ROUNDS);
    return budget == null
        ? new SmyrfConfig(c.require(CLUSTER_SIZE), h, dedup)
        : SmyrfConfig.forBudget(budget, h, dedup);
  }

  private static ReformerConfig reformer(Combination c, Integer budget) {
    int h = c.get(HASH_ROUNDS, DEFAULT_ROUNDS);
    int buckets = c.get(BUCKETS, 0);
    return budget == null
        ? new ReformerConfig(c.require(BUCKET_SIZE), h, buckets)
        : ReformerConfig.forBudget(budget, h, buckets);
  }

  private static LocalConfig local(Combination c, Integer budget) {
    return budget == null ? new LocalConfig(c.require(WINDOW)) : LocalConfig.forBudget(budget);
  }

  /** Scatterbrain's sparse part of {@code kind}, with listed sizes (budget null) or for a budget. */
  private static SparseConfig sparse(String kind, Combination c, Integer budget) {
    return switch (kind) {
      case "smyrf" -> smyrf(c, true, budget);
      case "reformer" -> reformer(c, budget);
      default -> local(c, budget);
    };
  }

  /** Reformer's bucket count as recorded: null for the default (0 = n / bucket size, rounded up to even). */
  private static Integer bucketsOrNull(ReformerConfig r) {
    return r.buckets() == 0 ? null : r.buckets();
  }

  private static Map<Param, Object> recorded(Object... pairs) {
    Map<Param, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((Param) pairs[i], pairs[i + 1]);
    }
    return m;
  }
}
