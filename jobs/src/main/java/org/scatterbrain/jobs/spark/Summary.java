package org.scatterbrain.jobs.spark;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.scatterbrain.jobs.sweep.MethodRegistry;

/**
 * The short table printed after a sweep: the best method per temperature by mean output error; causal cells form
 * their own lines (a mask changes the problem, so the two are never averaged together).
 */
final class Summary {
  private Summary() {}

  static void bestPerTemperature(
      SparkSession spark, Path sweepDir, MethodRegistry registry, PrintStream out, PrintStream log) {
    Dataset<Row> all = Results.read(spark, sweepDir, registry, log);
    if (all == null) {
      out.println("no results yet in " + sweepDir);
      return;
    }
    // newest ok row per trial (a trial recomputed with --force counts once), as the summary job does; references
    // (oracles) are never "best"
    Dataset<Row> rows =
        SummaryBuilder.labelled(all, registry)
            .filter(col(ResultSchema.REFERENCE).equalTo(false))
            .withColumn("label", col(SummaryBuilder.METHOD_LABEL))
            .groupBy(col(ResultSchema.TEMPERATURE), col(ResultSchema.CAUSAL), col("label"))
            .agg(avg(col(ResultSchema.OUTPUT_REL_FRO)).as("err"), count(col("label")).as("trials"))
            .orderBy(col(ResultSchema.CAUSAL), col(ResultSchema.TEMPERATURE), col("err"));
    Map<String, List<Row>> byT = new LinkedHashMap<>();
    for (Row r : rows.collectAsList()) {
      String key = r.getDouble(0) + (r.getBoolean(1) ? " causal" : "");
      byT.computeIfAbsent(key, x -> new ArrayList<>()).add(r);
    }
    out.println();
    out.println("best method per temperature (mean relative output error over all cells and seeds):");
    out.printf(Locale.ROOT, "  %-11s  %-22s  %-10s  %-22s  %-10s%n", "temperature", "best", "error", "runner-up",
        "error");
    for (Map.Entry<String, List<Row>> e : byT.entrySet()) {
      List<Row> r = e.getValue();
      String best = label(r.get(0));
      String second = r.size() > 1 ? label(r.get(1)) : "-";
      out.printf(Locale.ROOT, "  %-11s  %-22s  %-10.4g  %-22s  %-10s%n", e.getKey(), best, r.get(0).getDouble(3),
          second, r.size() > 1 ? String.format(Locale.ROOT, "%.4g", r.get(1).getDouble(3)) : "-");
    }
  }

  private static String label(Row r) {
    return r.getString(2);
  }
}
