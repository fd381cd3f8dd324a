package org.scatterbrain.jobs.sweep;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.scatterbrain.core.ExactConfig;
import org.scatterbrain.core.LocalConfig;
import org.scatterbrain.core.MethodConfig;
import org.scatterbrain.core.NystromConfig;
import org.scatterbrain.core.PerformerConfig;
import org.scatterbrain.core.ReformerConfig;
import org.scatterbrain.core.ScatterbrainConfig;
import org.scatterbrain.core.SmyrfConfig;
import org.scatterbrain.core.SparseConfig;
import org.scatterbrain.core.features.ProjectionScaling;

/**
 * One entry of {@code sweep.methods}: a method and the lists of values of its parameters (their cartesian product
 * is swept). With a {@code budget} axis, the size parameters are derived from the budget instead (entries per query
 * row, counted as in the paper, spec section 6):
 *
 * <ul>
 *   <li>performer: F = B / 2 features (2F entries), rounded down to even for antithetic features;
 *   <li>local: W = B; smyrf and reformer: cluster (bucket) size B / h for h hash rounds;
 *   <li>scatterbrain: half the budget each: the sparse part gets B / 2 entries, the features F = B / 4 (rounded down
 *       to even);
 *   <li>nystrom: L = B / 2 landmarks; exact: not budgeted (one trial per input cell).
 * </ul>
 *
 * @param index position in {@code sweep.methods}, for messages
 * @param method method name
 * @param lists parameter name to its list of values (numbers, booleans or strings)
 */
