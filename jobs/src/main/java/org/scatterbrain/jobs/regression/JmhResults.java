package org.scatterbrain.jobs.regression;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ratios of JMH results ({@code -rf json}) for the regression report: each benchmark's time per operation divided by
 * that of {@value #CALIBRATION} at the same {@code n} in the same file (metric {@value #METRIC}). A slowdown is
 * confirmed when every fork of every given file shows it: the per-fork ratios (mean of a fork's iterations over the
 * calibration's same fork) are the re-runs of {@link Verdicts}; with a single fork in total there is nothing to
 * confirm with, so run JMH with {@code -f 2} or pass two result files.
 */
public final class JmhResults {
  private JmhResults() {}

  /** The calibration benchmark (class.method). */
  public static final String CALIBRATION = "ExactAttentionBenchmark.streamed";

  /** The metric name of JMH ratios. */
  public static final String METRIC = "jmh_time_ratio";

  /** A JMH result file that cannot be used: the message names the file and the problem. */
  public static final class BadJmhFile extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadJmhFile(String message) {
      super(message);
    }
  }

  /** The ratios, the per-fork ratios by {@link Measurement#key()}, and entries that could not be used. */
  public record Ratios(List<Measurement> ratios, Map<String, List<Double>> forkRatios, List<String> skipped) {}

  private record Score(double secondsPerOp, List<Double> forks) {}

  /** Reads the files (in order: the first file's score is the reported value). */
  public static Ratios read(List<Path> files) {
    Map<String, Measurement> ratios = new LinkedHashMap<>();
    Map<String, List<Double>> forks = new LinkedHashMap<>();
    List<String> skipped = new ArrayList<>();
    for (Path file : files) {
      JsonNode root = parse(file);
      Map<String, Score> calibration = new TreeMap<>();
      List<JsonNode> others = new ArrayList<>();
      for (int i = 0; i < root.size(); i++) {
        JsonNode b = root.get(i);
        String name = shortName(file, i, b);
        String n = b.path("params").path("n").asText("");
        if (name.equals(CALIBRATION)) {
          calibration.put(n, score(file, i, b));
        } else {
          others.add(b);
        }
      }
      for (JsonNode b : others) {
        String name = shortName(file, -1, b);
        Map<String, String> params = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = b.path("params").fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          params.put(e.getKey(), e.getValue().asText());
        }
        String n = params.remove("n");
        StringBuilder variant = new StringBuilder(name);
        params.forEach((k, v) -> variant.append(' ').append(k).append('=').append(v));
        Score cal = n == null ? null : calibration.get(n);
        if (cal == null) {
          skipped.add(file + ": " + variant + (n == null ? " has no parameter n" : " at n=" + n
              + " has no " + CALIBRATION + " at the same n in the file"));
          continue;
        }
        Score s = score(file, -1, b);
        if (!(cal.secondsPerOp() > 0) || !Double.isFinite(s.secondsPerOp() / cal.secondsPerOp())) {
          skipped.add(file + ": " + variant + " at n=" + n + " has no finite ratio (calibration score "
              + cal.secondsPerOp() + " s/op)");
          continue;
        }
        Measurement m = new Measurement(Category.JMH, variant.toString(), "n=" + n, METRIC,
            s.secondsPerOp() / cal.secondsPerOp(), "", "");
        ratios.putIfAbsent(m.key(), m);
        List<Double> f = forks.computeIfAbsent(m.key(), k -> new ArrayList<>());
        for (int i = 0; i < s.forks().size(); i++) {
          double c = i < cal.forks().size() ? cal.forks().get(i) : cal.secondsPerOp();
          f.add(s.forks().get(i) / c);
        }
      }
    }
    // a single fork in total confirms nothing: leave its re-runs empty
    forks.replaceAll((k, v) -> v.size() < 2 ? List.of() : List.copyOf(v));
    return new Ratios(List.copyOf(ratios.values()), forks, skipped);
  }

  private static JsonNode parse(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new BadJmhFile("JMH results " + file + " are not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new BadJmhFile("cannot read JMH results " + file + ": " + e);
    }
    if (root == null || !root.isArray()) {
      throw new BadJmhFile("JMH results " + file + " must be the JSON array JMH writes with -rf json");
    }
    return root;
  }

  private static String shortName(Path file, int index, JsonNode b) {
    String full = b.path("benchmark").asText("");
    String[] parts = full.split("\\.");
    if (parts.length < 2) {
      throw new BadJmhFile("JMH results " + file + ": entry " + index + " has no benchmark name (got '" + full + "')");
    }
    return parts[parts.length - 2] + "." + parts[parts.length - 1];
  }

  private static Score score(Path file, int index, JsonNode b) {
    JsonNode pm = b.path("primaryMetric");
    if (!pm.path("score").isNumber() || !pm.path("scoreUnit").isTextual()) {
      throw new BadJmhFile("JMH results " + file + ": " + b.path("benchmark").asText() + " has no primaryMetric "
          + "score and scoreUnit");
    }
    double unit = secondsPerOp(file, pm.path("scoreUnit").asText());
    boolean throughput = pm.path("scoreUnit").asText().startsWith("ops/");
    List<Double> forks = new ArrayList<>();
    for (JsonNode fork : pm.path("rawData")) {
      double sum = 0;
      int count = 0;
      for (JsonNode x : fork) {
        sum += x.asDouble();
        count++;
      }
      if (count > 0) {
        double mean = sum / count;
        forks.add(throughput ? unit / mean : mean * unit);
      }
    }
    double s = pm.path("score").asDouble();
    return new Score(throughput ? unit / s : s * unit, forks);
  }

  /** Seconds per unit of a JMH score unit: "ms/op" -> 1e-3; for throughput "ops/ms" -> 1e-3 (seconds per op = it / score). */
  private static double secondsPerOp(Path file, String unit) {
    String u = unit.toLowerCase(Locale.ROOT);
    String time = u.endsWith("/op") ? u.substring(0, u.length() - 3) : u.startsWith("ops/") ? u.substring(4) : "";
    return switch (time) {
      case "s" -> 1;
      case "ms" -> 1e-3;
      case "us" -> 1e-6;
      case "ns" -> 1e-9;
      case "min" -> 60;
      default -> throw new BadJmhFile("JMH results " + file + ": unsupported score unit '" + unit
          + "' (allowed: s/op, ms/op, us/op, ns/op, ops/s, ops/ms, ops/us, ops/ns)");
    };
  }
}
