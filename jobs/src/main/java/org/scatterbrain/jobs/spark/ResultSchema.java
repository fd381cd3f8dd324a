package org.scatterbrain.jobs.spark;

import java.sql.Timestamp;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.scatterbrain.jobs.sweep.InputKey;
import org.scatterbrain.jobs.sweep.RunContext;
import org.scatterbrain.jobs.sweep.TrialMethod;
import org.scatterbrain.jobs.sweep.TrialResult;

/**
 * The one owner of the results' Parquet schema: column names (constants), types, and the conversion of a {@link
 * TrialResult} into a row. Nullable columns are null where a parameter or metric does not apply.
 */
public final class ResultSchema {
  private ResultSchema() {}

  // identity
  public static final String SWEEP_NAME = "sweep_name";
  public static final String RUN_ID = "run_id";
  public static final String TRIAL_ID = "trial_id";
  public static final String SEED = "seed";
  public static final String INPUT_SEED = "input_seed";
  public static final String SEED_INDEX = "seed_index";
  // config
  public static final String INPUT_KIND = "input_kind";
  public static final String INPUT_ID = "input_id";
  public static final String METHOD = "method";
  public static final String N = "n";
  public static final String M = "m";
  public static final String D = "d";
  public static final String DV = "dv";
  public static final String TEMPERATURE = "temperature";
  public static final String SCALE = "scale";
  public static final String FEATURES = "features";
  public static final String ANTITHETIC = "antithetic";
  public static final String CLUSTER_SIZE = "cluster_size";
  public static final String BUCKET_SIZE = "bucket_size";
  public static final String BUCKETS = "buckets";
  public static final String HASH_ROUNDS = "hash_rounds";
  public static final String WINDOW = "window";
  public static final String LANDMARKS = "landmarks";
  public static final String SPARSE_KIND = "sparse_kind";
  public static final String DEDUPLICATE = "deduplicate";
  public static final String BUDGET = "budget";
  // outcome
  public static final String STATUS = "status";
  public static final String ERROR = "error";
  public static final String WALL_TIME_S = "wall_time_s";
  public static final String CPU_TIME_S = "cpu_time_s";
  public static final String ALLOCATED_BYTES = "allocated_bytes";
  public static final String EMPTY_ROWS = "empty_rows";
  // metrics
  public static final String OUTPUT_REL_FRO = "output_rel_fro";
  public static final String OUTPUT_MAX_ABS = "output_max_abs";
  public static final String ATTN_REL_FRO = "attn_rel_fro";
  public static final String ATTN_MAX_ABS = "attn_max_abs";
  public static final String KL_MEAN = "kl_mean";
  public static final String KL_MAX = "kl_max";
  public static final String TV_MEAN = "tv_mean";
  public static final String TV_MAX = "tv_max";
  public static final String SUPPORT_MASS = "support_mass";
  public static final String EXACT_MEAN_ENTROPY = "exact_mean_entropy";
  public static final String EXACT_WALL_TIME_S = "exact_wall_time_s";
  // memory
  public static final String MEMORY_ENTRIES_PER_ROW = "memory_entries_per_row";
  public static final String MEMORY_ENTRIES = "memory_entries";
  public static final String MEMORY_BYTES = "memory_bytes";
  // provenance
  public static final String PROJECT_VERSION = "project_version";
  public static final String GIT_COMMIT = "git_commit";
  public static final String SPARK_VERSION = "spark_version";
  public static final String JAVA_VERSION = "java_version";
  public static final String OJALGO_VERSION = "ojalgo_version";
  public static final String KERNEL = "kernel";
  public static final String HOST = "host";
  public static final String EXECUTOR_ID = "executor_id";
  public static final String START_TIME = "start_time";
  public static final String END_TIME = "end_time";

  private static StructField f(String name, DataType type, boolean nullable) {
    return DataTypes.createStructField(name, type, nullable);
  }

