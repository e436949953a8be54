package dev.renderloop.model;

import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.ext.AstNamedParameter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.el.ext.NamedParameterOperator;
import com.hubspot.jinjava.objects.collections.PyList;
import java.util.ArrayList;
import java.util.List;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.Scanner.ScanException;
import jinjava.de.odysseus.el.tree.impl.Scanner.Symbol;
import jinjava.de.odysseus.el.tree.impl.ast.AstBracket;
import jinjava.de.odysseus.el.tree.impl.ast.AstDot;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;
import jinjava.de.odysseus.el.tree.impl.ast.AstRightValue;
import jinjava.de.odysseus.el.tree.impl.ast.AstUnary;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

/**
 * Jinjava's expression syntax with three of jinja2's rules that chat templates rely on and Jinjava parses otherwise
 * (Jinjava 2.8.4, with natural operator precedence on, which {@link ChatTemplate} sets):
 *
 * <ul>
 *   <li>a keyword argument's value is a whole expression: {@code namespace(i=messages|length - 1)} is
 *       {@code i=(messages|length - 1)}, where Jinjava reads {@code (i=messages|length) - 1} and fails (Qwen3's
 *       template);
 *   <li>{@code not} binds looser than comparisons and tests: {@code not x is defined} is
 *       {@code not (x is defined)}, where Jinjava tests {@code (not x) is defined}, always true (DeepSeek V3's
 *       template);
 *   <li>slices take a step, with Python's semantics: {@code messages[::-1]} (Qwen3's), {@code s[1:-1]},
 *       {@code xs[::2]}.
 * </ul>
 */
final class ChatTemplateSyntax extends ExtendedSyntaxBuilder {
  private static final long serialVersionUID = 1L;

  ChatTemplateSyntax(Feature... features) {
    super(features);
  }

  @Override
  protected Parser createParser(String expression) {
    return new ChatTemplateParser(this, expression);
  }

  /** The parser with the rules above. */
  static final class ChatTemplateParser extends ExtendedParser {
    ChatTemplateParser(ExtendedSyntaxBuilder context, String input) {
      super(context, input);
    }

    /** jinja2's {@code not_expr}: between {@code and} and the comparisons. */
    @Override
    protected AstNode eq(boolean required) throws ScanException, ParseException {
      if (getToken().getSymbol() == Symbol.NOT) {
        consumeToken();
        return createAstUnary(eq(true), AstUnary.NOT);
      }
      return super.eq(required);
    }

    /** Call arguments where {@code name=} is followed by a whole expression. */
    @Override
    protected AstParameters params(Symbol left, Symbol right) throws ScanException, ParseException {
      consumeToken(left);
      List<AstNode> l = new ArrayList<>();
      AstNode v = argument(false);
      if (v != null) {
        l.add(v);
        while (getToken().getSymbol() == Symbol.COMMA) {
          consumeToken();
          if (getToken().getSymbol() == right) {
            break;  // a trailing comma, as Python allows
          }
          l.add(argument(true));
        }
      }
      consumeToken(right);
      return createAstParameters(l);
    }

    private AstNode argument(boolean required) throws ScanException, ParseException {
      if (getToken().getSymbol() == Symbol.IDENTIFIER && lookahead(0) instanceof Scanner.ExtensionToken t
          && t == NamedParameterOperator.TOKEN) {
        String name = consumeToken().getImage();
        consumeToken();
        return new AstNamedParameter(identifier(name), expr(true));
      }
      return expr(required);
    }

    /**
     * {@link ExtendedParser}'s {@code value()} under natural precedence (filters and tests are parsed a level up),
     * with Python slices {@code [start:stop:step]}.
     */
    @Override
    protected AstNode value() throws ScanException, ParseException {
      boolean lvalue = true;
      AstNode v = nonliteral();
      if (v == null) {
        v = literal();
        if (v == null) {
          return null;
        }
        lvalue = false;
      }
      while (true) {
        switch (getToken().getSymbol()) {
          case DOT -> {
            consumeToken();
            String name = consumeToken(Symbol.IDENTIFIER).getImage();
            AstDot dot = createAstDot(v, name, lvalue);
            v = getToken().getSymbol() == Symbol.LPAREN && context.isEnabled(Feature.METHOD_INVOCATIONS)
                ? createAstMethod(dot, params()) : dot;
          }
          case LBRACK -> {
            consumeToken();
            AstNode index = expr(false);
            if (getToken().getSymbol() == Symbol.COLON) {
              consumeToken();
              AstNode stop = getToken().getSymbol() == Symbol.COLON || getToken().getSymbol() == Symbol.RBRACK
                  ? null : expr(true);
              AstNode step = null;
              if (getToken().getSymbol() == Symbol.COLON) {
                consumeToken();
                step = getToken().getSymbol() == Symbol.RBRACK ? null : expr(true);
              }
              consumeToken(Symbol.RBRACK);
              v = new AstSlice(v, index, stop, step);
            } else {
              if (index == null) {
                fail("an index");
              }
              consumeToken(Symbol.RBRACK);
              AstBracket bracket = createAstBracket(v, index, lvalue, !context.isEnabled(Feature.NULL_PROPERTIES));
              v = getToken().getSymbol() == Symbol.LPAREN && context.isEnabled(Feature.METHOD_INVOCATIONS)
                  ? createAstMethod(bracket, params()) : bracket;
            }
          }
          default -> {
            return v;
          }
        }
      }
    }
  }

