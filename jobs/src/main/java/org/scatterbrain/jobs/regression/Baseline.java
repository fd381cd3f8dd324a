package org.scatterbrain.jobs.regression;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The committed reference values of one testbed: {@code conf/baselines/<testbed file name>.json}. Values are written
 * with the shortest decimal that reads back as the same double, so a baseline equal to a run compares exactly.
 *
 * @param testbed the machine and software the values were measured on
 * @param created UTC time it was written
 * @param gitCommit commit of the code that measured it
 * @param projectVersion project version of that code
 * @param sweepName the regression sweep's name
 * @param planHash hash of the sweep's expanded trials (a different hash: the sweep definition changed)
 * @param metrics every measured value
 */
public record Baseline(
    Testbed testbed,
    String created,
    String gitCommit,
    String projectVersion,
    String sweepName,
    String planHash,
    List<Measurement> metrics) {

  public static final String FORMAT = "scatterbrain-regression-baseline/1";

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper COMPACT = new ObjectMapper();

  /** Writes this baseline to {@code file} (creating its folder), replacing what was there. */
  public void write(Path file) {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.set("testbed", JSON.valueToTree(testbed.asMap()));
    root.put("created", created);
    root.put("git_commit", gitCommit);
    root.put("project_version", projectVersion);
    ObjectNode sweep = root.putObject("sweep");
    sweep.put("name", sweepName);
    sweep.put("plan_hash", planHash);
    // one line per (category, variant, cell) with all its metrics: compact, and a diff shows which trials changed
    Map<String, ObjectNode> groups = new LinkedHashMap<>();
    for (Measurement m : metrics) {
      if (m.value() == null || !Double.isFinite(m.value())) {
        throw new BaselineException("refusing to write baseline " + file + ": " + m.key() + " has no finite value ("
            + (m.value() == null ? m.note() : m.value()) + ")");
      }
      ObjectNode g = groups.computeIfAbsent(m.category().label() + " | " + m.variant() + " | " + m.cell(), k -> {
        ObjectNode o = JSON.createObjectNode();
        o.put("category", m.category().label());
        o.put("variant", m.variant());
        o.put("cell", m.cell());
        o.put("params", m.params());
        o.putObject("values");
        return o;
      });
      ((ObjectNode) g.get("values")).put(m.metric(), m.value());
    }
    StringBuilder text = new StringBuilder();
    try {
      String head = JSON.writeValueAsString(root).stripTrailing();
      text.append(head.substring(0, head.length() - 1).stripTrailing()).append(",\n  \"metrics\" : [\n");
      int i = 0;
      for (ObjectNode g : groups.values()) {
        text.append("    ").append(COMPACT.writeValueAsString(g)).append(++i < groups.size() ? ",\n" : "\n");
      }
      text.append("  ]\n}\n");
    } catch (JsonProcessingException e) {
      throw new BaselineException("cannot render baseline " + file + ": " + e, e);
    }
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BaselineException("cannot write baseline " + file + ": " + e, e);
    }
  }

  /** Reads {@code file}; every problem (unreadable, not JSON, a missing or mistyped field) names the file. */
  public static Baseline read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new BaselineException("baseline " + file + " does not exist");
    } catch (IOException e) {
      throw new BaselineException("cannot read baseline " + file + ": " + e, e);
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new BaselineException("baseline " + file + " is not valid JSON: " + e.getOriginalMessage()
          + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
          + "; restore it from git, or replace it with --update-baseline)", e);
    }
    Reader r = new Reader(file);
    if (root == null || !root.isObject()) {
      throw r.bad("", "a JSON object");
    }
    String format = r.text(root, "format");
    if (!FORMAT.equals(format)) {
      throw new BaselineException("baseline " + file + " has format '" + format + "', expected '" + FORMAT + "'");
    }
    JsonNode tb = r.object(root, "testbed");
    Testbed testbed =
        new Testbed(r.text(tb, "cpu_model", "testbed"), r.integer(tb, "cores"), r.text(tb, "os", "testbed"),
            r.text(tb, "java", "testbed"), r.text(tb, "kernel", "testbed"), r.text(tb, "spark", "testbed"),
            r.text(tb, "ojalgo", "testbed"));
    JsonNode sweep = r.object(root, "sweep");
    JsonNode list = root.get("metrics");
    if (list == null || !list.isArray()) {
      throw r.bad("metrics", "an array of metrics");
    }
    List<Measurement> metrics = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode g = list.get(i);
      String at = "metrics[" + i + "]";
      if (!g.isObject()) {
        throw r.bad(at, "an object");
      }
      Category category;
      try {
        category = Category.of(r.text(g, "category", at));
      } catch (IllegalArgumentException e) {
        throw new BaselineException("baseline " + file + ": " + at + ".category: " + e.getMessage());
      }
      String variant = r.text(g, "variant", at);
      String cell = r.text(g, "cell", at);
      String params = r.text(g, "params", at);
      JsonNode values = g.get("values");
      if (values == null || !values.isObject() || values.isEmpty()) {
        throw r.bad(at + ".values", "an object of metric names to numbers");
      }
      Iterator<Map.Entry<String, JsonNode>> it = values.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isNumber()) {
          throw r.bad(at + ".values." + e.getKey(), "a number");
        }
        Measurement meas = new Measurement(category, variant, cell, e.getKey(), e.getValue().doubleValue(), params, "");
        if (!keys.add(meas.key())) {
          throw new BaselineException("baseline " + file + ": " + at + " repeats " + meas.key());
        }
        metrics.add(meas);
      }
    }
    return new Baseline(testbed, r.text(root, "created"), r.text(root, "git_commit"), r.text(root, "project_version"),
        r.text(sweep, "name", "sweep"), r.text(sweep, "plan_hash", "sweep"), List.copyOf(metrics));
  }

  /** Field access that names the file and field in every error. */
  private record Reader(Path file) {
    BaselineException bad(String field, String expected) {
      return new BaselineException("baseline " + file + " is not a valid baseline: "
          + (field.isEmpty() ? "the file" : field) + " must be " + expected
          + " (restore it from git, or replace it with --update-baseline)");
    }

    String text(JsonNode node, String field) {
      return text(node, field, "");
    }

    String text(JsonNode node, String field, String at) {
      JsonNode v = node.get(field);
      if (v == null || !v.isTextual()) {
        throw bad(at.isEmpty() ? field : at + "." + field, "a string");
      }
      return v.asText();
    }

    int integer(JsonNode node, String field) {
      JsonNode v = node.get(field);
      if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
        throw bad("testbed." + field, "an integer");
      }
      return v.intValue();
    }

    JsonNode object(JsonNode node, String field) {
      JsonNode v = node.get(field);
      if (v == null || !v.isObject()) {
        throw bad(field, "an object");
      }
      return v;
    }
  }
}
