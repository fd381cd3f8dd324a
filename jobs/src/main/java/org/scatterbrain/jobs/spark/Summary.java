package org.scatterbrain.jobs.spark;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.scatterbrain.jobs.sweep.MethodRegistry;

/**
 * The short table printed after a sweep: the best method per temperature by mean output error; causal cells form
 * their own lines (a mask changes the problem, so the two are never averaged together).
 */
final class Summary {
  private Summary() {}

  static void bestPerTemperature(Path sweepDir, MethodRegistry registry, PrintStream out, PrintStream log) {
    List<Results.OkRow> all = Results.newestOkRows(sweepDir, registry, log);
    if (all == null) {
      out.println("no results yet in " + sweepDir);
      return;
    }
    // the newest ok row per trial (a trial recomputed with --force counts once), as the summary job counts them;
    // references (oracles) are never "best"
    Map<Cell, double[]> sums = new HashMap<>();
    for (Results.OkRow r : all) {
      // a missing error (written by an older version) is left out of the mean, as Spark's avg leaves out nulls
      if (!r.reference() && r.outputRelFro() != null) {
        double[] s = sums.computeIfAbsent(new Cell(r.causal(), r.temperature(), r.label()), k -> new double[2]);
        s[0] += r.outputRelFro();
        s[1]++;
      }
    }
    List<Map.Entry<Cell, double[]>> rows = new ArrayList<>(sums.entrySet());
    rows.sort(Comparator.comparing((Map.Entry<Cell, double[]> e) -> e.getKey().causal())
        .thenComparingDouble(e -> e.getKey().temperature())
        .thenComparing((a, b) -> Double.compare(mean(a.getValue()), mean(b.getValue()))));
    Map<String, List<Map.Entry<Cell, double[]>>> byT = new LinkedHashMap<>();
    for (Map.Entry<Cell, double[]> e : rows) {
      String key = e.getKey().temperature() + (e.getKey().causal() ? " causal" : "");
      byT.computeIfAbsent(key, x -> new ArrayList<>()).add(e);
    }
    out.println();
    out.println("best method per temperature (mean relative output error over all cells and seeds):");
    out.printf(Locale.ROOT, "  %-11s  %-22s  %-10s  %-22s  %-10s%n", "temperature", "best", "error", "runner-up",
        "error");
    for (Map.Entry<String, List<Map.Entry<Cell, double[]>>> e : byT.entrySet()) {
      List<Map.Entry<Cell, double[]>> r = e.getValue();
      String second = r.size() > 1 ? r.get(1).getKey().label() : "-";
      out.printf(Locale.ROOT, "  %-11s  %-22s  %-10.4g  %-22s  %-10s%n", e.getKey(), r.get(0).getKey().label(),
          mean(r.get(0).getValue()), second,
          r.size() > 1 ? String.format(Locale.ROOT, "%.4g", mean(r.get(1).getValue())) : "-");
    }
  }

  /** A line of the table: one mask, temperature and method. */
  private record Cell(boolean causal, double temperature, String label) {}

  private static double mean(double[] sumAndCount) {
    return sumAndCount[0] / sumAndCount[1];
  }
}
