package dev.renderloop.model;

import java.lang.reflect.Array;
import java.util.Iterator;
import java.util.Map;

/**
 * Python's {@code json.dumps(value, ensure_ascii=False, indent=indent)}, which transformers installs as the chat
 * templates' {@code tojson} filter: {@code ", "} and {@code ": "} between items without an indent, {@code ","} and
 * newlines with one; non-ASCII characters written as they are, control characters escaped.
 */
final class PythonJson {
  private PythonJson() {}

  static String dumps(Object value, Integer indent) {
    StringBuilder out = new StringBuilder();
    write(out, value, indent, 0);
    return out.toString();
  }

  private static void write(StringBuilder out, Object v, Integer indent, int depth) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof Boolean b) {
      out.append(b ? "true" : "false");
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
        || v instanceof java.math.BigInteger) {
      out.append(v);
    } else if (v instanceof Number n) {
      double d = n.doubleValue();
      out.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity")
          : Double.toString(d));
    } else if (v instanceof Map<?, ?> map) {
      container(out, map.entrySet().iterator(), '{', '}', indent, depth, true);
    } else if (v instanceof Iterable<?> it) {
      container(out, it.iterator(), '[', ']', indent, depth, false);
    } else if (v.getClass().isArray()) {
      java.util.List<Object> list = new java.util.ArrayList<>();
      for (int i = 0; i < Array.getLength(v); i++) {
        list.add(Array.get(v, i));
      }
      container(out, list.iterator(), '[', ']', indent, depth, false);
    } else {
      string(out, v.toString());
    }
  }

  private static void container(StringBuilder out, Iterator<?> items, char open, char close, Integer indent,
      int depth, boolean entries) {
    out.append(open);
    if (!items.hasNext()) {
      out.append(close);
      return;
    }
    boolean first = true;
    while (items.hasNext()) {
      Object item = items.next();
      if (!first) {
        out.append(indent == null ? ", " : ",");
      }
      first = false;
      if (indent != null) {
        out.append('\n').append(" ".repeat(indent * (depth + 1)));
      }
      if (entries) {
        Map.Entry<?, ?> e = (Map.Entry<?, ?>) item;
        string(out, String.valueOf(e.getKey()));
        out.append(": ");
        write(out, e.getValue(), indent, depth + 1);
      } else {
        write(out, item, indent, depth + 1);
      }
    }
    if (indent != null) {
      out.append('\n').append(" ".repeat(indent * depth));
    }
    out.append(close);
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