public record MethodSpec(int index, String method, Map<String, List<Object>> lists)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Methods and the parameters each accepts. */
  public static final Map<String, Set<String>> PARAMETERS =
      Map.of(
          "exact", Set.of(),
          "performer", Set.of(Keys.FEATURES, Keys.ANTITHETIC),
          "smyrf", Set.of(Keys.CLUSTER_SIZE, Keys.HASH_ROUNDS, Keys.DEDUPLICATE),
          "reformer", Set.of(Keys.BUCKET_SIZE, Keys.HASH_ROUNDS, Keys.BUCKETS),
          "local", Set.of(Keys.WINDOW),
          "scatterbrain",
              Set.of(
                  Keys.SPARSE,
                  Keys.FEATURES,
                  Keys.CLUSTER_SIZE,
                  Keys.HASH_ROUNDS,
                  Keys.BUCKET_SIZE,
                  Keys.BUCKETS,
                  Keys.WINDOW),
          "nystrom", Set.of(Keys.LANDMARKS));

  /** Parameters a budget determines; they may not also be listed when the sweep has a budget axis. */
  public static final Set<String> SIZE_PARAMETERS =
      Set.of(Keys.FEATURES, Keys.CLUSTER_SIZE, Keys.BUCKET_SIZE, Keys.WINDOW, Keys.LANDMARKS);

  private String key(String param) {
    return Keys.ROOT + "." + Keys.METHODS + "[" + index + "]." + param;
  }

  /** Every combination of this entry's parameters, for an optional budget (null: parameters as listed). */
  public List<TrialMethod> expand(Integer budget) {
    List<TrialMethod> out = new ArrayList<>();
    List<Map<String, Object>> combos = combinations();
    for (Map<String, Object> c : combos) {
      out.add(resolve(c, budget));
    }
    return out;
  }

  private List<Map<String, Object>> combinations() {
    List<Map<String, Object>> acc = new ArrayList<>();
    acc.add(new java.util.TreeMap<>());
    for (Map.Entry<String, List<Object>> e : new java.util.TreeMap<>(lists).entrySet()) {
      List<Map<String, Object>> next = new ArrayList<>();
      for (Map<String, Object> partial : acc) {
        for (Object value : e.getValue()) {
          Map<String, Object> m = new java.util.TreeMap<>(partial);
          m.put(e.getKey(), value);
          next.add(m);
        }
      }
      acc = next;
    }
    return acc;
  }

  private int intParam(Map<String, Object> c, String param, Integer derived) {
    Object v = c.get(param);
    if (v == null) {
      if (derived == null) {
        throw new SweepConfigException(key(param), null, "a list of positive integers (or a budget axis)");
      }
      return derived;
    }
    return ((Number) v).intValue();
  }

  private int rounds(Map<String, Object> c) {
    Object v = c.get(Keys.HASH_ROUNDS);
    return v == null ? 2 : ((Number) v).intValue();
  }

  private static int evenFloor(int x) {
    return x - (x % 2);
  }

  private Integer derived(Integer budget, int divisor) {
    return budget == null ? null : Math.max(1, budget / divisor);
  }

  private TrialMethod resolve(Map<String, Object> c, Integer budget) {
    try {
      return resolveChecked(c, budget);
    } catch (SweepConfigException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new SweepConfigException(
          Keys.ROOT + "." + Keys.METHODS + "[" + index + "] (" + method + " " + c
              + (budget == null ? "" : ", budget " + budget) + "): " + e.getMessage());
    }
  }

  private TrialMethod resolveChecked(Map<String, Object> c, Integer budget) {
    switch (method) {
      case "exact":
        return new TrialMethod(
            new ExactConfig(), null, null, null, null, null, null, null, null, null, null, null);
      case "performer":
        {
          boolean anti = (Boolean) c.getOrDefault(Keys.ANTITHETIC, Boolean.TRUE);
          Integer d = budget == null ? null : anti ? evenFloor(budget / 2) : budget / 2;
          int f = intParam(c, Keys.FEATURES, d);
          MethodConfig cfg = new PerformerConfig(f, anti, ProjectionScaling.CHI, 0.0);
          return new TrialMethod(cfg, f, null, null, null, null, null, null, null, null, budget, anti);
        }
      case "smyrf":
        {
          int h = rounds(c);
          int b = intParam(c, Keys.CLUSTER_SIZE, derived(budget, h));
          boolean dedup = (Boolean) c.getOrDefault(Keys.DEDUPLICATE, Boolean.FALSE);
          return new TrialMethod(
              new SmyrfConfig(b, h, dedup), null, b, null, null, h, null, null, null, dedup, budget, null);
        }
      case "reformer":
        {
          int h = rounds(c);
          int b = intParam(c, Keys.BUCKET_SIZE, derived(budget, h));
          int nb = c.containsKey(Keys.BUCKETS) ? ((Number) c.get(Keys.BUCKETS)).intValue() : 0;
          return new TrialMethod(
              new ReformerConfig(b, h, nb), null, null, b, nb == 0 ? null : nb, h, null, null, null, null,
              budget, null);
        }
      case "local":
        {
          int w = intParam(c, Keys.WINDOW, budget);
          return new TrialMethod(
              new LocalConfig(w), null, null, null, null, null, w, null, null, null, budget, null);
        }
      case "nystrom":
        {
          int l = intParam(c, Keys.LANDMARKS, derived(budget, 2));
          return new TrialMethod(
              new NystromConfig(l), null, null, null, null, null, null, l, null, null, budget, null);
        }
      case "scatterbrain":
        return resolveScatterbrain(c, budget);
      default:
        throw new SweepConfigException(key(Keys.METHOD), method, String.join(", ", PARAMETERS.keySet()));
    }
  }

  private TrialMethod resolveScatterbrain(Map<String, Object> c, Integer budget) {
    String sparse = (String) c.get(Keys.SPARSE);
    if (sparse == null) {
      throw new SweepConfigException(key(Keys.SPARSE), null, "smyrf, reformer, local");
    }
    Integer half = budget == null ? null : Math.max(1, budget / 2);
    int f = intParam(c, Keys.FEATURES, budget == null ? null : Math.max(2, evenFloor(budget / 4)));
    PerformerConfig lowRank = PerformerConfig.of(f);
    SparseConfig sp;
    Integer clusterSize = null;
    Integer bucketSize = null;
    Integer buckets = null;
    Integer rounds = null;
    Integer window = null;
    switch (sparse) {
      case "smyrf":
        rounds = rounds(c);
        clusterSize = intParam(c, Keys.CLUSTER_SIZE, half == null ? null : Math.max(1, half / rounds));
        sp = new SmyrfConfig(clusterSize, rounds, true);
        break;
      case "reformer":
        rounds = rounds(c);
        bucketSize = intParam(c, Keys.BUCKET_SIZE, half == null ? null : Math.max(1, half / rounds));
        int nb = c.containsKey(Keys.BUCKETS) ? ((Number) c.get(Keys.BUCKETS)).intValue() : 0;
        buckets = nb == 0 ? null : nb;
        sp = new ReformerConfig(bucketSize, rounds, nb);
        break;
      case "local":
        window = intParam(c, Keys.WINDOW, half);
        sp = new LocalConfig(window);
        break;
      default:
        throw new SweepConfigException(key(Keys.SPARSE), sparse, "smyrf, reformer, local");
    }
    return new TrialMethod(
        new ScatterbrainConfig(lowRank, sp),
        f,
        clusterSize,
        bucketSize,
        buckets,
        rounds,
        window,
        null,
        sparse,
        "smyrf".equals(sparse) || "reformer".equals(sparse) ? Boolean.TRUE : null,
        budget,
        Boolean.TRUE);
  }
}
