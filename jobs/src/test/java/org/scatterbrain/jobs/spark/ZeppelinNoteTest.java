package org.scatterbrain.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * notebooks/analysis.zpln, the Zeppelin note: it is a well-formed note (paragraphs with ids, config and settings;
 * enough %md and %spark.sql paragraphs), and every %spark.sql paragraph, with its dynamic forms filled in as Zeppelin
 * would, returns rows over a real small sweep and its summary on a local SparkSession.
 */
class ZeppelinNoteTest {
  /**
   * 2 lengths x 3 temperatures x 2 seeds, 3 budgeted methods at 2 budgets plus exact: 84 trials, 36 power-law fits
   * (the summary job fits each with its own Spark job, so one input kind keeps the test short).
   */
  static final String SWEEP =
      """
      sweep {
        name = zeppelin
        seed = 31
        inputs = [ { kind = clustered, clusters = 4, spread = 0.5 } ]
        axes { n = [64, 128], head-dim = [16], temperature = [0.5, 2, 8], seeds = 2, budget = [16, 32] }
        methods = [
          { method = exact }
          { method = performer }
          { method = local }
          { method = scatterbrain, sparse = local }
        ]
      }
      """;

  /** Zeppelin's simple dynamic form, ${[type:]name[=default]} (org.apache.zeppelin.display.Input.VAR_PTN). */
  private static final Pattern FORM = Pattern.compile("([_])?[$][{]([^=}]*([=][^}]*)?)[}]");

  @TempDir Path tmp;
  private SparkSession spark;
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();

  @AfterEach
  void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
  }

  /** The note, found from the module folder (Maven) or the repository root (an IDE). */
  static Path notePath() {
    Path cwd = Path.of("").toAbsolutePath();
    for (Path p : List.of(cwd.resolve("../notebooks/analysis.zpln"), cwd.resolve("notebooks/analysis.zpln"))) {
      if (Files.isRegularFile(p)) {
        return p.normalize();
      }
    }
    throw new AssertionError("notebooks/analysis.zpln not found from " + cwd);
  }

  private static JsonNode note() throws IOException {
    return new ObjectMapper().readTree(Files.readString(notePath(), StandardCharsets.UTF_8));
  }

  private static String title(JsonNode p, int index) {
    String t = p.path("title").asText("");
    return "paragraph " + index + (t.isEmpty() ? "" : " '" + t + "'");
  }

  /** The form names a paragraph's text uses. */
  private static Set<String> formNames(String text) {
    Set<String> names = new LinkedHashSet<>();
    Matcher m = FORM.matcher(text);
    while (m.find()) {
      names.add(name(m));
    }
    return names;
  }

  private static String name(Matcher m) {
    String inner = m.group(2);
    int eq = inner.indexOf('=');
    String name = (eq >= 0 ? inner.substring(0, eq) : inner).trim();
    int colon = name.indexOf(':');  // typed forms (checkbox:, password:) keep the name after the colon
    return colon >= 0 ? name.substring(colon + 1).trim() : name;
  }

  /** {@code sql} with every form replaced by its value in {@code values}; an unknown form name fails. */
  private static String fillForms(String sql, Map<String, String> values, String where) {
    Matcher m = FORM.matcher(sql);
    StringBuilder b = new StringBuilder();
    while (m.find()) {
      String name = name(m);
      String value = values.get(name);
      if (value == null) {
        fail(where + ": unknown dynamic form ${" + name + "...} (known: " + values.keySet() + ")");
      }
      m.appendReplacement(b, Matcher.quoteReplacement(value));
    }
    m.appendTail(b);
    return b.toString();
  }

  private static String body(String text) {
    int nl = text.indexOf('\n');
    return nl < 0 ? "" : text.substring(nl + 1);
  }

  @Test
  void noteIsAWellFormedZeppelinNote() throws IOException {
    JsonNode note = note();
    assertTrue(note.isObject(), "the note is a JSON object");
    assertTrue(note.path("paragraphs").isArray(), "paragraphs is an array");
    assertFalse(note.path("name").asText("").isBlank(), "the note has a name");
    assertFalse(note.path("id").asText("").isBlank(), "the note has an id");
    assertTrue(note.path("config").isObject(), "the note has a config object");
    assertTrue(note.path("info").isObject(), "the note has an info object");
    int md = 0;
    int sql = 0;
    Set<String> ids = new HashSet<>();
    int i = 0;
    for (JsonNode p : note.path("paragraphs")) {
      String where = title(p, i);
      String text = p.path("text").asText("");
      assertTrue(ids.add(p.path("id").asText("")) && !p.path("id").asText("").isBlank(), where + ": unique id");
      assertTrue(p.path("config").isObject(), where + ": config object");
      assertTrue(p.path("settings").path("params").isObject() && p.path("settings").path("forms").isObject(),
          where + ": settings.params and settings.forms objects");
      if (text.startsWith("%md")) {
        md++;
        assertTrue(formNames(text).isEmpty(), where + ": a %md paragraph with a ${...} form");
      } else if (text.startsWith("%spark.sql")) {
        sql++;
        Set<String> used = formNames(text);
        assertFalse(used.isEmpty(), where + ": no ${results=...} or ${summary=...} form");
        for (String name : used) {
          assertTrue(p.path("settings").path("forms").has(name), where + ": form " + name + " not in settings.forms");
        }
      }
      i++;
    }
    assertTrue(md >= 3, "at least 3 %md paragraphs, got " + md);
    assertTrue(sql >= 5, "at least 5 %spark.sql paragraphs, got " + sql);
  }

  @Test
  void everySqlParagraphReturnsRowsOverASweepAndItsSummary() throws IOException {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("ZeppelinNoteTest")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .getOrCreate();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    Path conf = tmp.resolve("zeppelin.conf");
    Files.writeString(conf, SWEEP);
    Path output = tmp.resolve("results");
    String[] sweepArgs = {conf.toString(), "--output", output.toString(), "--progress-seconds", "0"};
    assertEquals(0, SweepJob.run(sweepArgs, spark, out, out), this::log);
    Path sweep = output.resolve("zeppelin");
    assertEquals(0, SummaryJob.run(new String[] {sweep.toString()}, spark, out, out), this::log);
    Path summary = output.resolve("zeppelin-summary");
    assertTrue(Files.isDirectory(summary.resolve("winners")), this::log);

    Map<String, String> values = Map.of("results", sweep.toString(), "summary", summary.toString());
    List<String> ran = new ArrayList<>();
    int i = 0;
    for (JsonNode p : note().path("paragraphs")) {
      String text = p.path("text").asText("");
      String where = title(p, i++);
      if (!text.startsWith("%spark.sql")) {
        continue;
      }
      String sql = fillForms(body(text), values, where);
      List<Row> rows;
      try {
        rows = spark.sql(sql).collectAsList();
      } catch (RuntimeException e) {
        throw new AssertionError(where + " failed: " + e.getMessage() + "\n" + sql, e);
      }
      assertFalse(rows.isEmpty(), () -> where + " returned no rows:\n" + sql + "\n" + log());
      ran.add(where + ": " + rows.size() + " rows");
    }
    assertTrue(ran.size() >= 5, "ran " + ran);
  }

  private String log() {
    return log.toString(StandardCharsets.UTF_8);
  }
}
