package org.scatterbrain.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The scheduling examples users copy (the README's crontab line, docs/regression.md, the nightly workflow) call the
 * regression command with options it accepts, and the workflow is scheduled and keeps the report.
 */
class SchedulingExamplesTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern COMMAND = Pattern.compile("bin/regression\\b([^\\n|&;>#]*)");

  private static final Pattern CODE = Pattern.compile("```[a-z]*\\n(.*?)```|`([^`\\n]+)`", Pattern.DOTALL);

  /** The code of a Markdown text (fenced blocks and inline code), where commands are; other files whole. */
  private static String code(String name, String text) {
    if (!name.endsWith(".md")) {
      return text;
    }
    StringBuilder b = new StringBuilder();
    Matcher m = CODE.matcher(text);
    while (m.find()) {
      b.append(m.group(1) != null ? m.group(1) : m.group(2)).append('\n');
    }
    return b.toString();
  }

  /** Every bin/regression call in {@code text}, as argument lists (shell substitutions become a plain word). */
  private static List<String[]> commands(String text) {
    List<String[]> out = new ArrayList<>();
    // a GitHub expression adds an option or nothing: check the command with it left out
    Matcher m = COMMAND.matcher(text.replaceAll("\\$\\{\\{.*?}}", ""));
    while (m.find()) {
      String args = m.group(1).replaceAll("\\$\\([^)]*\\)", "x").replace("`", "").trim();
      out.add(args.isEmpty() ? new String[0] : args.split("\\s+"));
    }
    return out;
  }

  private static void parses(String[] args, String where) {
    assertDoesNotThrow(() -> new CommandLine(new RegressionJob()).parseArgs(args),
        () -> where + ": bin/regression " + String.join(" ", args));
  }

  @Test
  void everyDocumentedRegressionCommandParses() throws IOException {
    int count = 0;
    for (String doc : List.of("README.md", "docs/regression.md", ".github/workflows/nightly-regression.yml")) {
      for (String[] args : commands(code(doc, Files.readString(ROOT.resolve(doc))))) {
        parses(args, doc);
        count++;
      }
    }
    assertTrue(count >= 8, "documented commands found: " + count);
  }

  @Test
  void theReadmeHasACrontabLineThatRunsTheRegressionCommand() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    String line = readme.lines().filter(l -> l.matches("^[0-9*/,-]+( [0-9*/,-]+){4} .*bin/regression.*"))
        .findFirst().orElseThrow(() -> new AssertionError("no crontab line running bin/regression in README.md"));
    // cron treats an unescaped % as a newline
    assertTrue(!line.replace("\\%", "").contains("%"), line);
  }

  @Test
  void theWorkflowRunsNightlyAndKeepsTheReport() throws IOException {
    String wf = Files.readString(ROOT.resolve(".github/workflows/nightly-regression.yml"));
    Matcher cron = Pattern.compile("schedule:\\s*\\n\\s*- cron: \"([^\"]+)\"").matcher(wf);
    assertTrue(cron.find(), "a schedule trigger");
    assertEquals(5, cron.group(1).split(" ").length, cron.group(1));
    assertTrue(wf.contains("bin/jmh-regression results/jmh/regression.json"), "runs JMH");
    assertTrue(wf.contains("--jmh results/jmh/regression.json"), "compares the JMH results it wrote");
    assertTrue(wf.contains("inputs.update-baseline && '--update-baseline'"), "can write a baseline by hand");
    assertTrue(wf.contains("uses: actions/upload-artifact@") && wf.contains("results/regression-report/"),
        "keeps the report as an artifact");
    assertTrue(wf.split("if: always\\(\\)").length >= 3, "keeps the report when the run fails");
    for (String script : List.of("bin/regression", "bin/jmh-regression")) {
      assertTrue(Files.isExecutable(ROOT.resolve(script)), script);
    }
    assertEquals(2, Arrays.stream(wf.split("\\n")).filter(l -> l.trim().startsWith("run: bin/")).count());
  }
}
