package org.scatterbrain.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.scatterbrain.jobs.spark.SummaryJob;
import org.scatterbrain.jobs.spark.SweepJob;

/**
 * notebooks/analysis.ipynb executed headless over a real small sweep: the sweep and its summary run in-process on a
 * local SparkSession, then {@code python3 notebooks/run_notebook.py} executes the notebook (nbclient, kernel python3)
 * and the test checks its exit code and the four PNGs it saved. The interpreter is {@link PythonEnv}'s environment
 * of {@code notebooks/requirements.txt} (built on first use, reused afterwards; the test is skipped, saying so, only
 * when python3 itself is missing). The executed notebook, the figures and the script's output stay in {@code
 * jobs/target/notebook-it/<time>/}.
 */
class NotebookIT {
  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration NOTEBOOK_TIMEOUT = Duration.ofMinutes(10);
  private static final List<String> FIGURES =
      List.of("regime_map.png", "regime_entropy.png", "budget_frontier.png", "scaling.png");
  private static final String REQUIREMENTS = "notebooks/requirements.txt";

  /**
   * 2 inputs x 2 lengths x 3 temperatures x 2 masks x 2 seeds, 3 budgeted methods at 2 budgets plus exact: 336 trials
   * (both masks, so the notebook must keep causal and bidirectional cells apart).
   */
  private static final String SWEEP =
      """
      sweep {
        name = notebook-it
        seed = 31
        inputs = [ { kind = gaussian, norm = unit-logit }, { kind = clustered, clusters = 4, spread = 0.5 } ]
        axes { n = [64, 128], head-dim = [16], temperature = [0.5, 2, 8], causal = [false, true], seeds = 2,
               budget = [16, 32] }
        methods = [
          { method = exact }
          { method = performer }
          { method = local }
          { method = scatterbrain, sparse = local }
        ]
      }
      """;

  @TempDir Path tmp;

  /** The outcome of a process: exit code (-1: timed out and killed) and its output. */
  private record Run(int exit, String output) {}

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void analysisNotebookRunsHeadlessAndSavesItsFigures() throws Exception {
    Path root = PythonEnv.root();
    Path script = root.resolve("notebooks/run_notebook.py");
    Path notebook = root.resolve("notebooks/analysis.ipynb");
    assertTrue(Files.isRegularFile(script) && Files.isRegularFile(notebook), "no " + script + " or " + notebook);
    String python = PythonEnv.python("NotebookIT", REQUIREMENTS).toString();
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
    Path work = Files.createTempDirectory(
        Files.createDirectories(root.resolve("jobs/target/notebook-it")), stamp + "-");

    // the environment is made from the pinned requirements: a missing package here means they are incomplete
    Run check = run(root, work.resolve("python-check.log"), CHECK_TIMEOUT, python, "-c",
        "import pandas, pyarrow, matplotlib, numpy, nbformat, nbclient, ipykernel, jupyter_client");
    if (check.exit() != 0) {
      fail(python + " lacks a package the notebook needs: add it to " + REQUIREMENTS + " (exit " + check.exit()
          + "):\n" + check.output());
    }

    Path results = tmp.resolve("results");
    Path conf = tmp.resolve("notebook-it.conf");
    Files.writeString(conf, SWEEP);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("NotebookIT")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .getOrCreate();
    try {
      String[] sweepArgs = {conf.toString(), "--output", results.toString(), "--progress-seconds", "0"};
      assertEquals(0, SweepJob.run(sweepArgs, spark, out, out), () -> log.toString(StandardCharsets.UTF_8));
      String[] summaryArgs = {results.resolve("notebook-it").toString()};
      assertEquals(0, SummaryJob.run(summaryArgs, spark, out, out), () -> log.toString(StandardCharsets.UTF_8));
    } finally {
      spark.stop();
    }

    Path figures = work.resolve("figures");
    Path executed = work.resolve("analysis-executed.ipynb");
    Run nb = run(root, work.resolve("run_notebook.log"), NOTEBOOK_TIMEOUT, python, script.toString(),
        "--results", results.toString(),
        "--figures", figures.toString(),
        "--expect-figures", String.valueOf(FIGURES.size()),
        "--executed", executed.toString());
    String report = "\n" + String.join(" ", python, "notebooks/run_notebook.py", "...") + " (exit " + nb.exit()
        + "; executed notebook and log in " + work + "):\n" + nb.output();
    if (nb.exit() != 0 && nb.output().contains("missing Python packages")) {
      fail("the notebook's Python packages are missing from " + REQUIREMENTS + report);
    }
    assertEquals(0, nb.exit(), () -> "run_notebook.py failed" + report);
    List<String> bad = new ArrayList<>();
    for (String f : FIGURES) {
      Path png = figures.resolve(f);
      if (!Files.isRegularFile(png) || Files.size(png) == 0) {
        bad.add(f);
      }
    }
    assertTrue(bad.isEmpty(), () -> "figures missing or empty in " + figures + ": " + bad + report);
    assertTrue(Files.isRegularFile(executed), () -> "no executed notebook " + executed + report);
  }

  /** Runs {@code cmd} in {@code dir} with output to {@code logFile}; kills it and its children after the timeout. */
  private static Run run(Path dir, Path logFile, Duration timeout, String... cmd)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(logFile.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {  // no such program
      return new Run(127, "cannot start " + cmd[0] + ": " + e.getMessage());
    }
    int exit;
    try {
      exit = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? p.exitValue() : -1;
    } catch (InterruptedException e) {  // @Timeout: leave no kernel behind
      kill(p);
      throw e;
    }
    if (exit == -1) {
      kill(p);
    }
    String output = Files.readString(logFile, StandardCharsets.UTF_8);
    return new Run(exit, exit == -1 ? output + "\n(timed out after " + timeout.toSeconds() + " s and killed)" : output);
  }

  private static void kill(Process p) throws InterruptedException {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    p.waitFor(10, TimeUnit.SECONDS);
  }
}
