package org.scatterbrain.jobs.spark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** Versions and the git commit recorded with every row. */
final class Provenance {
  private Provenance() {}

  static String projectVersion() {
    return property("/scatterbrain-build.properties", "version");
  }

  static String ojalgoVersion() {
    return property("/META-INF/maven/org.ojalgo/ojalgo/pom.properties", "version");
  }

  private static String property(String resource, String key) {
    try (InputStream in = Provenance.class.getResourceAsStream(resource)) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty(key, "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /**
   * The commit, with " (with uncommitted changes)" when the working tree differs from it in tracked files (checked
   * only when the commit comes from git itself, not from $GIT_COMMIT).
   */
  static String gitDescription() {
    String commit = gitCommit();
    String env = System.getenv("GIT_COMMIT");
    if (commit.equals("unknown") || (env != null && !env.isBlank())) {
      return commit;
    }
    try {
      Process p = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no")
          .redirectErrorStream(true).start();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return commit;
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.exitValue() == 0 && !out.isEmpty() ? commit + " (with uncommitted changes)" : commit;
    } catch (IOException e) {
      return commit;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return commit;
    }
  }

  /** $GIT_COMMIT, else {@code git rev-parse HEAD} in the working directory, else "unknown". */
  static String gitCommit() {
    String env = System.getenv("GIT_COMMIT");
    if (env != null && !env.isBlank()) {
      return env.trim();
    }
    try {
      Process p = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "unknown";
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.exitValue() == 0 && out.matches("[0-9a-f]{40}") ? out : "unknown";
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }
}
