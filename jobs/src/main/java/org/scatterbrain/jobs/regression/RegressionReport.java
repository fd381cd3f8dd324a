package org.scatterbrain.jobs.regression;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The regression report, as Markdown ({@code report.md}, for people: the verdict and the failures first, then every
 * metric in report order) and JSON ({@code report.json}, for tools: the same content with exact values).
 *
 * @param status pass, fail, no-baseline or baseline-updated
 * @param exitCode the exit code the command returns
 * @param sweepName regression sweep name
 * @param sweepFile the sweep definition file
 * @param runId the sweep run id
 * @param resultsDir where the run's Parquet rows are
 * @param trials trials run
 * @param created UTC time of the report
 * @param gitCommit code commit
 * @param projectVersion code version
 * @param testbed the testbed measured on
 * @param baselineFile the baseline file for this testbed (whether or not it exists)
 * @param baseline the baseline read (null: none)
 * @param settings tolerances and probe settings
 * @param exactSeconds the speed probe's exact-attention time per op (the calibration, for information)
 * @param notes remarks shown under the header (e.g. a changed sweep definition, JMH entries skipped)
 * @param result the comparisons
 */
public record RegressionReport(
    String status,
    int exitCode,
    String sweepName,
    String sweepFile,
    String runId,
    String resultsDir,
    int trials,
    String created,
    String gitCommit,
    String projectVersion,
    Testbed testbed,
    String baselineFile,
    Baseline baseline,
    RegressionSettings settings,
    double exactSeconds,
    List<String> notes,
    Verdicts.Result result) {

  /** Writes {@code report.md} and {@code report.json} into {@code dir} (created if needed). */
  public void write(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("report.md"), markdown(), StandardCharsets.UTF_8);
      Files.writeString(dir.resolve("report.json"), json() + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the regression report to " + dir, e);
    }
  }

  /** One line per verdict that occurred, e.g. "2 regressed, 1 missing, 3024 ok". */
  public String countsLine() {
    StringJoiner j = new StringJoiner(", ");
    for (Map.Entry<Verdict, Integer> e : result.counts().entrySet()) {
      if (e.getValue() > 0) {
        j.add(e.getValue() + " " + e.getKey().label());
      }
    }
    return j.length() == 0 ? "no metrics" : j.toString();
  }

  /** The Markdown report. */
  public String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("# Regression benchmark: ").append(status.toUpperCase(Locale.ROOT).replace('-', ' '))
        .append(" (").append(countsLine()).append(")\n\n");
    b.append("| | |\n|---|---|\n");
    row(b, "sweep", sweepName + " (`" + sweepFile + "`), run `" + runId + "`, " + trials + " trials, results in `"
        + resultsDir + "`");
    row(b, "code", "commit " + commit(gitCommit) + ", version " + projectVersion + ", report written " + created);
    row(b, "testbed", testbed.describe());
    row(b, "baseline", baseline == null ? "none for this testbed (`" + baselineFile + "`)"
        : "`" + baselineFile + "`, measured at commit " + commit(baseline.gitCommit()) + " on " + baseline.created());
    row(b, "tolerances", "accuracy: " + Verdicts.tolerance(Category.ACCURACY, settings) + "; memory: "
        + Verdicts.tolerance(Category.MEMORY, settings) + "; speed: " + Verdicts.tolerance(Category.SPEED, settings)
        + "; JMH: " + Verdicts.tolerance(Category.JMH, settings));
    row(b, "speed calibration", String.format(Locale.ROOT,
        "exact attention %.4g s per op at %d x %d, d = %d (speed values are method time / this)", exactSeconds,
        settings.speedN(), settings.speedN(), settings.speedHeadDim()));
    row(b, "exit code", Integer.toString(exitCode));
    b.append('\n');
    for (String n : notes) {
      b.append("- ").append(n).append('\n');
    }
    for (Map.Entry<Category, Integer> e : result.notCompared().entrySet()) {
      b.append("- ").append(e.getValue()).append(' ').append(e.getKey().label())
          .append(" metrics of the baseline were not compared: this run did not measure ").append(e.getKey().label())
          .append(e.getKey() == Category.JMH ? " (pass --jmh results)" : "").append('\n');
    }
    if (!notes.isEmpty() || !result.notCompared().isEmpty()) {
      b.append('\n');
    }
    List<Comparison> failures = new ArrayList<>();
    for (Comparison c : result.comparisons()) {
      if (c.verdict().fails()) {
        failures.add(c);
      }
    }
    b.append("## Failures (").append(failures.size()).append(")\n\n");
    if (failures.isEmpty()) {
      b.append("None: no metric is worse than its baseline beyond its tolerance, and none is missing.\n\n");
    } else {
      table(b, failures);
    }
    b.append("## Every metric (").append(result.comparisons().size())
        .append("), failures first, then unconfirmed slowdowns, no baseline, improved, new, ok\n\n");
    table(b, result.comparisons());
    return b.toString();
  }

  /** A commit as code, with its remark (e.g. "(with uncommitted changes)") after it. */
  private static String commit(String c) {
    int sp = c.indexOf(' ');
    return sp < 0 ? "`" + c + "`" : "`" + c.substring(0, sp) + "`" + c.substring(sp);
  }

  private static void row(StringBuilder b, String k, String v) {
    b.append("| ").append(k).append(" | ").append(cell(v)).append(" |\n");
  }

  private static void table(StringBuilder b, List<Comparison> rows) {
    b.append("| # | verdict | category | method | cell | metric | baseline | current | change | tolerance | params |"
        + " note |\n");
    b.append("|---:|---|---|---|---|---|---:|---:|---:|---|---|---|\n");
    int i = 1;
    for (Comparison c : rows) {
      String verdict = c.verdict().fails() ? "**" + c.verdict().label() + "**" : c.verdict().label();
      String current = number(c.current());
      if (!c.reruns().isEmpty()) {
        StringJoiner j =
            new StringJoiner(", ", c.category() == Category.JMH ? " (forks: " : " (re-runs: ", ")");
        c.reruns().forEach(r -> j.add(number(r)));
        current += j;
      }
      b.append("| ").append(i++).append(" | ").append(verdict).append(" | ").append(c.category().label())
          .append(" | ").append(cell(c.variant())).append(" | ").append(cell(c.cell())).append(" | ")
          .append(c.metric()).append(" | ").append(number(c.baseline())).append(" | ").append(current)
          .append(" | ").append(change(c)).append(" | ").append(cell(c.tolerance())).append(" | ")
          .append(cell(c.params())).append(" | ").append(cell(c.note())).append(" |\n");
    }
    b.append('\n');
  }

  private static String cell(String s) {
    return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
  }

  /** Ten significant digits without trailing zeros: enough to see a change at the accuracy tolerance. */
  static String number(Double x) {
    if (x == null) {
      return "-";
    }
    if (x == 0) {
      return "0";
    }
    String s = String.format(Locale.ROOT, "%.10g", x);
    int e = s.indexOf('e');
    String mantissa = e < 0 ? s : s.substring(0, e);
    if (mantissa.contains(".")) {
      mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
    return e < 0 ? mantissa : mantissa + s.substring(e);
  }

  private static String change(Comparison c) {
    if (c.change() == null) {
      return "-";
    }
    if (c.relativeChange() != null) {
      return String.format(Locale.ROOT, "%+.3g%%", 100 * c.relativeChange());
    }
    return String.format(Locale.ROOT, "%+.3g", c.change());
  }

  /** The JSON report. */
  public String json() {
    var json = Baseline.JSON;
    ObjectNode root = json.createObjectNode();
    root.put("format", "scatterbrain-regression-report/1");
    root.put("status", status);
    root.put("exit_code", exitCode);
    ObjectNode counts = root.putObject("counts");
    result.counts().forEach((k, v) -> counts.put(k.name().toLowerCase(Locale.ROOT), v));
    ObjectNode nc = root.putObject("not_compared");
    result.notCompared().forEach((k, v) -> nc.put(k.label(), v));
    ObjectNode run = root.putObject("run");
    run.put("sweep", sweepName);
    run.put("sweep_file", sweepFile);
    run.put("run_id", runId);
    run.put("results", resultsDir);
    run.put("trials", trials);
    run.put("created", created);
    run.put("git_commit", gitCommit);
    run.put("project_version", projectVersion);
    run.put("speed_exact_seconds", exactSeconds);
    root.set("testbed", json.valueToTree(testbed.asMap()));
    ObjectNode base = root.putObject("baseline");
    base.put("file", baselineFile);
    base.put("exists", baseline != null);
    if (baseline != null) {
      base.put("git_commit", baseline.gitCommit());
      base.put("created", baseline.created());
      base.put("project_version", baseline.projectVersion());
    }
    root.set("settings", json.valueToTree(settings.asMap()));
    ArrayNode ns = root.putArray("notes");
    notes.forEach(ns::add);
    ArrayNode list = root.putArray("metrics");
    for (Comparison c : result.comparisons()) {
      ObjectNode o = list.addObject();
      o.put("verdict", c.verdict().name().toLowerCase(Locale.ROOT));
      o.put("category", c.category().label());
      o.put("variant", c.variant());
      o.put("cell", c.cell());
      o.put("metric", c.metric());
      o.put("baseline", c.baseline());
      o.put("current", c.current());
      ArrayNode rr = o.putArray("reruns");
      c.reruns().forEach(rr::add);
      o.put("change", c.change());
      o.put("relative_change", c.relativeChange());
      o.put("tolerance", c.tolerance());
      o.put("params", c.params());
      o.put("note", c.note());
    }
    try {
      return json.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the report as JSON", e);
    }
  }
}
