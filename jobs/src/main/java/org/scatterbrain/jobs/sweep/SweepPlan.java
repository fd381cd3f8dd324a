package org.scatterbrain.jobs.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The expanded grid of a sweep: every trial, grouped by input cell. Plain Java, deterministic: the same spec gives
 * the same groups, trials, ids and seeds in the same order.
 */
public record SweepPlan(SweepSpec spec, List<InputGroup> groups) {
  /**
   * Expands {@code spec}; throws {@link SweepConfigException} for a method that cannot run at some n, and for two
   * method entries that give the same trial (naming both).
   */
  public static SweepPlan expand(SweepSpec spec) {
    Map<InputKey, List<Trial>> cells = new LinkedHashMap<>();
    List<Integer> budgets = spec.budgets().isEmpty() ? java.util.Collections.singletonList(null) : spec.budgets();
    List<Param> order = spec.registry().params();
    // every method entry resolved once per budget (the same for every cell), then checked at every n
    List<List<TrialMethod>> resolved = new ArrayList<>();
    Map<String, MethodSpec> producer = new java.util.HashMap<>();
    for (MethodSpec m : spec.methods()) {
      List<TrialMethod> mine = new ArrayList<>();
      for (Integer budget : m.codec().budgeted() ? budgets : java.util.Collections.<Integer>singletonList(null)) {
        for (TrialMethod tm : m.expand(budget, order)) {
          MethodSpec other = producer.putIfAbsent(tm.canonical(), m);
          if (other != null) {
            throw new SweepConfigException(m.path() + " repeats " + other.path() + ": both give " + tm.canonical()
                + "; allowed: each method configuration once");
          }
          for (int n : spec.lengths()) {
            validate(m, tm, n, false);
            double perRow = Math.ceil(tm.config().entriesPerRow(n, n));
            // exact attention is streamed (its "entries" are the paper's count, not storage)
            if (m.codec().budgeted() && perRow * n > MAX_ARRAY) {
              throw new SweepConfigException(m.path() + " (" + tm.canonical() + ") at n = " + n + " stores " + perRow
                  + " entries per row, " + (long) (perRow * n) + " in all: more than a Java array holds ("
                  + MAX_ARRAY + "); allowed: a smaller n or budget");
            }
          }
          mine.add(tm);
        }
      }
      resolved.add(mine);
    }
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
          if ((long) n * Math.max(dd[0], dd[1]) > MAX_ARRAY) {
            throw new SweepConfigException(Keys.ROOT + "." + Keys.AXES + "." + Keys.N, n, "n x max(d, dv) at most "
                + MAX_ARRAY + " (one Java array holds the queries): with d = " + dd[0] + " and dv = " + dd[1]);
          }
          // "model" may coincide with true or false for a source: each mask once per source
          List<Boolean> masks = spec.masks().stream().map(x -> x.causalFor(source)).distinct().toList();
          if (masks.contains(true)) { // every method must have a causal form (checked once per source and n)
            for (int e = 0; e < resolved.size(); e++) {
              for (TrialMethod tm : resolved.get(e)) {
                validateCausal(spec.methods().get(e), tm, n, source);
              }
            }
          }
          for (double temperature : spec.temperatures()) {
            requireFiniteLogits(source, dd[0], temperature);
            for (boolean causal : masks) {
              for (int seedIndex : spec.seeds()) {
                InputKey key = new InputKey(source, n, dd[0], dd[1], temperature, seedIndex, causal);
                List<Trial> trials = cells.computeIfAbsent(key, x -> new ArrayList<>());
                for (List<TrialMethod> mine : resolved) {
                  for (TrialMethod tm : mine) {
                    trials.add(Trial.of(spec.seed(), key, tm));
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

  /** The largest Java array (the VMs' common limit, a few below Integer.MAX_VALUE). */
  static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  /**
   * Rejects a temperature at which an input's logits (or the random features' exponents, tau |x|^2) would overflow a
   * double, before any work: exact attention itself would be NaN there.
   */
  private static void requireFiniteLogits(InputSource source, int d, double temperature) {
    double tau = source.scale(temperature, d);
    double[] norms = source.maxNorms(d);
    double logits = org.scatterbrain.core.AttentionInputs.logitBound(tau, norms[0], norms[1]);
    double features = tau * Math.max(norms[0], norms[1]) * Math.max(norms[0], norms[1]);
    if (!Double.isFinite(logits) || !Double.isFinite(features)) {
      throw new SweepConfigException(Keys.ROOT + "." + Keys.AXES + "." + Keys.TEMPERATURE, temperature,
          "temperatures at which the logits of input " + source.id() + " stay finite: with head dim " + d
              + " and row norms up to " + Math.max(norms[0], norms[1]) + ", tau |q| |k| = " + logits
              + " and tau |x|^2 = " + features + " overflow a double");
    }
  }

  private static void validate(MethodSpec m, TrialMethod tm, int n, boolean causal) {
    try {
      tm.config().validateFor(n, n, causal);
    } catch (IllegalArgumentException e) {
      throw new SweepConfigException(
          m.path() + " (" + tm.canonical() + ") at n = " + n + ": " + e.getMessage());
    }
  }

  private static void validateCausal(MethodSpec m, TrialMethod tm, int n, InputSource source) {
    String why = tm.config().causalUnsupported();
    if (why != null) {
      throw new SweepConfigException(m.path() + " (" + tm.canonical() + ") cannot run on the causal cells of input "
          + source.id() + ": " + tm.config().method() + " has no causal form: " + why + "; allowed: drop the method, "
          + "or " + Keys.ROOT + "." + Keys.AXES + "." + Keys.CAUSAL + " = [false]");
    }
    validate(m, tm, n, true);
  }

  /**
   * Estimated work of a cell in flop-equivalents: the exact reference (2 n^2 (d + dv) plus about 30 per entry for its
   * exponential), each trial's own work (2 n B (d + dv) for B entries per row, plus a fixed {@value #TRIAL_OVERHEAD}
   * for setting up features, hashes and buffers), and its attention-matrix metrics when computed (logits, 2 n^2 d,
   * plus about 200 per entry for the exponentials, logarithms and support look-ups of KL, TV and the support mass).
   * Measured on the shipped sweeps (2 slots), {@link #FLOPS_PER_SECOND} turns it into seconds within about 2x.
   */
  static double cost(SweepSpec spec, InputKey key, List<Trial> trials) {
    double n = key.n();
    double entries2 = n * n;
    double total = entries2 * (2.0 * (key.d() + key.dv()) + 30);
    boolean metrics = spec.trials().attentionMetricsFor(key.n());
    for (Trial t : trials) {
      double entries = t.method().config().entriesPerRow(key.n(), key.n(), key.causal());
      total += 2.0 * n * entries * (key.d() + key.dv()) + TRIAL_OVERHEAD;
      total += metrics ? entries2 * (2.0 * key.d() + 200) : n * key.dv();
    }
    return total;
  }

  /** Fixed work of a trial, in flop-equivalents (about 7 ms at {@link #FLOPS_PER_SECOND}). */
  static final double TRIAL_OVERHEAD = 2e7;

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
   * The pieces a run commits (one task and one results file each), largest first, so that Spark's scheduler hands
   * the next piece to whichever slot frees up (list scheduling). With {@code partitions > 0}: that many pieces,
   * balanced by estimated cost ({@link #balance}). Otherwise groups (largest first) are packed into pieces of at most
   * {@code pieceSeconds} of estimated work (a larger group is a piece of its own), at most {@code maxGroups} groups
   * each (0: no limit). A group is never split.
   *
   * <p>{@code pieceSeconds = 0} sizes them automatically: a quarter of each slot's share of the sweep, between {@link
   * #MIN_PIECE_SECONDS} and 20 seconds, so a kill loses little; the last slot-round of work (the pieces that decide
   * when the slots finish) is cut into quarter pieces, no smaller than {@link #MIN_PIECE_SECONDS}, so the slots finish
   * together.
   */
  public List<Piece> pieces(int slots, int partitions, int maxGroups, double pieceSeconds) {
    List<List<InputGroup>> bins = new ArrayList<>();
    if (partitions > 0) {
      for (List<InputGroup> b : balance(partitions)) {
        if (!b.isEmpty()) {
          bins.add(b);
        }
      }
      bins.sort(Comparator.comparingDouble((List<InputGroup> b) -> -b.stream().mapToDouble(InputGroup::cost).sum()));
    } else {
      double total = groups.stream().mapToDouble(InputGroup::cost).sum() / FLOPS_PER_SECOND;
      int slotCount = Math.max(1, slots);
      double target =
          pieceSeconds > 0 ? pieceSeconds : Math.max(MIN_PIECE_SECONDS, Math.min(20, total / (4.0 * slotCount)));
      double tail = pieceSeconds > 0 ? pieceSeconds : Math.max(MIN_PIECE_SECONDS, target / 4);
      List<InputGroup> sorted = new ArrayList<>(groups);
      sorted.sort(Comparator.comparingDouble(InputGroup::cost).reversed());
      List<InputGroup> current = new ArrayList<>();
      double seconds = 0;
      double left = total;
      for (InputGroup g : sorted) {
        double groupSeconds = g.cost() / FLOPS_PER_SECOND;
        // the last pieces are smaller, so the slots finish together (less idle time at the end)
        double limit = left > target * slotCount ? target : tail;
        left -= groupSeconds;
        // an automatic piece takes a group when that brings it nearer its size than closing it would; a piece of
        // --piece-seconds never exceeds it (unless it is one group)
        double overshoot = pieceSeconds > 0 ? groupSeconds : groupSeconds / 2;
        if (!current.isEmpty() && (seconds + overshoot > limit || (maxGroups > 0 && current.size() >= maxGroups))) {
          bins.add(current);
          current = new ArrayList<>();
          seconds = 0;
        }
        current.add(g);
        seconds += groupSeconds;
      }
      if (!current.isEmpty()) {
        bins.add(current);
      }
    }
    List<Piece> out = new ArrayList<>();
    for (List<InputGroup> b : bins) {
      out.add(new Piece(out.size(), b));
    }
    return out;
  }

  /**
   * Rough throughput of one slot on this work, to turn estimated work into seconds for sizing pieces and for {@code
   * --plan}: exact attention alone runs at 28-35 GFLOP/s per core on AVX-512, but trials mix it with exponentials,
   * logarithms and sparse gathers, and two busy slots on a 2-core machine run at about 2/3 of one core each.
   */
  public static final double FLOPS_PER_SECOND = 3e9;

  /**
   * The smallest piece the automatic sizing makes, in estimated seconds. A piece has a fixed cost besides its trials:
   * Spark launches its task and the task writes its results file, about 30 ms of a slot in a fresh JVM (measured on
   * {@code minilm.conf}: the gap between one piece's end and the next one's start is 15-40 ms until Spark's own
   * scheduling code is compiled); at half a second that is at most 6% of the piece.
   */
  public static final double MIN_PIECE_SECONDS = 0.5;

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
