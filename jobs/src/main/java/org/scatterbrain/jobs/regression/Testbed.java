package org.scatterbrain.jobs.regression;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.jobs.sweep.Canonical;

/**
 * The machine and software a baseline belongs to: timings only compare on the same testbed, and baselines are
 * stored per testbed ({@link #fileName()}). Hardware and JVM fields are read where the work runs (an executor);
 * library versions come from the job.
 *
 * @param cpuModel CPU model name ({@code /proc/cpuinfo}), or "unknown (arch)"
 * @param cores processors available to the JVM
 * @param os operating system name and architecture
 * @param java JVM vendor and version
 * @param kernel the GEMM kernel the estimators use ({@code simd-8}, {@code scalar}; see {@code Gemm})
 * @param spark Spark version
 * @param ojalgo ojAlgo version
 */
public record Testbed(
    String cpuModel, int cores, String os, String java, String kernel, String spark, String ojalgo)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The testbed of the calling JVM, with the given library versions. */
  public static Testbed current(String sparkVersion, String ojalgoVersion) {
    return new Testbed(
        readCpuModel(),
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.version",
            System.getProperty("java.version")),
        Gemm.implementation(),
        sparkVersion,
        ojalgoVersion);
  }

  /**
   * The CPU model: {@code model name} of {@code /proc/cpuinfo} (x86 and some ARM kernels), else its ARM
   * implementer and part numbers, else (macOS) {@code sysctl machdep.cpu.brand_string}, else "unknown (arch)".
   */
  static String readCpuModel() {
    Path info = Path.of("/proc/cpuinfo");
    if (Files.isReadable(info)) {
      try {
        String model = fromCpuinfo(Files.readAllLines(info, StandardCharsets.UTF_8));
        if (model != null) {
          return model;
        }
      } catch (IOException e) {
        // try the next source
      }
    }
    if (System.getProperty("os.name", "").startsWith("Mac")) {
      try {
        Process p = new ProcessBuilder("sysctl", "-n", "machdep.cpu.brand_string").redirectErrorStream(true).start();
        if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
          String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
          if (!out.isEmpty()) {
            return out;
          }
        }
        p.destroyForcibly();
      } catch (IOException e) {
        // fall through
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return "unknown (" + System.getProperty("os.arch") + ")";
  }

  /** The CPU model from the lines of {@code /proc/cpuinfo}, or null when they do not say. */
  static String fromCpuinfo(List<String> lines) {
    String implementer = null;
    String part = null;
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String key = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim().replaceAll("\\s+", " ");
      if (key.equals("model name") && !value.isEmpty()) {
        return value;
      }
      if (key.equals("CPU implementer") && implementer == null) {
        implementer = value;
      }
      if (key.equals("CPU part") && part == null) {
        part = value;
      }
    }
    return implementer == null || part == null ? null : "ARM implementer " + implementer + " part " + part;
  }

  /** The fields in a fixed order, for baselines and reports. */
  public Map<String, Object> asMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cpu_model", cpuModel);
    m.put("cores", cores);
    m.put("os", os);
    m.put("java", java);
    m.put("kernel", kernel);
    m.put("spark", spark);
    m.put("ojalgo", ojalgo);
    return m;
  }

  /** A one-line description. */
  public String describe() {
    return cpuModel + ", " + cores + " cores, " + os + ", " + java + ", kernel " + kernel + ", Spark " + spark
        + ", ojAlgo " + ojalgo;
  }

  /**
   * The baseline file name of this testbed: a readable slug of the CPU and core count, plus a hash of every field
   * (so any difference, e.g. a JVM update, gives another file).
   */
  public String fileName() {
    String slug = cpuModel.toLowerCase(Locale.ROOT)
        .replaceAll("\\((r|tm)\\)", "")
        .replaceAll("(@|\\bwith\\b).*", "")
        .replaceAll("\\b(cpu|processor)\\b", " ")
        .replaceAll("[^a-z0-9]+", "-")
        .replaceAll("^-+|-+$", "");
    if (slug.length() > 40) {
      slug = slug.substring(0, 40).replaceAll("-+$", "");
    }
    return slug + "-" + cores + "c-" + Canonical.id(asMap().toString()).substring(0, 10) + ".json";
  }
}
