package org.scatterbrain.jobs.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.scatterbrain.jobs.sweep.MethodRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Summarises a sweep's results: {@code summary results/temperature} writes {@code results/temperature-summary/} with
 * Parquet datasets {@code cells}, {@code winners} and {@code fits} ({@link SummaryBuilder}) and a CSV of each. Runs
 * with spark-submit or embedded ({@code bin/summary}). Exit codes: 0 done, 1 failed, 2 bad arguments or input.
 */
@Command(
    name = "summary",
    mixinStandardHelpOptions = true,
    description = "Summarises a sweep: statistics over seeds per cell, Pareto frontiers, winners, power-law fits.")
public final class SummaryJob implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RESULTS", description = "a sweep's results folder, e.g. results/quickstart")
  Path results;

  @Option(names = "--output", paramLabel = "DIR", description = "summary folder (default: RESULTS-summary)")
  Path output;

  @Option(names = "--master", description = "Spark master when not started by spark-submit (default: local[*])")
  String master;

  @Option(names = "--verbose", description = "print the stack trace of a failure")
  boolean verbose;

  private SparkSession session;
  private PrintStream out = System.out;
  private PrintStream err = System.err;

  /** A results folder that cannot be summarised; reported as one line. */
  static final class BadInput extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadInput(String message) {
      super(message);
    }
  }

  /** Entry point for spark-submit and the embedded launcher. */
  public static void main(String[] args) {
    JobSupport.installInterruptHook(System.err);
    System.exit(run(args, null, System.out, System.err));
  }

  /** Runs with {@code args}; uses {@code spark} when non-null. Returns the exit code. */
  public static int run(String[] args, SparkSession spark, PrintStream out, PrintStream err) {
    SummaryJob job = new SummaryJob();
    job.session = spark;
    job.out = out;
    job.err = err;
    return JobSupport.execute(job, args, out, err, e -> e instanceof BadInput || JobSupport.configError(e));
  }

  /** Checks that {@code dir} exists and holds sweep results, before Spark starts. */
  static void requireResults(Path dir) {
    if (!Files.exists(dir)) {
      throw new BadInput("results path " + dir + " does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw new BadInput("results path " + dir + " is not a folder (pass a sweep's folder, e.g. results/quickstart)");
    }
    if (!SweepRunner.hasParquet(dir)) {
      throw new BadInput("results path " + dir + " holds no sweep results (no Parquet files below it)");
    }
  }

  @Override
  public Integer call() throws IOException {
    JobSupport.requireValidMaster(master);
    Path in = results.toAbsolutePath().normalize();
    requireResults(in);
    Path target =
        output != null ? output.toAbsolutePath().normalize() : in.resolveSibling(in.getFileName() + "-summary");
    boolean own = session == null;
    SparkSession spark = own ? JobSupport.session("scatterbrain summary " + results.getFileName(), master) : session;
    try {
      List<String> missing = new ArrayList<>();
      for (Path part : Results.partFiles(in, err)) {
        List<String> columns = List.of(spark.read().parquet(part.toString()).columns());
        for (String required : List.of(ResultSchema.TRIAL_ID, ResultSchema.METHOD, ResultSchema.STATUS,
            ResultSchema.OUTPUT_REL_FRO)) {
          if (!columns.contains(required)) {
            missing.add(part + ": " + required);
          }
        }
        break;
      }
      if (!missing.isEmpty()) {
        throw new BadInput("results path " + in + " is not a sweep result: missing columns " + missing);
      }
      Dataset<Row> rows = Results.read(spark, in, MethodRegistry.BUILT_IN, err);
      if (rows == null) {
        throw new BadInput("results path " + in + " holds no readable sweep results");
      }
      if (SummaryBuilder.labelled(rows).isEmpty()) {
        throw new BadInput("results path " + in + " has no ok trial of an approximate method to summarise");
      }
      Dataset<Row> cells = SummaryBuilder.cells(spark, rows).cache();
      Dataset<Row> winners = SummaryBuilder.winners(cells).cache();
      Dataset<Row> fits = SummaryBuilder.fits(spark, rows).cache();
      write(cells, target.resolve("cells"));
      write(winners, target.resolve("winners"));
      write(fits, target.resolve("fits"));
      writeCsv(cells, target.resolve("cells.csv"));
      writeCsv(winners, target.resolve("winners.csv"));
      writeCsv(fits, target.resolve("fits.csv"));
      for (String line : SummaryBuilder.dropped(rows)) {
        out.println(line);
      }
      out.printf(Locale.ROOT, "summary of %s: %d cell x variant rows, %d cells, %d power-law fits%n", in,
          cells.count(), winners.count(), fits.count());
      out.println("written to " + target + " (Parquet: cells, winners, fits; CSV: cells.csv, winners.csv, fits.csv)");
      return 0;
    } finally {
      if (own) {
        spark.stop();
      }
    }
  }

  private static void write(Dataset<Row> data, Path dir) {
    data.coalesce(1).write().mode("overwrite").parquet(dir.toString());
  }

  /** A single small CSV written by the driver (the summaries have one row per cell and variant). */
  static void writeCsv(Dataset<Row> data, Path file) throws IOException {
    String[] names = data.columns();
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write(String.join(",", names));
      w.write('\n');
      for (Row r : data.collectAsList()) {
        for (int i = 0; i < names.length; i++) {
          if (i > 0) {
            w.write(',');
          }
          Object v = r.get(i);
          if (v != null) {
            String s = v.toString();
            w.write(s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s);
          }
        }
        w.write('\n');
      }
    }
  }

}
