package org.scatterbrain.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scatterbrain.jobs.spark.ResultSchema;

/**
 * The job jar submitted to a real standalone cluster: {@code bin/spark-cluster start} (master and worker on
 * 127.0.0.1, from the Spark jars in {@code target/spark-dist}), {@code bin/spark-cluster submit} of a tiny sweep in
 * client deploy mode, then the Parquet output is checked, including that the trials ran in executor processes. Run by
 * failsafe in {@code mvn verify} after {@code package} has built the job jar and the distribution. Logs stay in
 * {@code target/cluster-it/<time>/} (master.log, worker.log, submit.log, worker/app-* executor logs).
 */
class ClusterIT {
  // bounds: start 60 s + test 110 s + stop 30 s; a normal run takes about a minute in all
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration SUBMIT_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  // the tiny sweep: 2 lengths x 2 temperatures x 2 seeds = 8 input groups, 3 methods each
  private static final int EXPECTED_ROWS = 2 * 2 * 2 * 3;
  private static final String SWEEP =
      """
      sweep {
        name = cluster-it
        seed = 20251128
        inputs = [ { kind = gaussian, norm = unit-logit } ]
        axes {
          n = [64, 128]
          head-dim = [16]
          temperature = [1, 4]
          seeds = 2
        }
        methods = [
          { method = exact }
          { method = performer, features = [16] }
          { method = local, window = [16] }
        ]
      }
      """;

  private static Path root;
  private static Path jobJar;
  private static Path dist;
  private static Path work;
  private static String masterUrl;

