package org.scatterbrain.jobs.regression;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Compares a run's measurements with a baseline, metric by metric, and orders the result for the report: failures
 * first (regressions by how much worse, then missing metrics), then unconfirmed slowdowns, improvements, new metrics
 * and the unchanged rest.
 *
 * <ul>
 *   <li>accuracy: equal within {@code rel |baseline| + abs} (fixed seeds reproduce to round-off); worse beyond it
 *       regresses, better beyond it is reported as improved (the code changed);
 *   <li>memory: compared exactly;
 *   <li>speed and JMH ratios: slower than {@code (1 + tolerance) x baseline} regresses only when every re-run (speed:
 *       the probe run again; JMH: every fork) is also beyond it; otherwise it is an unconfirmed slowdown;
 *   <li>a metric in the baseline that this run did not measure (failed trial, removed method) is missing and fails,
 *       except JMH ratios when this run has none (no {@code --jmh}); a failed re-run is missing too;
 *   <li>a value that is not a finite number regresses, whatever the baseline.
 * </ul>
 */
public final class Verdicts {
  private Verdicts() {}

  /** Metrics where a larger value is better; for every other metric larger is worse. */
  public static final Set<String> HIGHER_IS_BETTER = Set.of("support_mass");

  /** Whether a larger value of {@code metric} is worse. */
  public static boolean higherIsWorse(String metric) {
    return !HIGHER_IS_BETTER.contains(metric);
  }

  /** The comparisons, in report order, and what was not compared. */
  public record Result(List<Comparison> comparisons, Map<Category, Integer> notCompared) {
    /** Count of each verdict, in verdict order (zero counts included). */
    public Map<Verdict, Integer> counts() {
      Map<Verdict, Integer> c = new EnumMap<>(Verdict.class);
      for (Verdict v : Verdict.values()) {
        c.put(v, 0);
      }
      for (Comparison x : comparisons) {
        c.merge(x.verdict(), 1, Integer::sum);
      }
      return c;
    }

    /** Whether any verdict fails the run. */
    public boolean failed() {
      return comparisons.stream().anyMatch(x -> x.verdict().fails());
    }
  }

  /**
   * Compares {@code current} with {@code baseline} (null: there is none for this testbed).
   *
   * @param reruns for timing metrics that were slower than their tolerance, the values of the confirming runs, by
   *     {@link Measurement#key()}
   */
  public static Result compare(
      Baseline baseline, List<Measurement> current, Map<String, List<Double>> reruns, RegressionSettings s) {
    List<Comparison> out = new ArrayList<>();
    Map<String, Measurement> base = new LinkedHashMap<>();
    if (baseline != null) {
      for (Measurement m : baseline.metrics()) {
        base.put(m.key(), m);
      }
    }
    Set<Category> measured = new HashSet<>();
    Set<String> seen = new HashSet<>();
    for (Measurement m : current) {
      measured.add(m.category());
      seen.add(m.key());
      Measurement b = base.get(m.key());
      out.add(compareOne(baseline == null, b, m, reruns.getOrDefault(m.key(), List.of()), s));
    }
    Map<Category, Integer> notCompared = new EnumMap<>(Category.class);
    for (Measurement b : base.values()) {
      if (seen.contains(b.key())) {
        continue;
      }
      if (b.category() == Category.JMH && !measured.contains(Category.JMH)) {
        notCompared.merge(b.category(), 1, Integer::sum);
        continue;
      }
      out.add(new Comparison(b.category(), b.variant(), b.cell(), b.metric(), b.value(), null, List.of(), null, null,
          tolerance(b.category(), s), Verdict.MISSING, b.params(),
          "in the baseline but not measured by this run (the sweep no longer has this method and cell, or the metric "
              + "is no longer computed)"));
    }
    out.sort(ORDER);
    return new Result(List.copyOf(out), notCompared);
  }

  private static final Comparator<Comparison> ORDER =
      Comparator.comparing(Comparison::verdict)
          .thenComparing(
              (Comparison x) -> {
                double sev = x.severity(higherIsWorse(x.metric()));
                // regressions and slowdowns: most worse first; improvements: most improved first
                return x.verdict() == Verdict.IMPROVED ? sev : -sev;
              })
          .thenComparing(Comparison::category)
          .thenComparing(Comparison::variant)
          .thenComparing(Comparison::cell)
          .thenComparing(Comparison::metric);

