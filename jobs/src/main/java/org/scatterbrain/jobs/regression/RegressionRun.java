package org.scatterbrain.jobs.regression;

import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.scatterbrain.jobs.sweep.Canonical;
import org.scatterbrain.jobs.sweep.InputGroup;
import org.scatterbrain.jobs.sweep.SweepPlan;
import org.scatterbrain.jobs.sweep.SweepSpec;
import org.scatterbrain.jobs.sweep.Trial;
import org.scatterbrain.jobs.sweep.TrialResult;

/**
 * The regression benchmark's logic, in plain Java: runs the speed probe and the regression sweep through a {@link
 * Backend} (Spark, in {@code RegressionJob}; anything in tests), compares every metric with the testbed's baseline,
 * confirms slowdowns by re-running the probe, optionally writes a new baseline, and builds the report.
 *
 * <p>Exit codes: 0 no regression (or, with {@code updateBaseline}, the baseline was written); {@link #EXIT_REGRESSION}
 * a metric is worse than its baseline beyond its tolerance (timings: confirmed by a re-run), or missing; {@link
 * #EXIT_NO_BASELINE} no baseline for this testbed (nothing compared; not a pass).
 */
public final class RegressionRun {
  public static final int EXIT_REGRESSION = 4;
  public static final int EXIT_NO_BASELINE = 5;

  /** Accuracy metrics compared per trial (null values, e.g. attention errors not computed, are skipped). */
  public static final List<String> ACCURACY =
      List.of("output_rel_fro", "output_max_abs", "attn_rel_fro", "attn_max_abs", "kl_mean", "kl_max", "tv_mean",
          "tv_max", "support_mass", "empty_rows");

  /** Memory metrics compared exactly. */
  public static final List<String> MEMORY = List.of("memory_entries_per_row", "memory_bytes");

  /** What the run needs from the engine that executes it. */
  public interface Backend {
    /** Runs {@code probe} where trials run (an executor), labelled {@code what}. */
    SpeedProbe.Result probe(SpeedProbe probe, String what);

    /** Runs every trial of {@code plan} (recomputing them) as run {@code runId}, and reads back its rows. */
    SweepRun sweep(SweepPlan plan, String runId);

    /** Versions and provenance of this build, recorded in baselines and reports. */
    Build build();
  }

  /** Versions and provenance of the running code. */
  public record Build(String sparkVersion, String ojalgoVersion, String gitDescription, String projectVersion) {}

  /** What a sweep run produced: where, how it went, and each trial's row by trial id. */
  public record SweepRun(String runDir, long trialsRun, long trialsFailed, double wallSeconds,
      Map<String, TrialRow> rows) {}

  /** One trial's row: status, error and the numeric metrics (null where not computed). */
  public record TrialRow(String status, String error, Map<String, Double> metrics) {}

  /** The report and the sweep it came from. */
  public record Outcome(RegressionReport report, SweepRun sweep) {}

  private RegressionRun() {}

