package org.scatterbrain.jobs.spark;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.function.Predicate;
import com.typesafe.config.ConfigException;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.scatterbrain.jobs.sweep.SweepConfigException;
import picocli.CommandLine;

/** What the job entry points share: command-line execution with exit codes, and the embedded Spark session. */
final class JobSupport {
  private JobSupport() {}

  /**
   * Parses {@code args} into {@code command} and runs it. Errors that {@code badInput} accepts are printed as one
   * line and give exit code 2; any other failure prints "error: ..." with its stack trace and gives 1.
   */
  static int execute(
      Object command, String[] args, PrintStream out, PrintStream err, Predicate<Throwable> badInput) {
    CommandLine cl = new CommandLine(command);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (badInput.test(e)) {
            err.println("error: " + e.getMessage());
            return 2;
          }
          err.println("error: " + commandLine.getCommandName() + " failed: " + e);
          e.printStackTrace(err);
          return 1;
        });
    return cl.execute(args);
  }

  /** A configuration error (a sweep key or HOCON syntax): reported as one line with exit code 2. */
  static boolean configError(Throwable e) {
    return e instanceof SweepConfigException || e instanceof ConfigException;
  }

  /**
   * The session of spark-submit when it set a master; otherwise an embedded one on {@code master} (default
   * local[*]) that stays on the loopback interface and keeps small shuffles small.
   */
  static SparkSession session(String appName, String master) {
    SparkConf conf = new SparkConf();
    SparkSession.Builder b = SparkSession.builder().appName(appName);
    if (!conf.contains("spark.master")) {
      b = b.master(master != null ? master : "local[*]")
          .config("spark.ui.enabled", "false")
          .config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.sql.shuffle.partitions", "8");
    }
    return b.getOrCreate();
  }
}
