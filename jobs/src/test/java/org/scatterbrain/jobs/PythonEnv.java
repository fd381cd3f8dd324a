package org.scatterbrain.jobs;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The Python interpreter of the Python-based tests, from {@code bin/python-env}: a virtual environment made from the
 * pinned requirements files (created on first use under {@code .cache/python/}, reused afterwards), so the tests
 * never depend on packages installed by hand. When python3 itself is missing, the calling test is reported as
 * skipped, with one line on stderr saying why and how to install it; any other failure to build the environment
 * fails the test with pip's log.
 */
final class PythonEnv {
  /** Exit code of bin/python-env when python3 (or its venv module) is missing. */
  private static final int NO_PYTHON = 3;

  private PythonEnv() {}

  /** The repository root (the failsafe configuration passes it). */
  static Path root() throws IOException {
    return Path.of(System.getProperty("scatterbrain.root", "..")).toRealPath();
  }

  /**
   * The interpreter of the environment for {@code requirements} (paths relative to the repository root). Skips the
   * calling test when python3 is missing; fails it when the environment cannot be built.
   */
  static Path python(String testName, String... requirements) throws IOException, InterruptedException {
    Path root = root();
    List<String> cmd = new ArrayList<>();
    cmd.add(root.resolve("bin/python-env").toString());
    cmd.addAll(List.of(requirements));
    Path log = Files.createTempFile("python-env", ".log");
    try {
      Process p = new ProcessBuilder(cmd).directory(root.toFile())
          .redirectError(log.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.MINUTES)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        fail("bin/python-env " + String.join(" ", requirements) + " did not finish in 30 minutes");
      }
      String err = Files.readString(log, StandardCharsets.UTF_8).trim();
      if (p.exitValue() == NO_PYTHON) {
        String reason = testName + " SKIPPED: " + err;
        System.err.println(reason);
        Assumptions.abort(reason);
      }
      if (p.exitValue() != 0 || out.isEmpty()) {
        fail("bin/python-env " + String.join(" ", requirements) + " failed (exit " + p.exitValue() + "):\n" + err);
      }
      return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
