package org.scatterbrain.jobs.sweep;

import static org.scatterbrain.jobs.sweep.HoconReader.listOf;
import static org.scatterbrain.jobs.sweep.HoconReader.string;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import java.util.TreeSet;

/**
 * Parses {@code sweep.methods} against a {@link MethodRegistry}: each entry names a method and lists values of its
 * parameters, each checked by the parameter's type. Errors name the key, the value and what is allowed.
 */
final class MethodsParser {
  private MethodsParser() {}

  static List<MethodSpec> parse(Config c, boolean budgeted, MethodRegistry registry) {
    String path = HoconReader.path(Keys.ROOT, Keys.METHODS);
    List<Config> list = HoconReader.objects(c, Keys.METHODS, path, Keys.METHOD, "methods");
    List<MethodSpec> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String p = path + "[" + i + "]";
      Config mc = list.get(i);
      String method = string(mc, Keys.METHOD, p + "." + Keys.METHOD);
      MethodCodec codec = registry.codec(method);
      if (codec == null) {
        throw new SweepConfigException(p + "." + Keys.METHOD, method, registry.names().toString());
      }
      Map<String, Param> params = new LinkedHashMap<>();
      for (Param param : codec.params()) {
        params.put(param.key(), param);
      }
      Map<Param, List<Object>> lists = new LinkedHashMap<>();
      for (String key : new TreeSet<>(mc.root().keySet())) {
        if (key.equals(Keys.METHOD)) {
          continue;
        }
        Param param = params.get(key);
        if (param == null) {
          throw new SweepConfigException(p + "." + key, mc.getValue(key).unwrapped(),
              "parameters of " + method + ": " + new TreeSet<>(params.keySet()));
        }
        if (budgeted && param.size() && codec.budgeted()) {
          throw new SweepConfigException(p + "." + key, mc.getValue(key).unwrapped(),
              "no size parameter when the sweep has a budget axis (the budget sets it)");
        }
        List<Object> values = new ArrayList<>();
        for (ConfigValue e : listOf(mc.getValue(key))) {
          values.add(param.parse(e.unwrapped(), p + "." + key));
        }
        if (values.isEmpty()) {
          throw new SweepConfigException(p + "." + key, "[]", "a non-empty list");
        }
        lists.put(param, List.copyOf(HoconReader.distinct(values, p + "." + key)));
      }
      codec.checkEntry(lists, p);
      out.add(new MethodSpec(i, codec, lists));
    }
    return out;
  }

}
