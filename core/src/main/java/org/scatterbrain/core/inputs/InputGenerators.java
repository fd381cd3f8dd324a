package org.scatterbrain.core.inputs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.Checks;
import org.scatterbrain.core.io.NpyArray;
import org.scatterbrain.core.io.NpyReader;

/**
 * Attention inputs for experiments: synthetic Gaussian and clustered (mixture of Gaussians) problems, real heads
 * read from {@code .npy} files, and prefixes of a problem to run one head at several lengths.
 *
 * <p>Randomness: every generator takes the {@link RandomGenerator} to draw from and creates none of its own, so
 * one seed gives one problem (style R3/R4). The draw order is documented per method and is part of the contract.
 * Gaussians come from {@link RandomGenerator#nextGaussian()}, whose algorithm belongs to the JDK (and to the
 * generator: {@code java.util.Random} overrides it), so bit-exact replays need the same JDK and generator
 * algorithm; record both with the seed.
 *
 * <p>Scale: unless one is given, the logit scale is the default {@code tau = 1/sqrt(d)} of
 * {@link AttentionInputs}. Cost of every generator: O((n + m) d + m dv) time and memory.
 */
public final class InputGenerators {
  private InputGenerators() {}

  /** How the query and key rows of a {@link GaussianSpec} are normalised. */
  public enum NormMode {
    /** Each row is an iid N(0, I_d) draw rescaled to Euclidean norm exactly {@code norm}: a uniform direction. */
    FIXED_NORM,
    /** Each row is a raw N(0, I_d) draw (norm about sqrt(d)); {@code norm} is unused and must be 0. */
    RAW_GAUSSIAN
  }

  /**
   * Shape and norm of a Gaussian problem: Q is n x d, K is m x d, V is m x dv.
   *
   * <p>With {@link NormMode#FIXED_NORM} every query and key row has Euclidean norm {@code norm}. Section 7.5 of the
   * project spec ({@code docs/scatterbrain-spec.md}, supplementary measurements) uses {@code norm = d^(1/4)}
   * ({@link #unitLogitNorm}), so that {@code tau |q|^2 = 1} at {@code tau = 1/sqrt(d)} and a temperature
   * multiplier beta gives {@code tau |q|^2 = beta}.
   *
   * @param n number of queries, {@code > 0}
   * @param m number of keys and values, {@code > 0}
   * @param d head dimension, {@code > 0}
   * @param dv value dimension, {@code > 0}
   * @param normMode whether rows are rescaled to {@code norm}
   * @param norm row norm, finite and {@code > 0} for {@code FIXED_NORM}; exactly 0 for {@code RAW_GAUSSIAN}
   */
  public record GaussianSpec(int n, int m, int d, int dv, NormMode normMode, double norm) {
    /** Validates every field; messages name the field and show the value. */
    public GaussianSpec {
      checkShape(n, m, d, dv);
      Objects.requireNonNull(normMode, "normMode");
      if (normMode == NormMode.FIXED_NORM) {
        Checks.requirePositiveFinite(norm, "norm");
      } else if (norm != 0.0) {
        throw new IllegalArgumentException(
            "norm must be 0 (unused) when normMode is RAW_GAUSSIAN, got " + norm);
      }
    }

    /** Rows rescaled to Euclidean norm {@code norm} (finite, {@code > 0}). */
    public static GaussianSpec fixedNorm(int n, int m, int d, int dv, double norm) {
      return new GaussianSpec(n, m, d, dv, NormMode.FIXED_NORM, norm);
    }

    /** Rows rescaled to norm {@code d^(1/4)}, so {@code tau |q|^2 = 1} at the default scale (spec section 7.5). */
    public static GaussianSpec unitLogitNorm(int n, int m, int d, int dv) {
      Checks.requirePositive(d, "d (head dim)");
      return fixedNorm(n, m, d, dv, Math.pow(d, 0.25));
    }

    /** Raw N(0, I_d) rows, not rescaled. */
    public static GaussianSpec raw(int n, int m, int d, int dv) {
      return new GaussianSpec(n, m, d, dv, NormMode.RAW_GAUSSIAN, 0.0);
    }
  }

