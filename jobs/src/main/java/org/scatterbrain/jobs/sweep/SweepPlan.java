package org.scatterbrain.jobs.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The expanded grid of a sweep: every trial, grouped by input cell. Plain Java, deterministic: the same spec gives
 * the same groups, trials, ids and seeds in the same order.
 */
public record SweepPlan(SweepSpec spec, List<InputGroup> groups) {
  /** Expands {@code spec}; throws {@link SweepConfigException} for a method that cannot run at some n. */
  public static SweepPlan expand(SweepSpec spec) {
    Map<InputKey, List<Trial>> cells = new LinkedHashMap<>();
    List<Integer> budgets = spec.budgets().isEmpty() ? java.util.Collections.singletonList(null) : spec.budgets();
    for (InputSource source : spec.inputs()) {
      for (int n : spec.lengths()) {
        List<int[]> dims = new ArrayList<>();
        if (source instanceof InputSource.Npy npy) {
          dims.add(new int[] {npy.d(), npy.dv()});
        } else {
          for (int d : spec.headDims()) {
            if (spec.valueDims().isEmpty()) {
              dims.add(new int[] {d, d});
            } else {
              for (int dv : spec.valueDims()) {
                dims.add(new int[] {d, dv});
              }
            }
          }
        }
        for (int[] dd : dims) {
          for (double temperature : spec.temperatures()) {
            for (int seedIndex : spec.seeds()) {
              InputKey key = new InputKey(source, n, dd[0], dd[1], temperature, seedIndex);
              List<Trial> trials = cells.computeIfAbsent(key, x -> new ArrayList<>());
              Set<String> seen = new java.util.HashSet<>();
              for (MethodSpec m : spec.methods()) {
                for (Integer budget : budgets) {
                  for (TrialMethod tm : m.expand("exact".equals(m.method()) ? null : budget)) {
                    validate(m, tm, n);
                    Trial t = Trial.of(spec.seed(), key, tm);
                    if (seen.add(t.trialId())) {
                      trials.add(t);
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    List<InputGroup> groups = new ArrayList<>();
    for (Map.Entry<InputKey, List<Trial>> e : cells.entrySet()) {
      InputKey key = e.getKey();
      groups.add(
          new InputGroup(key, key.inputSeed(spec.seed()), List.copyOf(e.getValue()), cost(spec, key, e.getValue())));
    }
    return new SweepPlan(spec, List.copyOf(groups));
  }

  private static void validate(MethodSpec m, TrialMethod tm, int n) {
    try {
      tm.config().validateFor(n, n);
    } catch (IllegalArgumentException e) {
      throw new SweepConfigException(
          Keys.ROOT + "." + Keys.METHODS + "[" + m.index() + "] (" + tm.canonical() + ") at n = " + n + ": "
              + e.getMessage());
    }
  }

  /**
   * Estimated flops of a cell: the exact reference (2 n^2 (d + dv)), each trial's own work (entries per row times n
   * times (d + dv), plus n F d for features), and attention-matrix metrics (about one more exact pass per trial).
   */
  static double cost(SweepSpec spec, InputKey key, List<Trial> trials) {
    double n = key.n();
    double exact = 2.0 * n * n * (key.d() + key.dv());
    double total = exact;
    for (Trial t : trials) {
      double entries = t.method().config().entriesPerRow(key.n(), key.n());
      total += 2.0 * n * entries * (key.d() + key.dv());
      if (spec.attentionMetricsFor(key.n())) {
        total += exact;
      }
    }
    return total;
  }

  /** Number of trials. */
  public int trialCount() {
    return groups.stream().mapToInt(g -> g.trials().size()).sum();
  }

  /** The plan without trials that {@code done} accepts; empty groups are dropped. */
  public SweepPlan without(Predicate<Trial> done) {
    List<InputGroup> out = new ArrayList<>();
    for (InputGroup g : groups) {
      List<Trial> keep = g.trials().stream().filter(done.negate()).toList();
      if (!keep.isEmpty()) {
        out.add(keep.size() == g.trials().size() ? g : g.withTrials(keep));
      }
    }
    return new SweepPlan(spec, List.copyOf(out));
  }

  /**
   * Groups assigned to {@code partitions} bins by longest-processing-time-first: groups sorted by cost, each to the
   * currently lightest bin. Deterministic.
   */
  public List<List<InputGroup>> balance(int partitions) {
    int p = Math.max(1, Math.min(partitions, groups.size()));
    List<List<InputGroup>> bins = new ArrayList<>();
    double[] load = new double[p];
    for (int i = 0; i < p; i++) {
      bins.add(new ArrayList<>());
    }
    List<InputGroup> sorted = new ArrayList<>(groups);
    sorted.sort(Comparator.comparingDouble(InputGroup::cost).reversed());
    for (InputGroup g : sorted) {
      int best = 0;
      for (int i = 1; i < p; i++) {
        if (load[i] < load[best]) {
          best = i;
        }
      }
      bins.get(best).add(g);
      load[best] += g.cost();
    }
    return bins;
  }
}
