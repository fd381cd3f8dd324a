package org.scatterbrain.jobs.sweep;

import static org.scatterbrain.jobs.sweep.HoconReader.flag;
import static org.scatterbrain.jobs.sweep.HoconReader.listOf;
import static org.scatterbrain.jobs.sweep.HoconReader.longValue;
import static org.scatterbrain.jobs.sweep.HoconReader.number;
import static org.scatterbrain.jobs.sweep.HoconReader.string;
import static org.scatterbrain.jobs.sweep.HoconReader.unknownKeys;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.io.NpyArray;
import org.scatterbrain.core.io.NpyReader;

/**
 * Parses {@code sweep.inputs}: synthetic sources, and real heads read from {@code .npy} files through core's reader,
 * once, into a {@link HeadStore}. Every error names the key (and the file), the value and what is allowed.
 */
final class InputsParser {
  private InputsParser() {}

  /** The input sources and the arrays of their real heads. */
  record Inputs(List<InputSource> sources, HeadStore heads) {}

  static Inputs parse(Config c, Path baseDir) {
    String path = HoconReader.path(Keys.ROOT, Keys.INPUTS);
    List<Config> list = HoconReader.objects(c, Keys.INPUTS, path, Keys.KIND, "inputs");
    List<InputSource> out = new ArrayList<>();
    Map<String, HeadStore.Arrays> arrays = new LinkedHashMap<>();
    Map<String, String> where = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      String p = path + "[" + i + "]";
      Config ic = list.get(i);
      String kind = string(ic, Keys.KIND, p + "." + Keys.KIND);
      List<InputSource> here = new ArrayList<>();
      switch (kind) {
        case "gaussian" -> {
          unknownKeys(ic.root(), Set.of(Keys.KIND, Keys.NORM, Keys.SELF_ATTENTION), p);
          here.add(new InputSource.Gaussian(norm(ic, p), flag(ic, Keys.SELF_ATTENTION, p)));
        }
        case "clustered" -> {
          unknownKeys(
              ic.root(),
              Set.of(Keys.KIND, Keys.NORM, Keys.CLUSTERS, Keys.SPREAD, Keys.SELF_ATTENTION, Keys.CONTIGUOUS),
              p);
          long clusters = longValue(ic, Keys.CLUSTERS, p + "." + Keys.CLUSTERS);
          if (clusters < 1 || clusters > 1_000_000) {
            throw new SweepConfigException(p + "." + Keys.CLUSTERS, clusters, "an integer in 1..1000000");
          }
          double spread = ic.hasPath(Keys.SPREAD) ? number(ic, Keys.SPREAD, p + "." + Keys.SPREAD) : 0.5;
          if (!(spread >= 0) || !Double.isFinite(spread)) {
            throw new SweepConfigException(p + "." + Keys.SPREAD, spread, "a finite number >= 0");
          }
          here.add(
              new InputSource.Clustered(
                  (int) clusters, spread, norm(ic, p), flag(ic, Keys.SELF_ATTENTION, p), flag(ic, Keys.CONTIGUOUS, p)));
        }
        case "npy" -> {
          unknownKeys(ic.root(), Set.of(Keys.KIND, Keys.DIR, Keys.HEADS), p);
          here.addAll(npyHeads(ic, p, baseDir, arrays));
        }
        default -> throw new SweepConfigException(p + "." + Keys.KIND, kind, "gaussian, clustered, npy");
      }
      for (InputSource src : here) {
        String before = where.putIfAbsent(src.id(), p);
        if (before != null) {
          throw new SweepConfigException(p, src.id(), "each input once (listed twice: it is also " + before + ")");
        }
        out.add(src);
      }
    }
    return new Inputs(List.copyOf(out), arrays.isEmpty() ? HeadStore.EMPTY : new HeadStore(arrays));
  }

  private static InputSource.Norm norm(Config ic, String p) {
    if (!ic.hasPath(Keys.NORM)) {
      return InputSource.Norm.UNIT_LOGIT;
    }
    ConfigValue v = ic.getValue(Keys.NORM);
    if (v.valueType() == ConfigValueType.STRING && "unit-logit".equals(v.unwrapped())) {
      return InputSource.Norm.UNIT_LOGIT;
    }
    if (v.valueType() == ConfigValueType.NUMBER) {
      double x = ((Number) v.unwrapped()).doubleValue();
      if (x > 0 && Double.isFinite(x)) {
        return new InputSource.Norm(x);
      }
    }
    throw new SweepConfigException(p + "." + Keys.NORM, v.unwrapped(), "'unit-logit' or a finite number > 0");
  }

  private static List<InputSource> npyHeads(
      Config ic, String p, Path baseDir, Map<String, HeadStore.Arrays> arrays) {
    String dirText = string(ic, Keys.DIR, p + "." + Keys.DIR);
    Path dir = baseDir.resolve(dirText).toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) {
      throw new SweepConfigException(p + "." + Keys.DIR, dirText, "an existing directory (resolved to " + dir + ")");
    }
    List<String> heads = new ArrayList<>();
    if (ic.hasPath(Keys.HEADS)) {
      for (ConfigValue v : listOf(ic.getValue(Keys.HEADS))) {
        if (v.valueType() != ConfigValueType.STRING) {
          throw new SweepConfigException(p + "." + Keys.HEADS, v.unwrapped(), "file prefixes (strings) or \"*\"");
        }
        heads.add((String) v.unwrapped());
      }
      HoconReader.distinct(heads, p + "." + Keys.HEADS);
    } else {
      heads.add("*");
    }
    if (heads.contains("*")) {
      heads.clear();
      try (Stream<Path> files = Files.list(dir)) {
        files
            .map(f -> f.getFileName().toString())
            .filter(f -> f.endsWith("_q.npy"))
            .map(f -> f.substring(0, f.length() - "_q.npy".length()))
            .sorted()
            .forEach(heads::add);
      } catch (IOException e) {
        throw new SweepConfigException(p + "." + Keys.DIR + ": cannot list " + dir + ": " + e.getMessage());
      }
      if (heads.isEmpty()) {
        throw new SweepConfigException(p + "." + Keys.DIR, dirText, "a directory holding <head>_q.npy, _k.npy, _v.npy");
      }
    }
    Map<String, HeadInfo> info = headsTsv(dir);
    List<InputSource> out = new ArrayList<>();
    for (String head : heads) {
      NpyArray q = read(dir, head, "q", p);
      NpyArray k = read(dir, head, "k", p);
      NpyArray v = read(dir, head, "v", p);
      if (q.cols() != k.cols() || q.rows() != k.rows() || v.rows() != k.rows() || q.rows() == 0 || q.cols() == 0
          || v.cols() == 0) {
        throw new SweepConfigException(
            p + "." + Keys.HEADS + ": head " + head + " in " + dir + " has Q " + q.rows() + "x" + q.cols() + ", K "
                + k.rows() + "x" + k.cols() + ", V " + v.rows() + "x" + v.cols()
                + "; allowed: non-empty Q and K of equal shape, V with as many rows");
      }
      double[] qd = q.data();
      double[] kd = k.data();
      double[] vd = v.data();
      HeadInfo hi = info.getOrDefault(head, HeadInfo.DEFAULT);
      InputSource.Npy src = new InputSource.Npy(head, contentHash(qd, kd, vd), q.rows(), q.cols(), v.cols(),
          AttentionInputs.maxNorm(qd, q.rows(), q.cols()), AttentionInputs.maxNorm(kd, k.rows(), k.cols()),
          hi.scale(), hi.causal());
      arrays.put(src.id(), new HeadStore.Arrays(qd, kd, vd));
      out.add(src);
    }
    return out;
  }

  /** What a folder's heads.tsv says about one head: its model's softmax scale (NaN: 1 / sqrt(d)) and mask. */
  record HeadInfo(double scale, boolean causal) {
    static final HeadInfo DEFAULT = new HeadInfo(Double.NaN, false);
  }

  /**
   * The optional {@code heads.tsv} of an npy folder (tab-separated, a header line naming its columns): per {@code
   * file_prefix}, an optional {@code scale} (the model's softmax scale, a finite number > 0) and {@code causal}
   * ({@code true} or {@code false}); a blank cell or a missing column means the default (1 / sqrt(d), not causal).
   * Other columns are descriptive and ignored. Errors name the file, line and column.
   */
  static Map<String, HeadInfo> headsTsv(Path dir) {
    Path file = dir.resolve("heads.tsv");
    Map<String, HeadInfo> out = new java.util.HashMap<>();
    if (!Files.isRegularFile(file)) {
      return out;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SweepConfigException("cannot read " + file + ": " + e.getMessage());
    }
    if (lines.isEmpty()) {
      return out;
    }
    List<String> header = List.of(lines.get(0).split("\t", -1));
    int prefix = header.indexOf("file_prefix");
    int scale = header.indexOf("scale");
    int causal = header.indexOf("causal");
    if (prefix < 0) {
      throw new SweepConfigException(file + " line 1: no file_prefix column; allowed: a tab-separated header naming "
          + "file_prefix and optionally scale and causal");
    }
    Map<String, Integer> seen = new java.util.HashMap<>();
    for (int ln = 1; ln < lines.size(); ln++) {
      if (lines.get(ln).isBlank()) {
        continue;
      }
      String[] cells = lines.get(ln).split("\t", -1);
      String where = file + " line " + (ln + 1);
      if (cells.length != header.size()) {
        throw new SweepConfigException(where + " has " + cells.length + " cells; allowed: " + header.size()
            + ", one per header column");
      }
      double s = Double.NaN;
      if (scale >= 0 && !cells[scale].isBlank()) {
        s = parseScale(cells[scale].trim());
        if (!(s > 0) || !Double.isFinite(s)) {
          throw new SweepConfigException(where + " column scale", cells[scale], "a finite number > 0, or blank "
              + "(1 / sqrt(d))");
        }
      }
      boolean c = false;
      if (causal >= 0 && !cells[causal].isBlank()) {
        String t = cells[causal].trim().toLowerCase(java.util.Locale.ROOT);
        if (!t.equals("true") && !t.equals("false")) {
          throw new SweepConfigException(where + " column causal", cells[causal], "true, false, or blank (false)");
        }
        c = t.equals("true");
      }
      String head = cells[prefix].trim();
      // a typo would leave its head at the default scale and mask without a word: every row must name a head here
      if (!Files.isRegularFile(dir.resolve(head + "_q.npy"))) {
        throw new SweepConfigException(where + " column file_prefix", head, "the prefix of a head in " + dir
            + " (no " + head + "_q.npy there)");
      }
      Integer first = seen.putIfAbsent(head, ln + 1);
      if (first != null) {
        throw new SweepConfigException(where + " column file_prefix", head, "one row per head (it is also on line "
            + first + ")");
      }
      out.put(head, new HeadInfo(s, c));
    }
    return out;
  }

  /** A scale cell's number, NaN when it is not one (the caller rejects it). */
  private static double parseScale(String cell) {
    try {
      return Double.parseDouble(cell);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** One array of a head; unreadable, malformed and non-finite files are errors naming the file. */
  private static NpyArray read(Path dir, String head, String which, String p) {
    Path file = dir.resolve(head + "_" + which + ".npy");
    NpyArray a;
    try {
      a = NpyReader.read(file);
    } catch (IOException | RuntimeException e) {
      throw new SweepConfigException(p + "." + Keys.HEADS, head, "heads with readable _q/_k/_v .npy files in " + dir
          + " (" + file.getFileName() + ": " + e.getMessage() + ")");
    }
    for (int i = 0; i < a.rows(); i++) {
      for (int j = 0; j < a.cols(); j++) {
        double x = a.get(i, j);
        if (!Double.isFinite(x)) {
          throw new SweepConfigException(p + "." + Keys.HEADS + ": " + file + " holds " + x + " at (" + i + ", " + j
              + "); allowed: finite values only");
        }
      }
    }
    return a;
  }

  /** 8 hex digits of SHA-256 over the arrays' bits: the content identity of a real head. */
  private static String contentHash(double[]... arrays) {
    StringBuilder b = new StringBuilder();
    for (double[] a : arrays) {
      long h = 1125899906842597L;
      for (double x : a) {
        h = 31 * h + Double.doubleToLongBits(x);
      }
      b.append(h).append(',').append(a.length).append(';');
    }
    return Canonical.id(b.toString()).substring(0, 8);
  }
}