  private static Comparison compareOne(
      boolean noBaseline, Measurement b, Measurement m, List<Double> reruns, RegressionSettings s) {
    String tol = tolerance(m.category(), s);
    String params = b == null || b.params().equals(m.params()) ? m.params()
        : m.params() + " (baseline: " + b.params() + ")";
    Double bv = b == null ? null : b.value();
    Double cv = m.value();
    if (cv == null) {
      return new Comparison(m.category(), m.variant(), m.cell(), m.metric(), bv, null, List.of(), null, null, tol,
          Verdict.MISSING, params, m.note());
    }
    if (!Double.isFinite(cv)) {
      return new Comparison(m.category(), m.variant(), m.cell(), m.metric(), bv, cv, reruns, null, null, tol,
          Verdict.REGRESSED, params, "not a finite number");
    }
    if (noBaseline || b == null) {
      return new Comparison(m.category(), m.variant(), m.cell(), m.metric(), null, cv, reruns, null, null, tol,
          noBaseline ? Verdict.NO_BASELINE : Verdict.NEW, params, m.note());
    }
    double change = cv - bv;
    Double rel = bv == 0 ? null : change / Math.abs(bv);
    boolean worse = higherIsWorse(m.metric()) ? change > 0 : change < 0;
    Verdict v;
    String note = m.note();
    switch (m.category()) {
      case ACCURACY:
        v = Math.abs(change) <= s.relativeTolerance() * Math.abs(bv) + s.absoluteTolerance() ? Verdict.OK
            : worse ? Verdict.REGRESSED : Verdict.IMPROVED;
        break;
      case MEMORY:
        v = change == 0 ? Verdict.OK : worse ? Verdict.REGRESSED : Verdict.IMPROVED;
        break;
      default:
        double f = 1 + s.timingTolerance(m.category());
        if (cv > bv * f && reruns.stream().anyMatch(r -> !Double.isFinite(r))) {
          v = Verdict.MISSING;
          note = "slower than the limit " + String.format(Locale.ROOT, "%.4g", bv * f)
              + ", and a confirming re-run failed (see the notes)";
        } else if (cv > bv * f) {
          boolean confirmed = !reruns.isEmpty() && reruns.stream().allMatch(r -> r > bv * f);
          v = confirmed ? Verdict.REGRESSED : Verdict.SLOWER_UNCONFIRMED;
          if (!confirmed) {
            note = (note.isEmpty() ? "" : note + "; ") + (reruns.isEmpty() ? "no re-run to confirm it"
                : "not confirmed: re-run " + format(reruns) + " vs limit " + String.format(Locale.ROOT, "%.4g", bv * f));
          }
        } else {
          v = cv < bv / f ? Verdict.IMPROVED : Verdict.OK;
        }
        break;
    }
    return new Comparison(m.category(), m.variant(), m.cell(), m.metric(), bv, cv, reruns, change, rel, tol, v,
        params, note);
  }

  /** The rule a category's metrics are compared by, in words. */
  public static String tolerance(Category c, RegressionSettings s) {
    return switch (c) {
      case ACCURACY -> String.format(Locale.ROOT, "|change| <= %s |baseline| + %s",
          fmt(s.relativeTolerance()), fmt(s.absoluteTolerance()));
      case MEMORY -> "exact";
      case SPEED -> String.format(Locale.ROOT, "<= %s x baseline, confirmed by %d re-run%s",
          fmt(1 + s.speedTolerance()), s.reruns(), s.reruns() == 1 ? "" : "s");
      case JMH -> String.format(Locale.ROOT, "<= %s x baseline, confirmed in every fork", fmt(1 + s.jmhTolerance()));
    };
  }

  private static String fmt(double x) {
    return String.format(Locale.ROOT, "%.3g", x).replaceAll("\\.?0+(e|$)", "$1");
  }

  private static String format(List<Double> xs) {
    List<String> parts = new ArrayList<>();
    for (double x : xs) {
      parts.add(String.format(Locale.ROOT, "%.4g", x));
    }
    return String.join(", ", parts);
  }
}
