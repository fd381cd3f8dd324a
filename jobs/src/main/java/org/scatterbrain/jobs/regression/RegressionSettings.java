package org.scatterbrain.jobs.regression;

import static org.scatterbrain.jobs.sweep.HoconReader.object;
import static org.scatterbrain.jobs.sweep.HoconReader.unknownKeys;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.Map;
import java.util.Set;
import org.scatterbrain.jobs.sweep.SweepConfigException;

/**
 * The {@code regression} block of a regression sweep file: tolerances and the speed probe. Every key is optional.
 *
 * <pre>
 * regression {
 *   accuracy { relative-tolerance = 1e-9, absolute-tolerance = 1e-12 }  # |current - baseline| &lt;= rel |baseline| + abs
 *   speed {
 *     n = 2048               # the probe's sequence length (queries = keys)
 *     head-dim = 32          # default: the sweep's first head-dim
 *     warmup-rounds = 3      # untimed rounds first (JIT) ...
 *     warmup-seconds = 3     # ... lasting at least this long (a fresh JVM needs about 3 s on 2 cores)
 *     rounds = 7             # timed rounds; the ratio is the median over rounds
 *     min-block-seconds = 0.02  # each timed block repeats an estimate until it lasts at least this long
 *     tolerance = 0.5        # a ratio more than (1 + tolerance) x the baseline's is a slowdown
 *     reruns = 1             # a slowdown fails only when this many re-runs of the probe confirm it
 *   }
 *   jmh { tolerance = 0.5 }  # the same rule for ratios of JMH scores
 * }
 * </pre>
 *
 * @param relativeTolerance accuracy: allowed relative difference
 * @param absoluteTolerance accuracy: allowed absolute difference on top (for values at or near zero)
 * @param speedN probe sequence length
 * @param speedHeadDim probe head dim (0: the sweep's first)
 * @param warmupRounds probe rounds not timed (at least)
 * @param warmupSeconds probe warm-up time (at least)
 * @param rounds probe rounds timed
 * @param minBlockSeconds shortest timed block
 * @param speedTolerance allowed slowdown of a speed ratio, as a fraction
 * @param reruns probe re-runs that must confirm a slowdown
 * @param jmhTolerance allowed slowdown of a JMH ratio, as a fraction
 */
public record RegressionSettings(
    double relativeTolerance,
    double absoluteTolerance,
    int speedN,
    int speedHeadDim,
    int warmupRounds,
    double warmupSeconds,
    int rounds,
    double minBlockSeconds,
    double speedTolerance,
    int reruns,
    double jmhTolerance) {

  public static final String ROOT = "regression";

  /** The same settings with the probe's head dim {@code d}. */
  public RegressionSettings withHeadDim(int d) {
    return new RegressionSettings(relativeTolerance, absoluteTolerance, speedN, d, warmupRounds, warmupSeconds, rounds,
        minBlockSeconds, speedTolerance, reruns, jmhTolerance);
  }

  /** Defaults, as documented above. */
  public static RegressionSettings defaults() {
    return new RegressionSettings(1e-9, 1e-12, 2048, 0, 3, 3.0, 7, 0.02, 0.5, 1, 0.5);
  }

  /** Reads the {@code regression} block of {@code root} (absent: the defaults). */
  public static RegressionSettings of(Config root) {
    RegressionSettings d = defaults();
    if (!root.hasPath(ROOT)) {
      return d;
    }
    Config c = object(root, ROOT, ROOT);
    unknownKeys(c.root(), Set.of("accuracy", "speed", "jmh"), ROOT);
    double rel = d.relativeTolerance;
    double abs = d.absoluteTolerance;
    if (c.hasPath("accuracy")) {
      Config a = object(c, "accuracy", ROOT + ".accuracy");
      unknownKeys(a.root(), Set.of("relative-tolerance", "absolute-tolerance"), ROOT + ".accuracy");
      rel = number(a, "relative-tolerance", ROOT + ".accuracy", rel, 0, 1);
      abs = number(a, "absolute-tolerance", ROOT + ".accuracy", abs, 0, 1);
    }
    int n = d.speedN;
    int hd = d.speedHeadDim;
    int warm = d.warmupRounds;
    double warmSeconds = d.warmupSeconds;
    int rounds = d.rounds;
    double block = d.minBlockSeconds;
    double speedTol = d.speedTolerance;
    int reruns = d.reruns;
    if (c.hasPath("speed")) {
      String p = ROOT + ".speed";
      Config s = object(c, "speed", p);
      unknownKeys(s.root(),
          Set.of("n", "head-dim", "warmup-rounds", "warmup-seconds", "rounds", "min-block-seconds", "tolerance", "reruns"), p);
      n = integer(s, "n", p, n, 16, 1 << 17);
      hd = integer(s, "head-dim", p, hd, 1, 4096);
      warm = integer(s, "warmup-rounds", p, warm, 1, 1000);
      warmSeconds = number(s, "warmup-seconds", p, warmSeconds, 0, 600);
      rounds = integer(s, "rounds", p, rounds, 1, 1000);
      block = number(s, "min-block-seconds", p, block, 0, 60);
      speedTol = number(s, "tolerance", p, speedTol, 0, 100);
      reruns = integer(s, "reruns", p, reruns, 1, 10);
    }
    double jmhTol = d.jmhTolerance;
    if (c.hasPath("jmh")) {
      Config j = object(c, "jmh", ROOT + ".jmh");
      unknownKeys(j.root(), Set.of("tolerance"), ROOT + ".jmh");
      jmhTol = number(j, "tolerance", ROOT + ".jmh", jmhTol, 0, 100);
    }
    return new RegressionSettings(rel, abs, n, hd, warm, warmSeconds, rounds, block, speedTol, reruns, jmhTol);
  }

  /** The tolerance of a timing category, as a fraction. */
  public double timingTolerance(Category c) {
    return c == Category.JMH ? jmhTolerance : speedTolerance;
  }

  /** The settings as an ordered map, for reports. */
  public Map<String, Object> asMap() {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("accuracy.relative-tolerance", relativeTolerance);
    m.put("accuracy.absolute-tolerance", absoluteTolerance);
    m.put("speed.n", speedN);
    m.put("speed.head-dim", speedHeadDim);
    m.put("speed.warmup-rounds", warmupRounds);
    m.put("speed.warmup-seconds", warmupSeconds);
    m.put("speed.rounds", rounds);
    m.put("speed.min-block-seconds", minBlockSeconds);
    m.put("speed.tolerance", speedTolerance);
    m.put("speed.reruns", reruns);
    m.put("jmh.tolerance", jmhTolerance);
    return m;
  }

  private static double number(Config c, String key, String path, double dflt, double min, double max) {
    if (!c.hasPath(key)) {
      return dflt;
    }
    double v;
    try {
      v = c.getDouble(key);
    } catch (ConfigException.WrongType e) {
      throw new SweepConfigException(path + "." + key, c.getValue(key).unwrapped(), "a number in [" + min + ", " + max + "]");
    }
    if (!(v >= min && v <= max)) {
      throw new SweepConfigException(path + "." + key, v, "a number in [" + min + ", " + max + "]");
    }
    return v;
  }

  private static int integer(Config c, String key, String path, int dflt, int min, int max) {
    if (!c.hasPath(key)) {
      return dflt;
    }
    Object raw = c.getValue(key).unwrapped();
    if (!(raw instanceof Integer i) || i < min || i > max) {
      throw new SweepConfigException(path + "." + key, raw, "an integer in [" + min + ", " + max + "]");
    }
    return i;
  }
}
