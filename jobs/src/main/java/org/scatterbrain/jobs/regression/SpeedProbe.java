package org.scatterbrain.jobs.regression;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.scatterbrain.core.AttentionEstimator;
import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.Draws;
import org.scatterbrain.core.Estimate;
import org.scatterbrain.core.Estimators;
import org.scatterbrain.core.ExactConfig;
import org.scatterbrain.core.MethodConfig;
import org.scatterbrain.jobs.sweep.HeadStore;
import org.scatterbrain.jobs.sweep.InputSource;

/**
 * Times every method variant relative to exact attention on the same machine, in the same JVM, at a fixed size: the
 * speed metric {@code time_ratio} = (seconds per estimate) / (seconds per exact attention). Ratios cancel the speed
 * of the machine, so they compare across runs on a testbed without trusting absolute seconds.
 *
 * <p>Method: one Gaussian self-attention input (n x d, unit-logit norm, beta = 1). Each round times exact attention,
 * then every variant, then exact attention again (the round's calibration is the mean of the two, which cancels a
 * slow drift of the machine's speed within the round); the first rounds only warm up the JIT and size each timed
 * block to at least {@code minBlockSeconds} by repeating the estimate. A variant's ratio is the median over the timed
 * rounds. Everything runs on the calling thread (sequential estimators), as sweep trials do.
 *
 * <p>Warm-up lasts at least {@code warmupRounds} rounds and at least {@code warmupSeconds}. Measured on a 2-core VM
 * (n = 512): in a fresh JVM, 5 or even 20 warm-up rounds (about 1 s) gave ratios 1.5-2x those of later probes in the
 * same JVM, because the JIT was still compiling the estimators; after about 3 s of warm-up the first probe agreed
 * with the later ones within 10%.
 */
public final class SpeedProbe implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The metric name of the speed ratios. */
  public static final String METRIC = "time_ratio";

  /** A method to time: its variant name, budget (null: none; part of the measurement's cell), sizes and config. */
  public record Variant(String variant, Integer budget, String params, MethodConfig config) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /**
   * What a probe measured: where, exact attention's seconds (for information), and one ratio per variant (null
   * with a note when the variant failed).
   */
  public record Result(Testbed testbed, double exactSeconds, List<Measurement> ratios) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  private final List<Variant> variants;
  private final int n;
  private final int d;
  private final int warmupRounds;
  private final double warmupSeconds;
  private final int rounds;
  private final double minBlockSeconds;
  private final long seed;
  private final String sparkVersion;
  private final String ojalgoVersion;
  private volatile double sink;

  /** A probe of {@code variants} at n tokens and head dim d; library versions are recorded in the testbed. */
  public SpeedProbe(List<Variant> variants, int n, int d, int warmupRounds, double warmupSeconds, int rounds,
      double minBlockSeconds, long seed, String sparkVersion, String ojalgoVersion) {
    this.variants = List.copyOf(variants);
    this.n = n;
    this.d = d;
    this.warmupRounds = warmupRounds;
    this.warmupSeconds = warmupSeconds;
    this.rounds = rounds;
    this.minBlockSeconds = minBlockSeconds;
    this.seed = seed;
    this.sparkVersion = sparkVersion;
    this.ojalgoVersion = ojalgoVersion;
  }

  /** The number of variants timed. */
  public int size() {
    return variants.size();
  }

  /** The cell name of the probe's input. */
  public String cell() {
    return "gaussian(norm=unit-logit,self-attention) n=" + n + " d=" + d + " beta=1";
  }

  /** Runs the probe on the calling thread. */
  public Result run() {
    AttentionInputs in = new InputSource.Gaussian(InputSource.Norm.UNIT_LOGIT, true).create(n, d, d, 1.0, seed, HeadStore.EMPTY);
    AttentionEstimator exact = Estimators.create(new ExactConfig(), false);
    int v = variants.size();
    AttentionEstimator[] est = new AttentionEstimator[v];
    String[] error = new String[v];
    for (int i = 0; i < v; i++) {
      try {
        est[i] = Estimators.create(variants.get(i).config(), false);
        time(est[i], in, 1);
      } catch (RuntimeException e) {
        error[i] = e.getClass().getSimpleName() + ": " + e.getMessage();
      }
    }
    int exactReps = 1;
    int[] reps = new int[v];
    Arrays.fill(reps, 1);
    double[][] ratio = new double[v][rounds];
    double[] exactTimes = new double[rounds];
    long start = System.nanoTime();
    int warm = 0;
    for (int r = 0; r < warm + rounds; r++) {
      boolean warming = r == warm && (warm < warmupRounds || (System.nanoTime() - start) / 1e9 < warmupSeconds);
      if (warming) {
        warm++;
      }
      double before = time(exact, in, exactReps);
      double[] t = new double[v];
      for (int i = 0; i < v; i++) {
        if (error[i] == null) {
          t[i] = time(est[i], in, reps[i]);
        }
      }
      double calibration = (before + time(exact, in, exactReps)) / 2;
      if (warming) {
        exactReps = repetitions(calibration);
        for (int i = 0; i < v; i++) {
          reps[i] = error[i] == null ? repetitions(t[i]) : 1;
        }
      } else {
        exactTimes[r - warm] = calibration;
        for (int i = 0; i < v; i++) {
          ratio[i][r - warm] = t[i] / calibration;
        }
      }
    }
    List<Measurement> out = new ArrayList<>();
    for (int i = 0; i < v; i++) {
      Variant x = variants.get(i);
      String cell = cell() + (x.budget() == null ? "" : " B=" + x.budget());
      out.add(new Measurement(Category.SPEED, x.variant(), cell, METRIC, error[i] == null ? median(ratio[i]) : null,
          x.params(), error[i] == null ? "" : "probe failed: " + error[i]));
    }
    return new Result(Testbed.current(sparkVersion, ojalgoVersion), median(exactTimes), out);
  }

  private int repetitions(double secondsPerOp) {
    return (int) Math.max(1, Math.min(1_000_000, Math.ceil(minBlockSeconds / Math.max(secondsPerOp, 1e-9))));
  }

  /** Seconds per estimate, over {@code reps} estimates with the same draws. */
  private double time(AttentionEstimator e, AttentionInputs in, int reps) {
    long t0 = System.nanoTime();
    double s = 0;
    for (int i = 0; i < reps; i++) {
      Estimate out = e.estimate(in, Draws.create(seed));
      s += out.outputRowMajor()[0];
    }
    double seconds = (System.nanoTime() - t0) / 1e9 / reps;
    sink += s;
    return seconds;
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
}
