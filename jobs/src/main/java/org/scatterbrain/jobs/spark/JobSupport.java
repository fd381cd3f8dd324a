package org.scatterbrain.jobs.spark;

import com.typesafe.config.ConfigException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.function.Predicate;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.scatterbrain.jobs.sweep.SweepConfigException;
import picocli.CommandLine;

/**
 * What the job entry points share: command-line execution with exit codes and one-line errors, and the embedded
 * Spark session.
 *
 * <p>Every failure is one line on stderr, {@code error: ...}, naming the option, key or file at fault and its root
 * cause (a full disk says so, not only the Spark stage that failed); {@code --verbose} adds the stack trace. Exit
 * codes: 2 bad arguments or configuration (nothing ran), 130 interrupted (Ctrl-C or SIGTERM: the command's own
 * message says what was kept), 1 anything else.
 */
final class JobSupport {
  private JobSupport() {}

  /** Exit code of an interrupted command (128 + SIGINT, as shells report it). */
  static final int EXIT_INTERRUPTED = 130;

  private static volatile boolean shuttingDown;
  private static volatile String interruptMessage;
  private static volatile PrintStream interruptStream = System.err;
  private static final Thread HOOK = new Thread(() -> {
    shuttingDown = true;
    String m = interruptMessage;
    if (m != null) {
      interruptStream.println(m);
    }
  }, "scatterbrain-interrupt");

  /**
   * Installs the shutdown hook that reports an interrupt (only for {@code main}: tests share the JVM). The message
   * is set by the command once it knows what it will write ({@link #interruptMessage}).
   */
  static void installInterruptHook(PrintStream err) {
    interruptStream = err;
    try {
      Runtime.getRuntime().addShutdownHook(HOOK);
    } catch (IllegalArgumentException | IllegalStateException alreadyOrShuttingDown) {
      // installed already, or the JVM is exiting
    }
  }

  /** What the interrupt hook prints, once the command knows (null: nothing). */
  static void interruptMessage(String message) {
    interruptMessage = message;
  }

  /** Clears the interrupt message (the command finished normally). */
  static void finished() {
    interruptMessage = null;
  }

  /**
   * Parses {@code args} into {@code command} and runs it. Argument errors and failures that {@code badInput} accepts
   * give one line and exit code 2; any other failure one line with its root cause and exit code 1 (the stack trace
   * too with {@code --verbose}).
   */
  static int execute(
      Object command, String[] args, PrintStream out, PrintStream err, Predicate<Throwable> badInput) {
    boolean verbose = Arrays.asList(args).contains("--verbose");
    CommandLine cl = new CommandLine(command);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setParameterExceptionHandler(
        (e, a) -> {
          err.println("error: " + e.getMessage() + " (see --help)");
          return 2;
        });
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (badInput.test(e)) {
            err.println("error: " + e.getMessage());
            return 2;
          }
          if (shuttingDown || interrupted(e)) {
            err.println("error: " + commandLine.getCommandName() + " interrupted");
            return EXIT_INTERRUPTED;
          }
          err.println("error: " + commandLine.getCommandName() + " failed: " + rootCause(e)
              + (verbose ? "" : " (--verbose for the stack trace)"));
          if (verbose) {
            e.printStackTrace(err);
          }
          return 1;
        });
    try {
      return cl.execute(args);
    } finally {
      finished();
    }
  }

  /** The innermost cause's class and message, or the first one that names a file or the disk. */
  static String rootCause(Throwable e) {
    Throwable t = e;
    Throwable deepest = e;
    while (t != null) {
      String m = t.getMessage();
      if (m != null && m.startsWith("cannot write results file")) {
        return m;
      }
      deepest = t;
      t = t.getCause() == t ? null : t.getCause();
    }
    String m = deepest.getMessage();
    return deepest.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
  }

  private static boolean interrupted(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof InterruptedException) {
        return true;
      }
    }
    return false;
  }

  /** Rejects a {@code --master} Spark would not accept, before anything is done (null: the default). */
  static void requireValidMaster(String master) {
    if (master != null && !MASTER.matcher(master).matches()) {
      throw new SweepConfigException("--master", master, "local, local[N], local[*], local[N,F], spark://HOST:PORT, "
          + "yarn, k8s://URL (or run under spark-submit)");
    }
  }

  /** Master URLs Spark 4 accepts (SparkContext.createTaskScheduler and the cluster managers). */
  private static final java.util.regex.Pattern MASTER = java.util.regex.Pattern.compile(
      "local|local\\[(\\d+|\\*)(,\\d+)?]|local-cluster\\[\\d+,\\d+,\\d+]|spark://[^\\s]+|yarn|k8s://[^\\s]+");

  /** A configuration error (a sweep key or HOCON syntax): reported as one line with exit code 2. */
  static boolean configError(Throwable e) {
    return e instanceof SweepConfigException || e instanceof ConfigException;
  }

  /**
   * The session of spark-submit when it set a master; otherwise an embedded one on {@code master} (default
   * local[*]) that stays on the loopback interface and keeps small shuffles small. A master Spark cannot use is a
   * {@link SweepConfigException} naming {@code --master}.
   */
  static SparkSession session(String appName, String master) {
    SparkConf conf = new SparkConf();
    requireValidMaster(master);
    SparkSession.Builder b = SparkSession.builder().appName(appName);
    if (!conf.contains("spark.master")) {
      b = b.master(master != null ? master : "local[*]")
          .config("spark.ui.enabled", "false")
          .config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.sql.shuffle.partitions", "8");
    }
    try {
      return b.getOrCreate();
    } catch (Exception e) { // Spark throws SparkException, a checked exception, undeclared
      if (master != null && !conf.contains("spark.master")) {
        throw new SweepConfigException("--master " + master + ": Spark cannot start with it (" + rootCause(e)
            + "); allowed: local[*], local[N], spark://HOST:PORT, or run under spark-submit");
      }
      throw e;
    }
  }
}
