package org.scatterbrain.jobs.spark;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.scatterbrain.jobs.sweep.MethodCodec;
import org.scatterbrain.jobs.sweep.MethodRegistry;
import org.scatterbrain.jobs.sweep.Param;
import org.scatterbrain.jobs.sweep.TrialMethod;
import org.scatterbrain.jobs.sweep.TrialResult;
import org.apache.parquet.schema.MessageType;

/**
 * Reads a sweep's results folder as one dataset in the current schema, whatever version wrote each file: the union of
 * the files' schemas (columns added since are null in older files; {@link #named} derives the method label and
 * variant of older rows from their parameter columns by the same {@link TrialMethod} naming), and part files that
 * cannot be read (empty, truncated, not Parquet) skipped with a warning naming each, so a damaged file never breaks a
 * resume or a summary (its trials have no ok row, so the next run computes them again).
 */
final class Results {
  private Results() {}

  /** The readable part files below {@code dir} (none when it does not exist), warning on {@code log} about others. */
  static List<Path> partFiles(Path dir, PrintStream log) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Path> all;
    try (Stream<Path> files = Files.walk(dir)) {
      all = files.filter(f -> f.getFileName().toString().endsWith(".parquet") && Files.isRegularFile(f))
          .filter(f -> !hidden(dir.relativize(f)))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the results folder " + dir, e);
    }
    List<Path> good = new ArrayList<>();
    Configuration conf = ResultFiles.hadoopConf();
    for (Path f : all) {
      String problem = unreadable(f, conf);
      if (problem == null) {
        good.add(f);
      } else {
        log.println("warning: skipping unreadable results file " + f + " (" + problem + "); its trials count as not "
            + "done and are computed again");
      }
    }
    return good;
  }

  /** Spark's rule: files and folders whose name starts with '_' or '.' are not data (e.g. _temporary). */
  private static boolean hidden(Path relative) {
    for (Path part : relative) {
      String s = part.toString();
      if (s.startsWith("_") || s.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static String unreadable(Path f, Configuration conf) {
    try {
      if (Files.size(f) == 0) {
        return "empty file";
      }
      try (ParquetFileReader r =
          ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toUri()), conf))) {
        r.getFooter();
        return null;
      }
    } catch (IOException | RuntimeException e) {
      String m = e.getMessage();
      return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }
  }

  /**
   * Trial ids with an ok row in the readable part files below {@code dir}, read with Parquet's own reader (only the
   * trial id and status columns; no Spark job, so a resumed sweep does not pay for query planning). Unreadable files
   * are skipped with a warning, as in {@link #read}.
   */
  static Set<String> okTrialIds(Path dir, PrintStream log) {
    Set<String> ids = new HashSet<>();
    readParts(partFiles(dir, log), List.of(ResultSchema.TRIAL_ID, ResultSchema.STATUS), List.of(), log,
        "its trials count as not done and are computed again", (projection, rows) -> {
          Group g;
          while ((g = rows.read()) != null) {
            if (g.getFieldRepetitionCount(ResultSchema.STATUS) > 0
                && TrialResult.OK.equals(g.getString(ResultSchema.STATUS, 0))
                && g.getFieldRepetitionCount(ResultSchema.TRIAL_ID) > 0) {
              ids.add(g.getString(ResultSchema.TRIAL_ID, 0));
            }
          }
        });
    return ids;
  }

  /** Reads the rows of one part file, projected on the columns asked for that it has. */
  @FunctionalInterface
  private interface PartReader {
    void read(MessageType projection, ParquetReader<Group> rows) throws IOException;
  }

  /**
   * Reads each of {@code files} with Parquet's own reader (no Spark job, so no query planning), projected on the columns
   * of {@code required} and {@code optional} it has. A file without one of {@code required}, or that fails while read,
   * is skipped with a warning ending in {@code consequence}.
   */
  private static void readParts(List<Path> files, List<String> required, List<String> optional, PrintStream log,
      String consequence, PartReader reader) {
    Configuration conf = ResultFiles.hadoopConf();
    for (Path f : files) {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(f.toUri());
      try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(p, conf))) {
        MessageType file = r.getFooter().getFileMetaData().getSchema();
        if (!required.stream().allMatch(file::containsField)) {
          log.println("warning: skipping results file " + f + " without the columns " + String.join(", ", required)
              + "; " + consequence);
          continue;
        }
        Set<String> wanted = new java.util.LinkedHashSet<>(required);
        wanted.addAll(optional);
        MessageType projection = new MessageType(file.getName(),
            wanted.stream().filter(file::containsField).map(file::getType).toList());
        Configuration c = new Configuration(conf);
        c.set(ReadSupport.PARQUET_READ_SCHEMA, projection.toString());
        try (ParquetReader<Group> rows = ParquetReader.builder(new GroupReadSupport(), p).withConf(c).build()) {
          reader.read(projection, rows);
        }
      } catch (IOException | RuntimeException e) {
        log.println("warning: skipping unreadable results file " + f + " (" + ResultFiles.rootMessage(e) + "); "
            + consequence);
      }
    }
  }

  /** An approximation's newest ok row: what the table printed after a sweep reads. */
  record OkRow(String label, boolean reference, double temperature, boolean causal, Double outputRelFro) {}

  /**
   * The newest ok row of each trial of an approximation (not exact) in the readable part files below {@code dir}, as
   * {@link SummaryBuilder#labelled} selects them (latest end time, then the larger run id), with labels and reference
   * flags of older rows derived as {@link #named} does; null when there are no part files. Read with Parquet's own
   * reader, only the columns needed: the table after a sweep then costs no Spark SQL start, which took 7-11 s on the
   * 480 rows of {@code minilm.conf} on a 2-core machine, longer than the sweep.
   */
  static List<OkRow> newestOkRows(Path dir, MethodRegistry registry, PrintStream log) {
    List<Path> files = partFiles(dir, log);
    if (files.isEmpty()) {
      return null;
    }
    List<Param> params = registry.params();
    List<String> optional = new ArrayList<>(List.of(ResultSchema.SWEEP_NAME, ResultSchema.RUN_ID,
        ResultSchema.METHOD_LABEL, ResultSchema.REFERENCE, ResultSchema.CAUSAL, ResultSchema.OUTPUT_REL_FRO,
        ResultSchema.END_TIME));
    params.forEach(p -> optional.add(p.column()));
    java.util.Map<String, Newest> newest = new java.util.HashMap<>();
    readParts(files, List.of(ResultSchema.TRIAL_ID, ResultSchema.STATUS, ResultSchema.METHOD, ResultSchema.TEMPERATURE),
        optional, log, "the table leaves its rows out", (projection, rows) -> {
          // the file's rows count only once all of it is read: a file that fails halfway is skipped whole
          java.util.Map<String, Newest> fromFile = new java.util.HashMap<>();
          Group g;
          while ((g = rows.read()) != null) {
            String method = (String) value(g, projection, ResultSchema.METHOD);
            // rows without a method or a temperature (not written by any version) are left out, as Spark's filters
            // leave out a null method
            if (!TrialResult.OK.equals(value(g, projection, ResultSchema.STATUS)) || method == null
                || "exact".equals(method) || value(g, projection, ResultSchema.TEMPERATURE) == null) {
              continue;
            }
            String label = (String) value(g, projection, ResultSchema.METHOD_LABEL);
            Boolean reference = (Boolean) value(g, projection, ResultSchema.REFERENCE);
            if (label == null || reference == null) {
              Object[] v = new Object[params.size()];
              for (int i = 0; i < v.length; i++) {
                v[i] = value(g, projection, params.get(i).column());
              }
              TrialMethod m = method(registry, method, org.apache.spark.sql.RowFactory.create(v));
              label = label != null ? label : m.label();
              reference = reference != null ? reference : m.reference();
            }
            Newest row = new Newest(endMicros(g, projection), (String) value(g, projection, ResultSchema.RUN_ID),
                new OkRow(label, reference, (Double) value(g, projection, ResultSchema.TEMPERATURE),
                    Boolean.TRUE.equals(value(g, projection, ResultSchema.CAUSAL)),
                    (Double) value(g, projection, ResultSchema.OUTPUT_REL_FRO)));
            fromFile.merge(value(g, projection, ResultSchema.SWEEP_NAME) + "\n"
                + value(g, projection, ResultSchema.TRIAL_ID), row, Results::newer);
          }
          fromFile.forEach((k, v) -> newest.merge(k, v, Results::newer));
        });
    return newest.values().stream().map(Newest::row).toList();
  }

  private static Newest newer(Newest a, Newest b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /** A row with what orders it: the newest is the one with the latest end time, then the larger run id. */
  private record Newest(long endMicros, String runId, OkRow row) implements Comparable<Newest> {
    @Override
    public int compareTo(Newest o) {
      int c = Long.compare(endMicros, o.endMicros);
      return c != 0 ? c : java.util.Comparator.nullsFirst(java.util.Comparator.<String>naturalOrder())
          .compare(runId, o.runId);
    }
  }

  /**
   * The value of {@code column} in {@code g} as Spark would read it (String, Integer, Long, Double, Boolean), or null
   * when the file has no such column or the row no value.
   */
  private static Object value(Group g, MessageType schema, String column) {
    if (!schema.containsField(column) || g.getFieldRepetitionCount(column) == 0) {
      return null;
    }
    return switch (schema.getType(column).asPrimitiveType().getPrimitiveTypeName()) {
      case BINARY -> g.getString(column, 0);
      case INT32 -> g.getInteger(column, 0);
      case INT64 -> g.getLong(column, 0);
      case DOUBLE -> g.getDouble(column, 0);
      case FLOAT -> (double) g.getFloat(column, 0);
      case BOOLEAN -> g.getBoolean(column, 0);
      default -> throw new IllegalStateException("column " + column + " has an unexpected type "
          + schema.getType(column));
    };
  }

  /**
   * The end time in microseconds since the epoch, from this version's INT64 microseconds or from the INT96 (Julian day
   * and nanoseconds of the day) and INT64 milliseconds that Spark writes; the smallest long when there is none.
   */
  static long endMicros(Group g, MessageType schema) {
    String column = ResultSchema.END_TIME;
    if (!schema.containsField(column) || g.getFieldRepetitionCount(column) == 0) {
      return Long.MIN_VALUE;
    }
    org.apache.parquet.schema.PrimitiveType t = schema.getType(column).asPrimitiveType();
    if (t.getPrimitiveTypeName() == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT96) {
      java.nio.ByteBuffer b = g.getInt96(column, 0).toByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
      long nanosOfDay = b.getLong();
      long julianDay = b.getInt();
      return (julianDay - 2_440_588L) * 86_400_000_000L + nanosOfDay / 1000;
    }
    long v = g.getLong(column, 0);
    if (t.getLogicalTypeAnnotation()
        instanceof org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation ts) {
      return switch (ts.getUnit()) {
        case MILLIS -> v * 1000;
        case MICROS -> v;
        case NANOS -> v / 1000;
      };
    }
    return v;
  }

  /**
   * The results below {@code dir} in {@code registry}'s schema (plus the partition columns run and wave), or null
   * when there are none.
   */
  static Dataset<Row> read(SparkSession spark, Path dir, MethodRegistry registry, PrintStream log) {
    List<Path> files = partFiles(dir, log);
    if (files.isEmpty()) {
      return null;
    }
    String[] paths = files.stream().map(Path::toString).toArray(String[]::new);
    Dataset<Row> rows = spark.read()
        .option("mergeSchema", "true")
        .option("basePath", dir.toString())
        .parquet(paths);
    StructType schema = ResultSchema.schema(registry);
    List<String> present = Arrays.asList(rows.columns());
    for (StructField f : schema.fields()) {
      if (!present.contains(f.name())) {
        rows = rows.withColumn(f.name(), lit(null).cast(f.dataType()));
      }
    }
    return rows;
  }

  /**
   * {@code rows} with the method label, variant and reference flag of rows written before those columns existed
   * (null there) derived from their parameter columns, by the same {@link TrialMethod} naming as new rows. {@code
   * rows} must hold every parameter column of {@code registry} ({@link #read} adds missing ones).
   */
  static Dataset<Row> named(Dataset<Row> rows, MethodRegistry registry) {
    List<Column> params = new ArrayList<>();
    for (Param p : registry.params()) {
      params.add(col(p.column()));
    }
    Column values = struct(params.toArray(Column[]::new));
    UserDefinedFunction label = functions.udf(
        (UDF2<String, Row, String>) (method, v) -> method(registry, method, v).label(), DataTypes.StringType);
    UserDefinedFunction variant = functions.udf(
        (UDF2<String, Row, String>) (method, v) -> method(registry, method, v).variant(), DataTypes.StringType);
    UserDefinedFunction reference = functions.udf(
        (UDF2<String, Row, Boolean>) (method, v) -> method(registry, method, v).reference(), DataTypes.BooleanType);
    Column m = col(ResultSchema.METHOD);
    return rows
        .withColumn(ResultSchema.METHOD_LABEL, coalesce(col(ResultSchema.METHOD_LABEL), label.apply(m, values)))
        .withColumn(ResultSchema.VARIANT, coalesce(col(ResultSchema.VARIANT), variant.apply(m, values)))
        .withColumn(ResultSchema.REFERENCE, coalesce(col(ResultSchema.REFERENCE), reference.apply(m, values)))
        // rows written before the causal mask existed are bidirectional
        .withColumn(ResultSchema.CAUSAL, coalesce(col(ResultSchema.CAUSAL), lit(false)));
  }

  /** A trial method rebuilt from a row's method name and parameter columns (no config: names only). */
  private static TrialMethod method(MethodRegistry registry, String method, Row values) {
    MethodCodec codec = registry.codec(method);
    List<TrialMethod.Value> out = new ArrayList<>();
    List<Param> params = registry.params();
    for (int i = 0; i < params.size(); i++) {
      Object v = values.isNullAt(i) ? null : values.get(i);
      if (v != null) {
        out.add(new TrialMethod.Value(params.get(i), v, codec != null && codec.params().contains(params.get(i))));
      }
    }
    return new TrialMethod(method, codec != null && codec.reference(), null, out);
  }
}