  /**
   * Shape and structure of a clustered problem (mixture of Gaussians on a sphere), which gives sparse and LSH
   * methods structure to find: {@code clusters} centre directions are drawn uniformly on the unit sphere; each
   * query and each key independently picks a centre uniformly at random; its row is
   * {@code centre + spread * g / sqrt(d)} with {@code g ~ N(0, I_d)}, rescaled to Euclidean norm {@code norm}.
   * Queries and keys share the centres, so a query and a key of the same cluster have a large dot product. The
   * noise {@code spread * g / sqrt(d)} has norm about {@code spread}; at {@code spread = 0} every row is exactly
   * {@code norm * centre}. V is iid N(0, 1).
   *
   * <p>Unlike the clustered data of spec section 7.5(b) (16 contiguous clusters of 64 tokens, q = k), the cluster
   * of each token is random and Q and K are drawn independently.
   *
   * @param n number of queries, {@code > 0}
   * @param m number of keys and values, {@code > 0}
   * @param d head dimension, {@code > 0}
   * @param dv value dimension, {@code > 0}
   * @param clusters number of centres, {@code 1 <= clusters <= min(n, m)}
   * @param norm Euclidean norm of every query and key row, finite and {@code > 0}
   * @param spread noise level relative to the unit centre, finite and {@code >= 0}
   */
  public record ClusteredSpec(int n, int m, int d, int dv, int clusters, double norm, double spread) {
    /** Validates every field; messages name the field and show the value. */
    public ClusteredSpec {
      checkShape(n, m, d, dv);
      Checks.requirePositive(clusters, "clusters");
      Checks.requireAtMost(clusters, Math.min(n, m), "clusters", "min(n, m)");
      Checks.requirePositiveFinite(norm, "norm");
      Checks.requireNonNegativeFinite(spread, "spread");
    }
  }

  /**
   * A clustered problem together with how it was drawn: the unit centres and the cluster of every query and key,
   * for tests and for oracle supports. Every accessor returns a copy.
   */
  public static final class ClusteredSample {
    private final AttentionInputs inputs;
    private final int clusters;
    private final double[] centres;
    private final int[] queryClusters;
    private final int[] keyClusters;

    private ClusteredSample(
        AttentionInputs inputs, int clusters, double[] centres, int[] queryClusters, int[] keyClusters) {
      this.inputs = inputs;
      this.clusters = clusters;
      this.centres = centres;
      this.queryClusters = queryClusters;
      this.keyClusters = keyClusters;
    }

    /** The attention problem (immutable). */
    public AttentionInputs inputs() {
      return inputs;
    }

    /** Number of centres. */
    public int clusterCount() {
      return clusters;
    }

    /** Unit centre directions, row-major {@code clusters x d}. A copy. */
    public double[] centres() {
      return centres.clone();
    }

    /** Cluster index (in {@code [0, clusters)}) of each query row. A copy. */
    public int[] queryClusters() {
      return queryClusters.clone();
    }

    /** Cluster index (in {@code [0, clusters)}) of each key row. A copy. */
    public int[] keyClusters() {
      return keyClusters.clone();
    }

    @Override
    public String toString() {
      return "ClusteredSample[" + inputs + ", clusters=" + clusters + "]";
    }
  }

  /**
   * Draws a Gaussian problem with the default scale {@code 1/sqrt(d)}.
   *
   * <p>Draw order: Q row by row (d Gaussians per row), then K row by row, then V row-major. A row is redrawn in the
   * (probability-zero) case that it is exactly 0 and must be rescaled.
   *
   * @param spec shape and norm
   * @param rng source of randomness. Modified: advanced.
   */
  public static AttentionInputs gaussian(GaussianSpec spec, RandomGenerator rng) {
    Objects.requireNonNull(spec, "spec");
    return gaussian(spec, 1.0 / Math.sqrt(spec.d()), rng);
  }

  /** As {@link #gaussian(GaussianSpec, RandomGenerator)} with logit scale {@code scale} (finite, {@code > 0}). */
  public static AttentionInputs gaussian(GaussianSpec spec, double scale, RandomGenerator rng) {
    Objects.requireNonNull(spec, "spec");
    Checks.requirePositiveFinite(scale, "scale (tau)");
    Objects.requireNonNull(rng, "rng");
    int d = spec.d();
    boolean rescale = spec.normMode() == NormMode.FIXED_NORM;
    double[] q = gaussianRows(spec.n(), d, rescale, spec.norm(), rng);
    double[] k = gaussianRows(spec.m(), d, rescale, spec.norm(), rng);
    double[] v = gaussians(spec.m() * spec.dv(), rng);
    return AttentionInputs.ofRowMajor(spec.n(), spec.m(), d, spec.dv(), q, k, v, scale);
  }