  /**
   * Runs the benchmark of {@code spec} with {@code settings} against the baselines in {@code baselines}.
   *
   * @param jmh JMH ratios to compare too, or null
   * @param log progress and re-run messages
   */
  public static Outcome run(SweepSpec spec, SweepPlan plan, RegressionSettings settings, String sweepFile,
      Path baselines, boolean updateBaseline, JmhResults.Ratios jmh, String runId, PrintStream log, Backend backend) {
    List<Trial> trials = new ArrayList<>();
    for (InputGroup g : plan.groups()) {
      trials.addAll(g.trials());
    }
    Build build = backend.build();
    SpeedProbe probe = probe(trials, settings, spec.seed(), build);
    log.printf(Locale.ROOT, "regression: speed probe of %d methods, %s, on an executor%n", probe.size(), probe.cell());
    SpeedProbe.Result speed = backend.probe(probe, "first run");
    Testbed testbed = speed.testbed();
    // one baseline per sweep and testbed
    Path baselineFile = baselines.resolve(spec.name() + "-" + testbed.fileName());
    List<String> notes = new ArrayList<>();
    Baseline baseline = null;
    if (Files.exists(baselineFile)) {
      try {
        baseline = Baseline.read(baselineFile);
      } catch (BaselineException e) {
        if (!updateBaseline) {
          throw e;
        }
        notes.add("the previous baseline could not be read and is replaced: " + e.getMessage());
      }
    }
    if (baseline != null && !baseline.sweepName().equals(spec.name())) {
      throw new BaselineException("baseline " + baselineFile + " belongs to sweep '" + baseline.sweepName()
          + "', not '" + spec.name() + "' (the file was renamed or copied)");
    }
    if (baseline != null && !baseline.testbed().equals(testbed)) {
      notes.add("the baseline file's testbed (" + baseline.testbed().describe() + ") differs from this one: it was "
          + "copied or edited; timings are compared anyway");
    }
    if (baseline == null && !updateBaseline) {
      notes.add("no baseline for this testbed: " + baselineFile + " does not exist" + otherTestbeds(baselines,
          spec.name()) + "; after checking this run, write one with --update-baseline");
    }

    SweepRun sweep = backend.sweep(plan, runId);
    List<Measurement> current = new ArrayList<>(trialMeasurements(sweep, trials));
    current.addAll(speed.ratios());
    Map<String, List<Double>> reruns = new HashMap<>();
    if (jmh != null) {
      current.addAll(jmh.ratios());
      reruns.putAll(jmh.forkRatios());
      for (String s : jmh.skipped()) {
        notes.add("JMH entry not compared: " + s);
      }
    }
    String hash = planHash(trials);
    if (baseline != null) {
      confirmSlowdowns(backend, probe, testbed, baseline, speed.ratios(), settings, reruns, notes, log);
      if (!hash.equals(baseline.planHash())) {
        notes.add("the regression sweep's trials differ from the baseline's (plan hash " + hash + ", baseline "
            + baseline.planHash() + "): the sweep definition or the budget rules changed since the baseline");
      }
    }
    Verdicts.Result result = Verdicts.compare(baseline, current, reruns, settings);

    String status;
    int exit;
    long unmeasured = current.stream().filter(m -> m.value() == null || !Double.isFinite(m.value())).count();
    if (updateBaseline && unmeasured == 0) {
      List<Measurement> values = new ArrayList<>(current);
      int kept = 0;
      if (baseline != null) {
        // JMH ratios are measured by a separate command: without --jmh, keep the previous ones
        for (Measurement m : baseline.metrics()) {
          if (result.notCompared().containsKey(m.category())) {
            values.add(m);
            kept++;
          }
        }
      }
      new Baseline(testbed, now(), build.gitDescription(), build.projectVersion(), spec.name(), hash, values)
          .write(baselineFile);
      notes.add(0, "baseline written: " + baselineFile + " (" + values.size() + " metrics"
          + (kept > 0 ? ", of which " + kept + " JMH ratios kept from the previous baseline: this run had no --jmh"
              : "") + "); the verdicts below compare this run with the previous baseline"
          + (baseline == null ? " (there was none)" : ""));
      status = "baseline-updated";
      exit = 0;
    } else {
      if (updateBaseline) {
        notes.add(0, "baseline NOT written: " + unmeasured + " metrics could not be measured (failed trials or "
            + "probe); fix them first");
      }
      status = result.failed() ? "fail" : baseline == null ? "no-baseline" : "pass";
      exit = result.failed() ? EXIT_REGRESSION : baseline == null ? EXIT_NO_BASELINE : 0;
    }
    RegressionReport rep = new RegressionReport(status, exit, spec.name(), sweepFile, runId, sweep.runDir(),
        plan.trialCount(), now(), build.gitDescription(), build.projectVersion(), testbed, baselineFile.toString(),
        baseline, settings, speed.exactSeconds(), notes, result);
    return new Outcome(rep, sweep);
  }

  /** The probe of every approximate variant of the sweep (exact attention is its calibration). */
  static SpeedProbe probe(List<Trial> trials, RegressionSettings s, long sweepSeed, Build build) {
    Map<String, SpeedProbe.Variant> variants = new LinkedHashMap<>();
    for (Trial t : trials) {
      if (!"exact".equals(t.method().method())) {
        String v = t.method().variant(false);
        Integer budget = t.method().budget();
        variants.putIfAbsent(v + " | " + budget,
            new SpeedProbe.Variant(v, budget, t.method().sizes(), t.method().config()));
      }
    }
    return new SpeedProbe(List.copyOf(variants.values()), s.speedN(), s.speedHeadDim(), s.warmupRounds(),
        s.warmupSeconds(), s.rounds(), s.minBlockSeconds(), Canonical.seed("speed-probe;" + sweepSeed),
        build.sparkVersion(), build.ojalgoVersion());
  }

