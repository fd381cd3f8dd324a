package org.scatterbrain.jobs.sweep;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code bin/sweep --plan} prints, without starting Spark: the trials, input groups and exact references a
 * sweep will compute, per method and per input, and an estimate of the work (from n, d and each method's entries per
 * row: {@link SweepPlan#cost}); with {@code --trials}, every trial's id, seed and canonical config.
 */
public final class PlanReport {
  private PlanReport() {}

  /** Prints the plan of {@code plan}; with {@code trials}, one line per trial. */
  public static void print(SweepPlan plan, PrintStream out, boolean trials) {
    SweepSpec spec = plan.spec();
    Map<String, Integer> byMethod = new TreeMap<>();
    Map<String, Integer> byInput = new TreeMap<>();
    double flops = 0;
    int maxN = 0;
    for (InputGroup g : plan.groups()) {
      flops += g.cost();
      maxN = Math.max(maxN, g.input().n());
      byInput.merge(g.input().source().id(), g.trials().size(), Integer::sum);
      for (Trial t : g.trials()) {
        byMethod.merge(t.method().label(), 1, Integer::sum);
      }
    }
    out.printf(Locale.ROOT, "sweep %s (seed %d): %d trials in %d input groups; %d exact references%n", spec.name(),
        spec.seed(), plan.trialCount(), plan.groups().size(), plan.groups().size());
    out.printf(Locale.ROOT, "axes: n %s, head-dim %s, value-dim %s, temperature %s, causal %s, seeds %s, budget %s%n",
        spec.lengths(), spec.headDims().isEmpty() ? "(from the heads)" : spec.headDims(),
        spec.valueDims().isEmpty() ? "(= head-dim)" : spec.valueDims(), spec.temperatures(),
        spec.masks().stream().map(x -> x.name().toLowerCase(Locale.ROOT)).toList(), spec.seeds(),
        spec.budgets().isEmpty() ? "(none: sizes as listed)" : spec.budgets());
    long causalTrials = plan.groups().stream().filter(g -> g.input().causal()).mapToLong(g -> g.trials().size()).sum();
    if (causalTrials > 0) {
      out.printf(Locale.ROOT, "masks: %d trials bidirectional, %d causal%n", plan.trialCount() - causalTrials,
          causalTrials);
    }
    out.println("trials per method:");
    byMethod.forEach((m, c) -> out.printf(Locale.ROOT, "  %-28s %7d%n", m, c));
    out.println("trials per input:");
    byInput.forEach((i, c) -> out.printf(Locale.ROOT, "  %-60s %7d%n", i, c));
    double coreSeconds = flops / SweepPlan.FLOPS_PER_SECOND;
    out.printf(Locale.ROOT, "estimated work: %.3g flop-equivalents (exact references, estimates and metrics), roughly "
        + "%s on one slot (within about 2x); the largest input group has n = %d%n", flops, duration(coreSeconds), maxN);
    if (trials) {
      out.println("trial_id\tseed\tcanonical");
      for (InputGroup g : plan.groups()) {
        for (Trial t : g.trials()) {
          out.println(t.trialId() + "\t" + t.seed() + "\t" + t.canonical(spec.seed()));
        }
      }
    }
  }

  static String duration(double seconds) {
    if (seconds < 120) {
      return String.format(Locale.ROOT, "%.0f s", seconds);
    }
    if (seconds < 7200) {
      return String.format(Locale.ROOT, "%.0f min", seconds / 60);
    }
    return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
  }
}
