package org.scatterbrain.jobs.spark;

import java.io.Serializable;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.scatterbrain.core.metrics.AttentionErrors;
import org.scatterbrain.jobs.sweep.InputKey;
import org.scatterbrain.jobs.sweep.MethodRegistry;
import org.scatterbrain.jobs.sweep.Param;
import org.scatterbrain.jobs.sweep.RunContext;
import org.scatterbrain.jobs.sweep.TrialMethod;
import org.scatterbrain.jobs.sweep.TrialResult;

/**
 * The one owner of the results' Parquet schema: column names (constants), types, and the conversion of a {@link
 * TrialResult} into a row, field by field by name. The method parameter columns follow from the {@link
 * MethodRegistry} (one column per parameter, in canonical order); nullable columns are null where a parameter or
 * metric does not apply.
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
  /** Method name with its qualifier, e.g. scatterbrain-local ({@link TrialMethod#label}). */
  public static final String METHOD_LABEL = "method_label";
  /** Method label plus its non-derived parameters ({@link TrialMethod#variant}). */
  public static final String VARIANT = "variant";
  /** True for references (oracles that read the exact matrix), which best-method tables leave out. */
  public static final String REFERENCE = "reference";
  public static final String N = "n";
  public static final String M = "m";
  public static final String D = "d";
  public static final String DV = "dv";
  public static final String TEMPERATURE = "temperature";
  public static final String SCALE = "scale";
  public static final String CAUSAL = "causal";
  // the parameter columns of the built-in methods (others come from the registry)
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

  /** The schema of rows of {@code registry}'s methods. */
  public static StructType schema(MethodRegistry registry) {
    List<StructField> fields = new ArrayList<>(List.of(
        f(SWEEP_NAME, DataTypes.StringType, false),
        f(RUN_ID, DataTypes.StringType, false),
        f(TRIAL_ID, DataTypes.StringType, false),
        f(SEED, DataTypes.LongType, false),
        f(INPUT_SEED, DataTypes.LongType, false),
        f(SEED_INDEX, DataTypes.IntegerType, false),
        f(INPUT_KIND, DataTypes.StringType, false),
        f(INPUT_ID, DataTypes.StringType, false),
        f(METHOD, DataTypes.StringType, false),
        // nullable: results written before these columns existed have none ({@link SummaryBuilder#labelled} derives
        // them from the parameter columns)
        f(METHOD_LABEL, DataTypes.StringType, true),
        f(VARIANT, DataTypes.StringType, true),
        f(REFERENCE, DataTypes.BooleanType, true),
        f(N, DataTypes.IntegerType, false),
        f(M, DataTypes.IntegerType, false),
        f(D, DataTypes.IntegerType, false),
        f(DV, DataTypes.IntegerType, false),
        f(TEMPERATURE, DataTypes.DoubleType, false),
        f(SCALE, DataTypes.DoubleType, false),
        // nullable: results written before the causal mask existed have none (they are bidirectional)
        f(CAUSAL, DataTypes.BooleanType, true)));
    for (Param p : registry.params()) {
      fields.add(f(p.column(), sparkType(p), true));
    }
    fields.addAll(List.of(
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
    return DataTypes.createStructType(fields);
  }

  /** The schema of the built-in methods' rows. */
  public static final StructType SCHEMA = schema(MethodRegistry.BUILT_IN);

  private static DataType sparkType(Param p) {
    return switch (p.type()) {
      case POSITIVE_INT, EVEN_INT, COUNT -> DataTypes.IntegerType;
      case BOOLEAN -> DataTypes.BooleanType;
      case CHOICE -> DataTypes.StringType;
      case NUMBER -> DataTypes.DoubleType;
    };
  }

  /** Converts results into rows of one schema, setting each field by its column name. */
  public static final class RowWriter implements Serializable {
    private static final long serialVersionUID = 1L;
    private final StructType schema;
    private final Map<String, Integer> index = new HashMap<>();

    /** A writer of rows of {@code schema}. */
    public RowWriter(StructType schema) {
      this.schema = schema;
      String[] names = schema.fieldNames();
      for (int i = 0; i < names.length; i++) {
        index.put(names[i], i);
      }
    }

    /** The schema. */
    public StructType schema() {
      return schema;
    }

    /** The row of {@code r}. */
    public Row toRow(TrialResult r) {
      Object[] v = new Object[index.size()];
      InputKey in = r.trial().input();
      TrialMethod tm = r.trial().method();
      RunContext c = r.context();
      set(v, SWEEP_NAME, c.sweepName());
      set(v, RUN_ID, c.runId());
      set(v, TRIAL_ID, r.trial().trialId());
      set(v, SEED, r.trial().seed());
      set(v, INPUT_SEED, r.inputSeed());
      set(v, SEED_INDEX, in.seedIndex());
      set(v, INPUT_KIND, in.source().kind());
      set(v, INPUT_ID, in.source().id());
      set(v, METHOD, tm.method());
      set(v, METHOD_LABEL, tm.label());
      set(v, VARIANT, tm.variant());
      set(v, REFERENCE, tm.reference());
      set(v, N, in.n());
      set(v, M, in.n());
      set(v, D, in.d());
      set(v, DV, in.dv());
      set(v, TEMPERATURE, in.temperature());
      set(v, SCALE, in.scale());
      set(v, CAUSAL, in.causal());
      for (TrialMethod.Value p : tm.values()) {
        set(v, p.param().column(), p.value());
      }
      set(v, STATUS, r.status());
      set(v, ERROR, r.error());
      set(v, WALL_TIME_S, r.timing().wallSeconds());
      set(v, CPU_TIME_S, r.timing().cpuSeconds());
      if (r.outcome() instanceof TrialResult.Ok ok) {
        long allocated = ok.memory().allocatedBytes();
        set(v, ALLOCATED_BYTES, allocated >= 0 ? allocated : null);
        set(v, EMPTY_ROWS, ok.emptyRows());
        set(v, OUTPUT_REL_FRO, ok.errors().outputRelativeFrobenius());
        set(v, OUTPUT_MAX_ABS, ok.errors().outputMaxAbs());
        AttentionErrors a = ok.errors().attention();
        if (a != null) {
          set(v, ATTN_REL_FRO, a.relativeFrobenius());
          set(v, ATTN_MAX_ABS, a.maxAbs());
          set(v, KL_MEAN, a.klMean());
          set(v, KL_MAX, a.klMax());
          set(v, TV_MEAN, a.tvMean());
          set(v, TV_MAX, a.tvMax());
          set(v, SUPPORT_MASS, a.hasSupportMass() ? a.supportMass() : null);
        }
        set(v, MEMORY_ENTRIES_PER_ROW, ok.memory().entriesPerRow());
        set(v, MEMORY_ENTRIES, ok.memory().entries());
        set(v, MEMORY_BYTES, ok.memory().storedBytes());
      }
      set(v, EXACT_MEAN_ENTROPY, r.cell().exactMeanEntropy());
      set(v, EXACT_WALL_TIME_S, r.cell().exactWallSeconds());
      set(v, PROJECT_VERSION, c.projectVersion());
      set(v, GIT_COMMIT, c.gitCommit());
      set(v, SPARK_VERSION, c.sparkVersion());
      set(v, JAVA_VERSION, c.javaVersion());
      set(v, OJALGO_VERSION, c.ojalgoVersion());
      set(v, KERNEL, c.kernel());
      set(v, HOST, c.host());
      set(v, EXECUTOR_ID, c.executorId());
      set(v, START_TIME, new Timestamp(r.timing().startMillis()));
      set(v, END_TIME, new Timestamp(r.timing().endMillis()));
      return RowFactory.create(v);
    }

    private void set(Object[] row, String column, Object value) {
      Integer i = index.get(column);
      if (i == null) {
        throw new IllegalStateException("no column " + column + " in the result schema");
      }
      row[i] = value;
    }
  }
}