  /** The schema of a sweep's rows. */
  public static final StructType SCHEMA =
      DataTypes.createStructType(
          List.of(
              f(SWEEP_NAME, DataTypes.StringType, false),
              f(RUN_ID, DataTypes.StringType, false),
              f(TRIAL_ID, DataTypes.StringType, false),
              f(SEED, DataTypes.LongType, false),
              f(INPUT_SEED, DataTypes.LongType, false),
              f(SEED_INDEX, DataTypes.IntegerType, false),
              f(INPUT_KIND, DataTypes.StringType, false),
              f(INPUT_ID, DataTypes.StringType, false),
              f(METHOD, DataTypes.StringType, false),
              f(N, DataTypes.IntegerType, false),
              f(M, DataTypes.IntegerType, false),
              f(D, DataTypes.IntegerType, false),
              f(DV, DataTypes.IntegerType, false),
              f(TEMPERATURE, DataTypes.DoubleType, false),
              f(SCALE, DataTypes.DoubleType, false),
              f(FEATURES, DataTypes.IntegerType, true),
              f(ANTITHETIC, DataTypes.BooleanType, true),
              f(CLUSTER_SIZE, DataTypes.IntegerType, true),
              f(BUCKET_SIZE, DataTypes.IntegerType, true),
              f(BUCKETS, DataTypes.IntegerType, true),
              f(HASH_ROUNDS, DataTypes.IntegerType, true),
              f(WINDOW, DataTypes.IntegerType, true),
              f(LANDMARKS, DataTypes.IntegerType, true),
              f(SPARSE_KIND, DataTypes.StringType, true),
              f(DEDUPLICATE, DataTypes.BooleanType, true),
              f(BUDGET, DataTypes.IntegerType, true),
              f(STATUS, DataTypes.StringType, false),
              f(ERROR, DataTypes.StringType, true),
              f(WALL_TIME_S, DataTypes.DoubleType, false),
              f(CPU_TIME_S, DataTypes.DoubleType, false),
              f(ALLOCATED_BYTES, DataTypes.LongType, true),
              f(EMPTY_ROWS, DataTypes.IntegerType, true),
              f(OUTPUT_REL_FRO, DataTypes.DoubleType, true),
              f(OUTPUT_MAX_ABS, DataTypes.DoubleType, true),
              f(ATTN_REL_FRO, DataTypes.DoubleType, true),
              f(ATTN_MAX_ABS, DataTypes.DoubleType, true),
              f(KL_MEAN, DataTypes.DoubleType, true),
              f(KL_MAX, DataTypes.DoubleType, true),
              f(TV_MEAN, DataTypes.DoubleType, true),
              f(TV_MAX, DataTypes.DoubleType, true),
              f(SUPPORT_MASS, DataTypes.DoubleType, true),
              f(EXACT_MEAN_ENTROPY, DataTypes.DoubleType, true),
              f(EXACT_WALL_TIME_S, DataTypes.DoubleType, false),
              f(MEMORY_ENTRIES_PER_ROW, DataTypes.DoubleType, true),
              f(MEMORY_ENTRIES, DataTypes.DoubleType, true),
              f(MEMORY_BYTES, DataTypes.LongType, true),
              f(PROJECT_VERSION, DataTypes.StringType, false),
              f(GIT_COMMIT, DataTypes.StringType, false),
              f(SPARK_VERSION, DataTypes.StringType, false),
              f(JAVA_VERSION, DataTypes.StringType, false),
              f(OJALGO_VERSION, DataTypes.StringType, false),
              f(KERNEL, DataTypes.StringType, false),
              f(HOST, DataTypes.StringType, false),
              f(EXECUTOR_ID, DataTypes.StringType, false),
              f(START_TIME, DataTypes.TimestampType, false),
              f(END_TIME, DataTypes.TimestampType, false)));

  /** The row of {@code r}, in {@link #SCHEMA}'s column order. */
  public static Row toRow(TrialResult r) {
    InputKey in = r.trial().input();
    TrialMethod tm = r.trial().method();
    RunContext c = r.context();
    return RowFactory.create(
        c.sweepName(),
        c.runId(),
        r.trial().trialId(),
        r.trial().seed(),
        r.inputSeed(),
        in.seedIndex(),
        in.source().kind(),
        in.source().id(),
        tm.method(),
        in.n(),
        in.n(),
        in.d(),
        in.dv(),
        in.temperature(),
        in.scale(),
        tm.features(),
        tm.antithetic(),
        tm.clusterSize(),
        tm.bucketSize(),
        tm.buckets(),
        tm.hashRounds(),
        tm.window(),
        tm.landmarks(),
        tm.sparseKind(),
        tm.deduplicate(),
        tm.budget(),
        r.status(),
        r.error(),
        r.wallTimeSeconds(),
        r.cpuTimeSeconds(),
        r.allocatedBytes(),
        r.emptyRows(),
        r.outputRelFrobenius(),
        r.outputMaxAbs(),
        r.attentionRelFrobenius(),
        r.attentionMaxAbs(),
        r.klMean(),
        r.klMax(),
        r.tvMean(),
        r.tvMax(),
        r.supportMass(),
        r.exactMeanEntropy(),
        r.exactWallTimeSeconds(),
        r.memoryEntriesPerRow(),
        r.memoryEntries(),
        r.memoryBytes(),
        c.projectVersion(),
        c.gitCommit(),
        c.sparkVersion(),
        c.javaVersion(),
        c.ojalgoVersion(),
        c.kernel(),
        c.host(),
        c.executorId(),
        new Timestamp(r.startMillis()),
        new Timestamp(r.endMillis()));
  }
}
