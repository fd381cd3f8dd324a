package org.scatterbrain.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The methods table of {@code conf/sweeps/README.md} documents every registered method and each of its parameters. */
class MethodDocsTest {
  @Test
  void everyMethodAndParameterIsDocumented() throws IOException {
    List<String> rows = Files.readAllLines(Path.of("../conf/sweeps/README.md")).stream()
        .filter(l -> l.startsWith("| `")).toList();
    for (MethodCodec c : MethodRegistry.BUILT_IN.codecs()) {
      String row = rows.stream().filter(l -> l.startsWith("| `" + c.method() + "` |")).findFirst().orElse(null);
      assertTrue(row != null, "conf/sweeps/README.md has no row for method " + c.method());
      for (Param p : c.params()) {
        assertTrue(row.contains("`" + p.key() + "`"), "the row of " + c.method() + " does not mention " + p.key());
      }
    }
  }
}