  /** Draws a clustered problem with the default scale {@code 1/sqrt(d)}; see {@link #clusteredSample}. */
  public static AttentionInputs clustered(ClusteredSpec spec, RandomGenerator rng) {
    return clusteredSample(spec, rng).inputs();
  }

  /** As {@link #clustered(ClusteredSpec, RandomGenerator)} with logit scale {@code scale} (finite, {@code > 0}). */
  public static AttentionInputs clustered(ClusteredSpec spec, double scale, RandomGenerator rng) {
    Checks.requirePositiveFinite(scale, "scale (tau)");
    return clusteredSample(spec, rng).inputs().withScale(scale);
  }

  /**
   * Draws a clustered problem (default scale {@code 1/sqrt(d)}) and returns it with its centres and assignments.
   * Consumes exactly the draws of {@link #clustered(ClusteredSpec, RandomGenerator)}.
   *
   * <p>Draw order: the centres (d Gaussians each, normalised); then for each query row its cluster
   * ({@code rng.nextInt(clusters)}) followed by d Gaussians of noise; the same for each key row; then V
   * row-major.
   *
   * @param spec shape and cluster structure
   * @param rng source of randomness. Modified: advanced.
   */
  public static ClusteredSample clusteredSample(ClusteredSpec spec, RandomGenerator rng) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(rng, "rng");
    int d = spec.d();
    int c = spec.clusters();
    double[] centres = gaussianRows(c, d, true, 1.0, rng);
    int[] queryClusters = new int[spec.n()];
    int[] keyClusters = new int[spec.m()];
    double[] q = clusteredRows(spec, centres, queryClusters, rng);
    double[] k = clusteredRows(spec, centres, keyClusters, rng);
    double[] v = gaussians(spec.m() * spec.dv(), rng);
    AttentionInputs inputs =
        AttentionInputs.ofRowMajor(spec.n(), spec.m(), d, spec.dv(), q, k, v, 1.0 / Math.sqrt(d));
    return new ClusteredSample(inputs, c, centres, queryClusters, keyClusters);
  }

  /**
   * Reads a real head from three {@code .npy} files (see {@link NpyReader}) with the default scale
   * {@code 1/sqrt(d)}. Q must be n x d, K m x d and V m x dv, all finite.
   *
   * @param q queries file. Not modified.
   * @param k keys file. Not modified.
   * @param v values file. Not modified.
   * @throws IOException if a file cannot be read or is not a supported {@code .npy} file (the message names it)
   * @throws IllegalArgumentException if the shapes do not fit together or a value is not finite; the message
   *     names the three files and their shapes
   */
  public static AttentionInputs fromNpy(Path q, Path k, Path v) throws IOException {
    return fromNpy(q, k, v, Double.NaN, false);
  }

  /** As {@link #fromNpy(Path, Path, Path)} with logit scale {@code scale} (finite, {@code > 0}). */
  public static AttentionInputs fromNpy(Path q, Path k, Path v, double scale) throws IOException {
    Checks.requirePositiveFinite(scale, "scale (tau)");
    return fromNpy(q, k, v, scale, true);
  }

  private static AttentionInputs fromNpy(Path q, Path k, Path v, double scale, boolean hasScale)
      throws IOException {
    Objects.requireNonNull(q, "q");
    Objects.requireNonNull(k, "k");
    Objects.requireNonNull(v, "v");
    NpyArray qa = NpyReader.read(q);
    NpyArray ka = NpyReader.read(k);
    NpyArray va = NpyReader.read(v);
    try {
      return hasScale
          ? AttentionInputs.of(qa.toMatrix(), ka.toMatrix(), va.toMatrix(), scale)
          : AttentionInputs.of(qa.toMatrix(), ka.toMatrix(), va.toMatrix());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "inputs from q="
              + q
              + " ("
              + qa.rows()
              + "x"
              + qa.cols()
              + "), k="
              + k
              + " ("
              + ka.rows()
              + "x"
              + ka.cols()
              + "), v="
              + v
              + " ("
              + va.rows()
              + "x"
              + va.cols()
              + "): "
              + e.getMessage(),
          e);
    }
  }

  /**
   * The first {@code n} query rows and the first {@code n} key and value rows of {@code inputs}, with the same
   * scale: the same real head at a shorter length. Not modified: {@code inputs}.
   *
   * @param inputs the problem to cut
   * @param n the new length, {@code 1 <= n <= min(queryCount, keyCount)}
   */
  public static AttentionInputs truncate(AttentionInputs inputs, int n) {
    Objects.requireNonNull(inputs, "inputs");
    Checks.requirePositive(n, "n");
    Checks.requireAtMost(n, inputs.queryCount(), "n", "queryCount");
    Checks.requireAtMost(n, inputs.keyCount(), "n", "keyCount");
    int d = inputs.headDim();
    int dv = inputs.valueDim();
    return AttentionInputs.ofRowMajor(
        n,
        n,
        d,
        dv,
        Arrays.copyOf(inputs.queriesRowMajor(), n * d),
        Arrays.copyOf(inputs.keysRowMajor(), n * d),
        Arrays.copyOf(inputs.valuesRowMajor(), n * dv),
        inputs.scale());
  }

  private static void checkShape(int n, int m, int d, int dv) {
    Checks.requirePositive(n, "n (query rows)");
    Checks.requirePositive(m, "m (key rows)");
    Checks.requirePositive(d, "d (head dim)");
    Checks.requirePositive(dv, "dv (value dim)");
    long largest = (long) Math.max(n, m) * Math.max(d, dv);
    if (largest > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "n*d, m*d and m*dv must each fit in a Java array (2^31 - 9 entries), got n="
              + n
              + ", m="
              + m
              + ", d="
              + d
              + ", dv="
              + dv);
    }
  }

  private static double[] gaussians(int count, RandomGenerator rng) {
    double[] a = new double[count];
    for (int i = 0; i < count; i++) {
      a[i] = rng.nextGaussian();
    }
    return a;
  }

  /** {@code rows x d} iid N(0, 1); if {@code rescale}, each row rescaled to Euclidean norm {@code norm}. */
  private static double[] gaussianRows(
      int rows, int d, boolean rescale, double norm, RandomGenerator rng) {
    double[] a = new double[rows * d];
    for (int i = 0; i < rows; i++) {
      int off = i * d;
      do {
        for (int j = 0; j < d; j++) {
          a[off + j] = rng.nextGaussian();
        }
      } while (rescale && !rescaleRow(a, off, d, norm));
    }
    return a;
  }

  /** Rows {@code centre + spread g / sqrt(d)} rescaled to {@code spec.norm()}; records each row's cluster. */
  private static double[] clusteredRows(
      ClusteredSpec spec, double[] centres, int[] assignment, RandomGenerator rng) {
    int d = spec.d();
    int rows = assignment.length;
    double s = spec.spread() / Math.sqrt(d);
    // Only the direction matters after rescaling, so for s > 1 use centre / s + g: no overflow for any finite s.
    double centreWeight = s > 1 ? 1 / s : 1;
    double noiseWeight = s > 1 ? 1 : s;
    double[] a = new double[rows * d];
    for (int i = 0; i < rows; i++) {
      int cluster = rng.nextInt(spec.clusters());
      assignment[i] = cluster;
      int off = i * d;
      int coff = cluster * d;
      do {
        for (int j = 0; j < d; j++) {
          a[off + j] = centreWeight * centres[coff + j] + noiseWeight * rng.nextGaussian();
        }
      } while (!rescaleRow(a, off, d, spec.norm()));
    }
    return a;
  }

  /**
   * Rescales {@code a[off .. off+d)} to Euclidean norm {@code norm}; returns false (row unchanged) if it is 0. The
   * norm is computed relative to the largest entry, so no intermediate overflows or underflows.
   */
  private static boolean rescaleRow(double[] a, int off, int d, double norm) {
    double maxAbs = 0;
    for (int j = 0; j < d; j++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[off + j]));
    }
    if (maxAbs == 0) {
      return false;
    }
    double sum = 0;
    for (int j = 0; j < d; j++) {
      double x = a[off + j] / maxAbs;
      sum += x * x;
    }
    double factor = norm / Math.sqrt(sum);
    for (int j = 0; j < d; j++) {
      a[off + j] = a[off + j] / maxAbs * factor;
    }
    return true;
  }
}
