package org.scatterbrain.jobs.sweep;

import java.io.Serializable;
import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.Checks;
import org.scatterbrain.core.Draws;
import org.scatterbrain.core.inputs.InputGenerators;
import org.scatterbrain.core.inputs.InputGenerators.ClusteredSpec;
import org.scatterbrain.core.inputs.InputGenerators.GaussianSpec;

/**
 * Where a trial's Q, K and V come from: a synthetic generator, or one real attention head read from .npy files on the
 * driver. A source is small: a real head's arrays live in the {@link HeadStore} (broadcast once per run), so tasks
 * carry only the head's id and executors need no access to the files.
 */
public sealed interface InputSource extends Serializable
    permits InputSource.Gaussian, InputSource.Clustered, InputSource.Npy {
  /** "gaussian", "clustered" or "npy". */
  String kind();

  /** Canonical description, part of every trial id: equal ids mean equal inputs for equal (n, d, dv, seed). */
  String id();

  /** Whether d and dv come from the source (npy) rather than the head-dim / value-dim axes. */
  default boolean fixedDims() {
    return false;
  }

  /**
   * The logit scale at inverse-temperature multiplier beta and head dim d: {@code beta / sqrt(d)}, or beta x the
   * model's own scale for a real head that records one.
   */
  default double scale(double beta, int d) {
    return AttentionInputs.temperatureScale(beta, d);
  }

  /** Whether the source's own attention is causal (a decoder's head); the {@code causal} axis' "model" value. */
  default boolean modelCausal() {
    return false;
  }

  /** The largest Euclidean norm of a query row and of a key row (head dim d): bounds every logit. */
  double[] maxNorms(int d);

  /** The smallest n the source can provide (a clustered input needs a token per cluster). */
  default int minLength() {
    return 1;
  }

  /** Largest n the source can provide. */
  default int maxLength() {
    return Integer.MAX_VALUE;
  }

  /**
   * The inputs for n tokens, head dim d, value dim dv, inverse-temperature multiplier beta and a seed; real heads
   * take their arrays from {@code heads}.
   */
  AttentionInputs create(int n, int d, int dv, double beta, long seed, HeadStore heads);

  /** Row norm used by synthetic sources: a fixed value, or d^(1/4) ("unit-logit": tau |q|^2 = 1 at beta = 1). */
  record Norm(double value) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The "unit-logit" norm d^(1/4). */
    public static final Norm UNIT_LOGIT = new Norm(Double.NaN);

    double forDim(int d) {
      return Double.isNaN(value) ? Math.pow(d, 0.25) : value;
    }

    @Override
    public String toString() {
      return Double.isNaN(value) ? "unit-logit" : Canonical.number(value);
    }
  }

  /**
   * Gaussian Q and K with rows of a fixed norm, Gaussian V. With {@code selfAttention}, K = Q (the setting of the
   * spec's section 7.5, where each query's own key dominates at low temperature).
   */
  record Gaussian(Norm norm, boolean selfAttention) implements InputSource {
    private static final long serialVersionUID = 1L;

    @Override
    public String kind() {
      return "gaussian";
    }

    @Override
    public String id() {
      return "gaussian(norm=" + norm + (selfAttention ? ",self-attention" : "") + ")";
    }

    @Override
    public double[] maxNorms(int d) {
      return new double[] {norm.forDim(d), norm.forDim(d)};
    }

    @Override
    public AttentionInputs create(int n, int d, int dv, double beta, long seed, HeadStore heads) {
      AttentionInputs in =
          InputGenerators.gaussian(
              GaussianSpec.fixedNorm(n, n, d, dv, norm.forDim(d)), AttentionInputs.temperatureScale(beta, d),
              Draws.create(seed));
      return selfAttention ? keysAreQueries(in) : in;
    }
  }

  /**
   * Mixture of Gaussians around shared cluster centres: structure for sparse methods to find. With {@code
   * contiguous}, tokens are ordered by cluster (so a local window sees its own cluster, as in the spec's 7.5(b));
   * with {@code selfAttention}, K = Q.
   */
  record Clustered(int clusters, double spread, Norm norm, boolean selfAttention, boolean contiguous)
      implements InputSource {
    private static final long serialVersionUID = 1L;

    @Override
    public String kind() {
      return "clustered";
    }

    @Override
    public String id() {
      return "clustered(clusters=" + clusters + ",spread=" + Canonical.number(spread) + ",norm=" + norm
          + (contiguous ? ",contiguous" : "") + (selfAttention ? ",self-attention" : "") + ")";
    }

    @Override
    public double[] maxNorms(int d) {
      return new double[] {norm.forDim(d), norm.forDim(d)};
    }

    @Override
    public int minLength() {
      return clusters;
    }

    @Override
    public AttentionInputs create(int n, int d, int dv, double beta, long seed, HeadStore heads) {
      ClusteredSpec spec = new ClusteredSpec(n, n, d, dv, clusters, norm.forDim(d), spread);
      InputGenerators.ClusteredSample sample = InputGenerators.clusteredSample(spec, Draws.create(seed));
      AttentionInputs in = sample.inputs().withTemperature(beta);
      if (contiguous) {
        in = byCluster(in, sample.queryClusters(), sample.keyClusters());
      }
      return selfAttention ? keysAreQueries(in) : in;
    }
  }

  /** The same inputs with K replaced by Q (self-attention). */
  private static AttentionInputs keysAreQueries(AttentionInputs in) {
    return AttentionInputs.ofRowMajor(
        in.queryCount(), in.queryCount(), in.headDim(), in.valueDim(), in.queriesRowMajor(),
        in.queriesRowMajor(), in.valuesRowMajor(), in.scale());
  }

  /** Rows of Q reordered by query cluster, rows of K (and V) by key cluster; ties keep their order. */
  private static AttentionInputs byCluster(AttentionInputs in, int[] queryClusters, int[] keyClusters) {
    int n = in.queryCount();
    int m = in.keyCount();
    int d = in.headDim();
    int dv = in.valueDim();
    int[] qo = order(queryClusters);
    int[] ko = order(keyClusters);
    double[] q = new double[n * d];
    double[] k = new double[m * d];
    double[] v = new double[m * dv];
    for (int i = 0; i < n; i++) {
      System.arraycopy(in.queriesRowMajor(), qo[i] * d, q, i * d, d);
    }
    for (int j = 0; j < m; j++) {
      System.arraycopy(in.keysRowMajor(), ko[j] * d, k, j * d, d);
      System.arraycopy(in.valuesRowMajor(), ko[j] * dv, v, j * dv, dv);
    }
    return AttentionInputs.ofRowMajor(n, m, d, dv, q, k, v, in.scale());
  }

  private static int[] order(int[] labels) {
    return java.util.stream.IntStream.range(0, labels.length)
        .boxed()
        .sorted(java.util.Comparator.comparingInt((Integer i) -> labels[i]).thenComparingInt(i -> i))
        .mapToInt(Integer::intValue)
        .toArray();
  }

  /**
   * One real head of {@code rows} tokens, head dim d and value dim dv; its arrays are in the {@link HeadStore} under
   * {@link #id}. The first n rows are used, so one head serves several sequence lengths. Its identity is the file
   * prefix plus a hash of the three arrays, so two heads of the same name from different folders are different
   * inputs. A head may carry its model's own softmax scale ({@code modelScale}, NaN when not recorded: then 1 /
   * sqrt(d)) and whether the model masks it causally, both from the folder's {@code heads.tsv}.
   */
  record Npy(String head, String contentHash, int rows, int d, int dv, double maxQueryNorm, double maxKeyNorm,
      double modelScale, boolean modelCausal) implements InputSource {
    private static final long serialVersionUID = 1L;

    /** A head with the default scale 1 / sqrt(d), not causal. */
    public Npy(String head, String contentHash, int rows, int d, int dv, double maxQueryNorm, double maxKeyNorm) {
      this(head, contentHash, rows, d, dv, maxQueryNorm, maxKeyNorm, Double.NaN, false);
    }

    @Override
    public double scale(double beta, int dd) {
      if (Double.isNaN(modelScale)) {
        return AttentionInputs.temperatureScale(beta, d);
      }
      Checks.requirePositiveFinite(beta, "temperature multiplier beta");
      return beta * modelScale;
    }

    @Override
    public String kind() {
      return "npy";
    }

    @Override
    public String id() {
      // a recorded scale changes the inputs, so it is part of the identity; heads without one keep their old ids
      return "npy(" + head + "@" + contentHash + (Double.isNaN(modelScale) ? "" : ",scale="
          + Canonical.number(modelScale)) + ")";
    }

    @Override
    public boolean fixedDims() {
      return true;
    }

    @Override
    public double[] maxNorms(int dd) {
      return new double[] {maxQueryNorm, maxKeyNorm};
    }

    @Override
    public int maxLength() {
      return rows;
    }

    @Override
    public AttentionInputs create(int n, int dd, int ddv, double beta, long seed, HeadStore heads) {
      if (n > rows) {
        throw new IllegalArgumentException("head " + head + " has " + rows + " tokens, n = " + n + " requested");
      }
      HeadStore.Arrays a = heads.get(id());
      double[] qq = java.util.Arrays.copyOf(a.q(), n * d);
      double[] kk = java.util.Arrays.copyOf(a.k(), n * d);
      double[] vv = java.util.Arrays.copyOf(a.v(), n * dv);
      return AttentionInputs.ofRowMajor(n, n, d, dv, qq, kk, vv, scale(beta, d));
    }

    @Override
    public String toString() {
      return id();
    }
  }
}
