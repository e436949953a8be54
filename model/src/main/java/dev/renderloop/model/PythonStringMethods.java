package dev.renderloop.model;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods that chat templates call ({@code content.startswith('<think>')},
 * {@code content.split('</think>')[-1].lstrip('\n')}), for Jinjava, which otherwise only knows Java's methods. Placed
 * before Jinjava's own resolver; anything it does not know falls through to that one.
 */
final class PythonStringMethods extends ELResolver {

  @Override
  public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
    if (base == null || !(base instanceof CharSequence) || method == null) {
      return null;
    }
    String s = base.toString();
    Object[] p = params == null ? new Object[0] : params;
    Object out;
    switch (method.toString()) {
      case "startswith" -> out = anyAffix(s, p, true);
      case "endswith" -> out = anyAffix(s, p, false);
      case "strip" -> out = strip(s, chars(p), true, true);
      case "lstrip" -> out = strip(s, chars(p), true, false);
      case "rstrip" -> out = strip(s, chars(p), false, true);
      case "split" -> out = split(s, p.length > 0 && p[0] != null ? p[0].toString() : null,
          p.length > 1 ? ((Number) p[1]).intValue() : -1);
      case "upper" -> out = s.toUpperCase(java.util.Locale.ROOT);
      case "lower" -> out = s.toLowerCase(java.util.Locale.ROOT);
      case "replace" -> out = replace(s, p);
      case "find" -> out = (long) s.indexOf(p[0].toString());
      case "count" -> out = count(s, p[0].toString());
      case "join" -> out = join(s, p[0]);
      case "splitlines" -> out = splitLines(s);
      default -> {
        return null;
      }
    }
    context.setPropertyResolved(true);
    return out;
  }

  private static boolean anyAffix(String s, Object[] p, boolean prefix) {
    if (p.length == 0) {
      throw new IllegalArgumentException((prefix ? "startswith" : "endswith") + " needs an argument");
    }
    List<String> affixes = new ArrayList<>();
    if (p[0] instanceof Collection<?> c) {
      c.forEach(x -> affixes.add(String.valueOf(x)));
    } else {
      affixes.add(String.valueOf(p[0]));
    }
    for (String a : affixes) {
      if (prefix ? s.startsWith(a) : s.endsWith(a)) {
        return true;
      }
    }
    return false;
  }

  private static String chars(Object[] p) {
    return p.length > 0 && p[0] != null ? p[0].toString() : null;
  }

  /** Python's whitespace ({@code str.isspace}): Java's whitespace plus the no-break spaces and U+0085. */
  static boolean isSpace(int c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
  }

  /** {@code str.strip(chars)}, {@code lstrip}, {@code rstrip}; {@code chars == null}: whitespace. */
  static String strip(String s, String chars, boolean left, boolean right) {
    int from = 0;
    int to = s.length();
    while (left && from < to && strippable(s.charAt(from), chars)) {
      from++;
    }
    while (right && to > from && strippable(s.charAt(to - 1), chars)) {
      to--;
    }
    return s.substring(from, to);
  }

  private static boolean strippable(char c, String chars) {
    return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
  }

  /** {@code str.split(sep, maxsplit)}: without a separator, runs of whitespace split and ends are dropped. */
  static List<String> split(String s, String sep, int maxSplit) {
    List<String> out = new ArrayList<>();
    if (sep == null) {
      int i = 0;
      int n = s.length();
      while (true) {
        while (i < n && isSpace(s.charAt(i))) {
          i++;
        }
        if (i >= n) {
          return out;
        }
        if (maxSplit >= 0 && out.size() == maxSplit) {
          out.add(s.substring(i));  // Python keeps the remainder's trailing whitespace
          return out;
        }
        int j = i;
        while (j < n && !isSpace(s.charAt(j))) {
          j++;
        }
        out.add(s.substring(i, j));
        i = j;
      }
    }
    if (sep.isEmpty()) {
      throw new IllegalArgumentException("empty separator");
    }
    int from = 0;
    while (maxSplit < 0 || out.size() < maxSplit) {
      int at = s.indexOf(sep, from);
      if (at < 0) {
        break;
      }
      out.add(s.substring(from, at));
      from = at + sep.length();
    }
    out.add(s.substring(from));
    return out;
  }

  /** {@code str.splitlines()}: no empty last line after a final line break. */
  static List<String> splitLines(String s) {
    List<String> out = new ArrayList<>();
    int from = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n' || c == '\r') {
        out.add(s.substring(from, i));
        if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
          i++;
        }
        from = i + 1;
      }
    }
    if (from < s.length()) {
      out.add(s.substring(from));
    }
    return out;
  }

  private static String replace(String s, Object[] p) {
    String old = p[0].toString();
    String fresh = p[1].toString();
    int limit = p.length > 2 ? ((Number) p[2]).intValue() : -1;
    if (limit < 0) {
      return s.replace(old, fresh);
    }
    StringBuilder out = new StringBuilder();
    int from = 0;
    for (int done = 0; done < limit; done++) {
      int at = s.indexOf(old, from);
      if (at < 0) {
        break;
      }
      out.append(s, from, at).append(fresh);
      from = at + old.length();
    }
    return out.append(s.substring(from)).toString();
  }

  private static long count(String s, String sub) {
    if (sub.isEmpty()) {
      return s.length() + 1;
    }
    long n = 0;
    for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
      n++;
    }
    return n;
  }

  private static String join(String sep, Object items) {
    List<String> parts = new ArrayList<>();
    if (items instanceof Iterable<?> it) {
      it.forEach(x -> parts.add(String.valueOf(x)));
    } else {
      throw new IllegalArgumentException("join needs a list");
    }
    return String.join(sep, parts);
  }

  // Property access is left to Jinjava's resolver.

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {
    // not resolved here
  }

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return false;
  }

  @Override
  public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
    return null;
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return null;
  }
}