  /** Python's {@code seq[start:stop:step]} on a list or a string (strings by code point, as Python counts). */
  static final class AstSlice extends AstRightValue {
    private final AstNode base;
    private final AstNode start;
    private final AstNode stop;
    private final AstNode step;

    AstSlice(AstNode base, AstNode start, AstNode stop, AstNode step) {
      this.base = base;
      this.start = start;
      this.stop = stop;
      this.step = step;
    }

    @Override
    public Object eval(Bindings bindings, ELContext context) {
      Object seq = base.eval(bindings, context);
      if (seq == null) {
        return null;
      }
      Long from = bound(start, bindings, context);
      Long to = bound(stop, bindings, context);
      Long by = bound(step, bindings, context);
      if (seq instanceof CharSequence cs) {
        String s = cs.toString();
        int[] cps = s.codePoints().toArray();
        StringBuilder out = new StringBuilder();
        for (int i : indices(cps.length, from, to, by)) {
          out.appendCodePoint(cps[i]);
        }
        return out.toString();
      }
      List<Object> items = new ArrayList<>();
      if (seq instanceof Iterable<?> it) {
        it.forEach(items::add);
      } else if (seq.getClass().isArray()) {
        for (int i = 0; i < java.lang.reflect.Array.getLength(seq); i++) {
          items.add(java.lang.reflect.Array.get(seq, i));
        }
      } else {
        throw new ELException("cannot slice a " + seq.getClass().getSimpleName());
      }
      List<Object> out = new ArrayList<>();
      for (int i : indices(items.size(), from, to, by)) {
        out.add(items.get(i));
      }
      return new PyList(out);
    }

    private static Long bound(AstNode node, Bindings bindings, ELContext context) {
      if (node == null) {
        return null;
      }
      Object v = node.eval(bindings, context);
      if (v == null) {
        return null;
      }
      if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
        return n.longValue();
      }
      throw new ELException("slice indices must be integers or None, not " + v);
    }

    /** CPython's {@code PySlice_AdjustIndices}. */
    static List<Integer> indices(int length, Long start, Long stop, Long step) {
      long by = step == null ? 1 : step;
      if (by == 0) {
        throw new ELException("slice step cannot be zero");
      }
      long lo;
      long hi;
      if (by > 0) {
        lo = start == null ? 0 : clamp(start, length, 0, length);
        hi = stop == null ? length : clamp(stop, length, 0, length);
      } else {
        lo = start == null ? length - 1 : clamp(start, length, -1, length - 1);
        hi = stop == null ? -1 : clamp(stop, length, -1, length - 1);
      }
      List<Integer> out = new ArrayList<>();
      for (long i = lo; by > 0 ? i < hi : i > hi; i += by) {
        out.add((int) i);
      }
      return out;
    }

    private static long clamp(long index, int length, long min, long max) {
      long i = index < 0 ? index + length : index;
      return Math.max(min, Math.min(max, i));
    }

    @Override
    public void appendStructure(StringBuilder b, Bindings bindings) {
      base.appendStructure(b, bindings);
      b.append('[');
      if (start != null) {
        start.appendStructure(b, bindings);
      }
      b.append(':');
      if (stop != null) {
        stop.appendStructure(b, bindings);
      }
      if (step != null) {
        b.append(':');
        step.appendStructure(b, bindings);
      }
      b.append(']');
    }

    @Override
    public int getCardinality() {
      return 4;
    }

    @Override
    public AstNode getChild(int i) {
      return switch (i) {
        case 0 -> base;
        case 1 -> start;
        case 2 -> stop;
        case 3 -> step;
        default -> null;
      };
    }

    @Override
    public String toString() {
      return "[:]";
    }
  }
}