  /**
   * Re-runs the whole probe (same schedule as the first run) {@code reruns} times when some variants were slower
   * than their tolerance, and records those variants' re-run ratios: a slowdown fails only if every re-run confirms
   * it. A re-run that fails records NaN, which {@link Verdicts} reports as missing.
   */
  private static void confirmSlowdowns(Backend backend, SpeedProbe probe, Testbed testbed, Baseline baseline,
      List<Measurement> first, RegressionSettings s, Map<String, List<Double>> reruns, List<String> notes,
      PrintStream log) {
    Map<String, Double> base = new HashMap<>();
    for (Measurement m : baseline.metrics()) {
      base.put(m.key(), m.value());
    }
    Set<String> slow = new LinkedHashSet<>();
    for (Measurement m : first) {
      Double b = base.get(m.key());
      if (b != null && m.value() != null && m.value() > b * (1 + s.speedTolerance())) {
        slow.add(m.key());
      }
    }
    if (slow.isEmpty()) {
      return;
    }
    log.printf(Locale.ROOT, "regression: %d methods slower than the tolerance; re-running the probe %d time(s) to "
        + "confirm: %s%n", slow.size(), s.reruns(), slow);
    for (int i = 0; i < s.reruns(); i++) {
      SpeedProbe.Result again = backend.probe(probe, "re-run " + (i + 1));
      if (!again.testbed().equals(testbed)) {
        notes.add("speed re-run " + (i + 1) + " ran on another testbed (" + again.testbed().describe() + ")");
      }
      for (Measurement m : again.ratios()) {
        if (slow.contains(m.key())) {
          reruns.computeIfAbsent(m.key(), k -> new ArrayList<>()).add(m.value() == null ? Double.NaN : m.value());
          if (m.value() == null) {
            notes.add("speed re-run " + (i + 1) + " of " + m.variant() + " failed: " + m.note());
          }
        }
      }
    }
  }

  /** Accuracy and memory metrics of every trial of the run; a trial that failed or wrote no row gives null values. */
  static List<Measurement> trialMeasurements(SweepRun sweep, List<Trial> trials) {
    List<Measurement> out = new ArrayList<>();
    for (Trial t : trials) {
      TrialRow row = sweep.rows().get(t.trialId());
      String variant = t.method().variant(false);
      String cell = Variants.cell(t);
      String params = t.method().sizes();
      boolean ok = row != null && TrialResult.OK.equals(row.status());
      String note = row == null ? "no result row for trial " + t.trialId()
          : ok ? "" : "trial failed: " + row.error();
      for (String metric : ACCURACY) {
        add(out, Category.ACCURACY, variant, cell, metric, params, ok ? row : null, note);
      }
      for (String metric : MEMORY) {
        add(out, Category.MEMORY, variant, cell, metric, params, ok ? row : null, note);
      }
    }
    return out;
  }

  private static void add(List<Measurement> out, Category c, String variant, String cell, String metric,
      String params, TrialRow row, String note) {
    if (row == null) {
      // a failed trial: every metric it would have had is missing (attention metrics may not apply; list them all)
      out.add(new Measurement(c, variant, cell, metric, null, params, note));
      return;
    }
    Double v = row.metrics().get(metric);
    if (v != null) {
      out.add(new Measurement(c, variant, cell, metric, v, params, ""));
    }
  }

  /** A hash of the sweep's expanded trials: changes when the sweep definition or the budget rules change. */
  static String planHash(List<Trial> trials) {
    List<String> ids = new ArrayList<>();
    for (Trial t : trials) {
      ids.add(t.trialId());
    }
    Collections.sort(ids);
    return Canonical.id(String.join("\n", ids));
  }

  private static String otherTestbeds(Path baselines, String sweep) {
    List<String> others = new ArrayList<>();
    if (Files.isDirectory(baselines)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(baselines, sweep + "-*.json")) {
        for (Path f : files) {
          try {
            others.add(f.getFileName() + " (" + Baseline.read(f).testbed().describe() + ")");
          } catch (BaselineException e) {
            others.add(f.getFileName() + " (unreadable: " + e.getMessage() + ")");
          }
        }
      } catch (java.io.IOException e) {
        others.add("(cannot list " + baselines + ": " + e + ")");
      }
    }
    Collections.sort(others);
    return others.isEmpty() ? " (" + baselines + " has no baseline of sweep " + sweep + ")"
        : " (baselines exist for: " + String.join("; ", others) + ")";
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
