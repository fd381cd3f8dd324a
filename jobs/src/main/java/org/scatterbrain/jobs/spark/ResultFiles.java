package org.scatterbrain.jobs.spark;

import java.io.IOException;
import java.sql.Timestamp;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Writes one piece of results, a list of rows of the result schema, as one Parquet file, straight from the task that
 * computed them: the file is written under a hidden name and renamed into place when complete, so a reader (or a
 * resumed sweep) sees either the whole piece or nothing, and a retried task replaces its piece instead of adding a
 * second copy. The columns are the Parquet types Spark itself writes and reads back as the result schema (strings as
 * UTF-8 binary, timestamps as microseconds since the epoch, UTC). Not Spark SQL: no query planning or code generation
 * per piece.
 */
final class ResultFiles {
  private ResultFiles() {}

  /** Hadoop's defaults, parsed once per JVM (from the XML resources on the class path): see {@link #hadoopConf}. */
  private static final class Defaults {
    static final Configuration LOADED = load();

    private static Configuration load() {
      Configuration c = new Configuration();
      c.size(); // parses the default resources now, so copies clone the parsed properties
      return c;
    }
  }

  /**
   * A Hadoop configuration of this JVM's defaults, the caller's own to change: a copy of one parsed once. A new
   * {@code Configuration} parses Hadoop's default XML resources again on first use: 6-11 ms each in a fresh JVM after
   * the first, which every piece and every results scan paid; a copy of a parsed one takes 0.4 ms.
   */
  static Configuration hadoopConf() {
    return new Configuration(Defaults.LOADED);
  }

  /** The Parquet schema of {@code schema} (every column optional, as Spark writes nullable columns). */
  static MessageType parquetSchema(StructType schema) {
    Types.MessageTypeBuilder b = Types.buildMessage();
    for (StructField f : schema.fields()) {
      b.addField(field(f));
    }
    return b.named("spark_schema");
  }

  private static Type field(StructField f) {
    DataType t = f.dataType();
    if (t.equals(DataTypes.StringType)) {
      return Types.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(f.name());
    } else if (t.equals(DataTypes.IntegerType)) {
      return Types.optional(PrimitiveTypeName.INT32).named(f.name());
    } else if (t.equals(DataTypes.LongType)) {
      return Types.optional(PrimitiveTypeName.INT64).named(f.name());
    } else if (t.equals(DataTypes.DoubleType)) {
      return Types.optional(PrimitiveTypeName.DOUBLE).named(f.name());
    } else if (t.equals(DataTypes.BooleanType)) {
      return Types.optional(PrimitiveTypeName.BOOLEAN).named(f.name());
    } else if (t.equals(DataTypes.TimestampType)) {
      return Types.optional(PrimitiveTypeName.INT64)
          .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS))
          .named(f.name());
    }
    throw new IllegalArgumentException("no Parquet mapping for column " + f.name() + " of type " + t);
  }

  /**
   * Writes {@code rows} (of {@code schema}) to {@code file}: first to a hidden sibling, then renamed over {@code
   * file}. Throws {@link IOException} naming the file when the disk is full or the folder is not writable.
   */
  static void write(Path file, StructType schema, List<Row> rows, Configuration conf) throws IOException {
    MessageType type = parquetSchema(schema);
    Path tmp = new Path(file.getParent(), "." + file.getName() + ".inprogress");
    FileSystem fs = file.getFileSystem(conf);
    fs.mkdirs(file.getParent());
    SimpleGroupFactory groups = new SimpleGroupFactory(type);
    StructField[] fields = schema.fields();
    try (ParquetWriter<Group> w =
        ExampleParquetWriter.builder(HadoopOutputFile.fromPath(tmp, conf))
            .withConf(conf)
            .withType(type)
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            .build()) {
      for (Row r : rows) {
        Group g = groups.newGroup();
        for (int i = 0; i < fields.length; i++) {
          if (!r.isNullAt(i)) {
            append(g, fields[i], r.get(i));
          }
        }
        w.write(g);
      }
    } catch (IOException | RuntimeException e) {
      fs.delete(tmp, false);
      throw new IOException("cannot write results file " + file + ": " + rootMessage(e), e);
    }
    fs.delete(file, false);
    if (!fs.rename(tmp, file)) {
      fs.delete(tmp, false);
      throw new IOException("cannot rename " + tmp + " to " + file);
    }
  }

  private static void append(Group g, StructField f, Object v) {
    String n = f.name();
    DataType t = f.dataType();
    if (t.equals(DataTypes.StringType)) {
      g.append(n, Binary.fromString((String) v));
    } else if (t.equals(DataTypes.IntegerType)) {
      g.append(n, (Integer) v);
    } else if (t.equals(DataTypes.LongType)) {
      g.append(n, (Long) v);
    } else if (t.equals(DataTypes.DoubleType)) {
      g.append(n, (Double) v);
    } else if (t.equals(DataTypes.BooleanType)) {
      g.append(n, (Boolean) v);
    } else if (t.equals(DataTypes.TimestampType)) {
      Timestamp ts = (Timestamp) v;
      g.append(n, ts.getTime() * 1000L + (ts.getNanos() / 1000) % 1000);
    } else {
      throw new IllegalArgumentException("no Parquet mapping for column " + n + " of type " + t);
    }
  }

  /** The innermost cause's message: what a full disk or a permission problem says. */
  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