  @BeforeAll
  static void startCluster() throws Exception {
    root = Path.of(System.getProperty("scatterbrain.root", "..")).toRealPath();
    Path target = root.resolve("jobs/target");
    String jar = System.getProperty("scatterbrain.jobJar");
    jobJar = jar != null ? Path.of(jar) : findJobJar(target);
    dist = Path.of(System.getProperty("scatterbrain.sparkDist", target.resolve("spark-dist").toString()));
    assertTrue(Files.isRegularFile(jobJar), () -> "no job jar " + jobJar + ": run mvn package first");
    assertTrue(Files.isDirectory(dist.resolve("jars")), () -> "no " + dist + "/jars: run mvn package first");
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
    work = Files.createTempDirectory(Files.createDirectories(target.resolve("cluster-it")), stamp + "-");

    Run start = cluster(START_TIMEOUT, work.resolve("start.log"), "start", "--timeout", "45");
    assertEquals(0, start.exit(), () -> "bin/spark-cluster start failed:\n" + start.output() + diagnostics());
    List<String> lines = start.output().lines().filter(l -> !l.isBlank()).toList();
    masterUrl = lines.isEmpty() ? "" : lines.get(lines.size() - 1).trim();
    assertTrue(masterUrl.matches("spark://127\\.0\\.0\\.1:\\d+"),
        () -> "start did not end with the master URL:\n" + start.output() + diagnostics());
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (work == null) {
      return;
    }
    Run stop = cluster(STOP_TIMEOUT, work.resolve("stop.log"), "stop");
    assertEquals(0, stop.exit(), () -> "bin/spark-cluster stop failed:\n" + stop.output() + diagnostics());
    String marker = "-Dscatterbrain.cluster.work=" + work;
    List<String> left =
        ProcessHandle.allProcesses()
            .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false))
            .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
            .toList();
    assertTrue(left.isEmpty(), () -> "cluster processes left after stop: " + left);
  }

  @Test
  @Timeout(value = 110, unit = TimeUnit.SECONDS)
  void sweepRunsOnTheExecutorsOfAStandaloneCluster() throws Exception {
    Path conf = work.resolve("cluster-it.conf");
    Files.writeString(conf, SWEEP);
    Path output = work.resolve("results");
    Run submit =
        cluster(
            SUBMIT_TIMEOUT,
            work.resolve("submit.log"),
            "submit",
            "--class", "org.scatterbrain.jobs.spark.SweepJob",
            "--conf", "spark.ui.enabled=false",
            jobJar.toString(),
            conf.toString(),
            "--output", output.toString(),
            "--partitions", "4");
    assertEquals(0, submit.exit(), () -> "the sweep failed on " + masterUrl + ":\n" + submit.output() + diagnostics());

    String executorCommand = executorCommands();
    assertTrue(executorCommand.contains("--add-modules=jdk.incubator.vector")
            && executorCommand.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"),
        () -> "executors were launched without Spark's Java 17 module options:\n" + executorCommand + diagnostics());

    SparkSession spark =
        SparkSession.builder()
            .master("local[1]")
            .appName("ClusterIT")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "1")
            .getOrCreate();
    try {
      Dataset<Row> rows = spark.read().parquet(output.resolve("cluster-it").toString()).cache();
      String report = submit.output();
      assertEquals(EXPECTED_ROWS, rows.count(), () -> "rows in " + output + "\n" + report);
      assertEquals(EXPECTED_ROWS, rows.select(ResultSchema.TRIAL_ID).distinct().count(), "distinct trial ids");

      List<String> notOk =
          rows.filter(functions.col(ResultSchema.STATUS).notEqual("ok"))
              .select(ResultSchema.TRIAL_ID, ResultSchema.STATUS, ResultSchema.ERROR)
              .collectAsList().stream().map(Row::toString).toList();
      assertTrue(notOk.isEmpty(), () -> "trials not ok: " + notOk);

      List<String> executors = distinct(rows, ResultSchema.EXECUTOR_ID);
      assertFalse(executors.isEmpty(), "no executor ids");
      for (String e : executors) {
        assertTrue(e != null && e.matches("\\d+"),
            () -> "trials ran outside executor processes: executor ids " + executors + diagnostics());
      }
      List<String> hosts = distinct(rows, ResultSchema.HOST);
      for (String h : hosts) {
        assertTrue(h != null && !h.isBlank() && !h.equals("driver") && !h.equals("unknown"),
            () -> "host column not set: " + hosts);
      }
      assertEquals(List.of("exact", "local", "performer"), distinct(rows, ResultSchema.METHOD), "methods");
    } finally {
      spark.stop();
    }
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void regressionBenchmarkRunsWithSparkSubmit() throws Exception {
    Path conf = work.resolve("regression-it.conf");
    Files.writeString(conf, SWEEP.replace("name = cluster-it", "name = regression-it") + """
        regression.speed { n = 256, warmup-rounds = 2, warmup-seconds = 0.5, rounds = 3, tolerance = 9 }
        """);
    Path baselines = work.resolve("baselines");
    List<String> args = List.of(
        "submit",
        "--class", "org.scatterbrain.jobs.spark.RegressionJob",
        "--conf", "spark.ui.enabled=false",
        jobJar.toString(),
        conf.toString(),
        "--baselines", baselines.toString(),
        "--output", work.resolve("results").toString());
    List<String> update = new ArrayList<>(args);
    update.addAll(List.of("--report", work.resolve("report-update").toString(), "--update-baseline"));
    Run first = cluster(SUBMIT_TIMEOUT, work.resolve("regression-update.log"), update.toArray(String[]::new));
    assertEquals(0, first.exit(), () -> "regression --update-baseline failed:\n" + first.output() + diagnostics());
    try (var files = Files.list(baselines)) {
      assertEquals(1, files.count(), "one baseline file for this testbed");
    }
    List<String> check = new ArrayList<>(args);
    check.addAll(List.of("--report", work.resolve("report-check").toString()));
    Run second = cluster(SUBMIT_TIMEOUT, work.resolve("regression-check.log"), check.toArray(String[]::new));
    assertEquals(0, second.exit(), () -> "regression against its own baseline failed:\n" + second.output()
        + diagnostics());
    String report = Files.readString(work.resolve("report-check").resolve("report.md"), StandardCharsets.UTF_8);
    assertTrue(report.startsWith("# Regression benchmark: PASS"), report.lines().findFirst().orElse(""));
  }

  /** A sweep of about 20 s of work on the 2-core worker, in pieces of about a second: long enough to kill mid-run. */
  private static final String LONG_SWEEP =
      """
      sweep {
        name = fault-it
        seed = 7
        inputs = [ { kind = gaussian, norm = unit-logit }, { kind = clustered, clusters = 8 } ]
        axes { n = [1024], head-dim = [32], temperature = [1, 4, 16], seeds = 4, budget = [32] }
        methods = [ { method = exact }, { method = performer }, { method = local }, { method = scatterbrain, sparse = local } ]
      }
      """;
  private static final int LONG_TRIALS = 2 * 3 * 4 * 4;

  /** Submits the long sweep without waiting; the caller waits for (or kills) the process. */
  private static Process submitLong(Path conf, Path output, Path log, String... extra) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("bash", root.resolve("bin/spark-cluster").toString(),
        "--dist", dist.toString(), "--work", work.toString(), "submit",
        "--class", "org.scatterbrain.jobs.spark.SweepJob", "--conf", "spark.ui.enabled=false",
        jobJar.toString(), conf.toString(), "--output", output.toString(), "--progress-seconds", "0"));
    cmd.addAll(List.of(extra));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    return pb.start();
  }

  /** Waits until at least {@code pieces} results files exist below {@code dir}. */
  private static void awaitPieces(Path dir, int pieces, Process p, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (countPieces(dir) >= pieces) {
        return;
      }
      if (!p.isAlive()) {
        throw new AssertionError("the sweep ended before " + pieces + " pieces were written:\n"
            + Files.readString(log) + diagnostics());
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no " + pieces + " pieces in " + dir + " after 60 s" + diagnostics());
  }

  private static long countPieces(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.getFileName().toString().matches("part-.*\\.parquet")).count();
    }
  }

  /** Each row's trial id once, every trial ok: {@code trials} distinct ids in as many rows. */
  private static void assertEachTrialOnce(Path sweepDir, int trials) {
    SparkSession spark = SparkSession.builder().master("local[1]").appName("ClusterIT")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    try {
      Dataset<Row> rows = spark.read().option("mergeSchema", "true").parquet(sweepDir.toString()).cache();
      assertEquals(trials, rows.count(), "rows in " + sweepDir);
      assertEquals(trials, rows.select(ResultSchema.TRIAL_ID).distinct().count(), "distinct trial ids");
      assertEquals(0, rows.filter(functions.col(ResultSchema.STATUS).notEqual("ok")).count(), "trials not ok");
    } finally {
      spark.stop();
    }
  }

  @Test
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void aDriverKilledMidSweepLosesOnlyItsRunningPieces() throws Exception {
    Path conf = work.resolve("fault-driver.conf");
    Files.writeString(conf, LONG_SWEEP);
    Path output = work.resolve("results-driver-kill");
    Path log = work.resolve("fault-driver-1.log");
    Process first = submitLong(conf, output, log);
    awaitPieces(output, 3, first, log);
    // kill -9 the driver (spark-submit's JVM and the scripts around it): no shutdown hook, no cleanup
    first.descendants().forEach(ProcessHandle::destroyForcibly);
    first.destroyForcibly();
    first.waitFor(10, TimeUnit.SECONDS);
    Thread.sleep(2000);
    long committed = committedTrials(output.resolve("fault-it"));
    assertTrue(committed > 0 && committed < LONG_TRIALS, "committed before the kill: " + committed);

    Run again = cluster(SUBMIT_TIMEOUT, work.resolve("fault-driver-2.log"), "submit",
        "--class", "org.scatterbrain.jobs.spark.SweepJob", "--conf", "spark.ui.enabled=false",
        jobJar.toString(), conf.toString(), "--output", output.toString(), "--progress-seconds", "0");
    assertEquals(0, again.exit(), () -> "the rerun failed:\n" + again.output() + diagnostics());
    // the rerun computes exactly what was not committed
    assertTrue(again.output().contains(committed + " already done; " + (LONG_TRIALS - committed) + " to run"),
        again.output());
    assertTrue(again.output().contains((LONG_TRIALS - committed) + " run, 0 failed"), again.output());
    assertEachTrialOnce(output.resolve("fault-it"), LONG_TRIALS);
  }

  @Test
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void anExecutorKilledMidSweepRecomputesOnlyItsPiecesAndCountsEachTrialOnce() throws Exception {
    Path conf = work.resolve("fault-executor.conf");
    Files.writeString(conf, LONG_SWEEP);
    Path output = work.resolve("results-executor-kill");
    Path log = work.resolve("fault-executor.log");
    Process p = submitLong(conf, output, log);
    awaitPieces(output, 3, p, log);
    List<ProcessHandle> executors = ProcessHandle.allProcesses()
        .filter(h -> h.info().commandLine().map(c -> c.contains("CoarseGrainedExecutorBackend")
            && c.contains(dist.toString())).orElse(false))
        .toList();
    assertEquals(1, executors.size(), () -> "executors: " + executors + diagnostics());
    executors.get(0).destroyForcibly();
    assertTrue(p.waitFor(150, TimeUnit.SECONDS), "the sweep did not finish after the executor was killed");
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), () -> "the sweep failed after an executor was killed:\n" + out + diagnostics());
    // the counters count each trial once although the lost executor's pieces ran twice
    assertTrue(out.contains("trials: " + LONG_TRIALS + " planned, 0 skipped (already ok), " + LONG_TRIALS
        + " run, 0 failed"), out);
    assertEachTrialOnce(output.resolve("fault-it"), LONG_TRIALS);
  }

  private static long committedTrials(Path sweepDir) throws IOException {
    SparkSession spark = SparkSession.builder().master("local[1]").appName("ClusterIT")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    try {
      return countPieces(sweepDir) == 0 ? 0
          : spark.read().option("mergeSchema", "true").parquet(sweepDir.toString())
              .filter(functions.col(ResultSchema.STATUS).equalTo("ok")).select(ResultSchema.TRIAL_ID).distinct()
              .count();
    } finally {
      spark.stop();
    }
  }

  /** target/scatterbrain-jobs-VERSION-job.jar, when not run by failsafe (which passes scatterbrain.jobJar). */
  private static Path findJobJar(Path target) throws IOException {
    try (var jars = Files.newDirectoryStream(target, "scatterbrain-jobs-*-job.jar")) {
      for (Path j : jars) {
        return j;
      }
    } catch (java.nio.file.NoSuchFileException e) {
      // reported below
    }
    return target.resolve("scatterbrain-jobs-job.jar");
  }

  private static List<String> distinct(Dataset<Row> rows, String column) {
    return rows.select(column).distinct().collectAsList().stream()
        .map(r -> r.isNullAt(0) ? null : String.valueOf(r.get(0)))
        .sorted(java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()))
        .toList();
  }

  /** The outcome of one bin/spark-cluster call: exit code (-1: timed out and killed) and its output. */
  private record Run(int exit, String output) {}

  private static Run cluster(Duration timeout, Path log, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash", root.resolve("bin/spark-cluster").toString(),
        "--dist", dist.toString(), "--work", work.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().put("SPARK_CLUSTER_STOP_TIMEOUT", "10");
    Process p = pb.start();
    int exit;
    try {
      exit = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? p.exitValue() : -1;
    } catch (InterruptedException e) {  // @Timeout: leave no driver behind
      kill(p);
      throw e;
    }
    if (exit == -1) {
      kill(p);
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    return new Run(exit, exit == -1 ? out + "\n(timed out after " + timeout.toSeconds() + " s and killed)" : out);
  }

  private static void kill(Process p) throws InterruptedException {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    p.waitFor(10, TimeUnit.SECONDS);
  }

  /** The "Spark Executor Command" headers of the executors' stderr files under the worker's work dir. */
  private static String executorCommands() throws IOException {
    Path workerDir = work.resolve("worker");
    if (!Files.isDirectory(workerDir)) {
      return "";
    }
    try (Stream<Path> files = Files.walk(workerDir)) {
      return files.filter(f -> f.getFileName().toString().equals("stderr"))
          .flatMap(f -> lines(f).stream().filter(l -> l.startsWith("Spark Executor Command:")).limit(1))
          .collect(Collectors.joining("\n"));
    }
  }

  private static List<String> lines(Path f) {
    try {
      return Files.readAllLines(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return List.of();
    }
  }

  /** Tails of the cluster's logs, for failure messages. */
  private static String diagnostics() {
    if (work == null) {
      return "";
    }
    StringBuilder b = new StringBuilder("\n\nlogs in ").append(work);
    List<Path> logs = new ArrayList<>(List.of(work.resolve("master.log"), work.resolve("worker.log")));
    try (Stream<Path> files = Files.walk(work)) {
      files.filter(f -> f.getFileName().toString().equals("stderr")).sorted().forEach(logs::add);
    } catch (IOException | RuntimeException e) {
      b.append("\n(cannot list executor logs: ").append(e).append(')');
    }
    for (Path f : logs) {
      List<String> l = lines(f);
      b.append("\n---- ").append(work.relativize(f)).append(l.isEmpty() ? " (missing or empty)" : "").append('\n');
      l.subList(Math.max(0, l.size() - 25), l.size()).forEach(x -> b.append(x).append('\n'));
    }
    return b.toString();
  }
}
