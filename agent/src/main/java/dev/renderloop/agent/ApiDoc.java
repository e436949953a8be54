package dev.renderloop.agent;

import java.util.List;

/**
 * Documentation of one API name a program uses, looked up in the installed package.
 *
 * @param name        the name as the code uses it, resolved where possible ({@code Circle}, {@code Square.shift})
 * @param resolved    whether the installed package has it
 * @param signature   the call signature, empty when unresolved or not callable
 * @param doc         the docstring cut before its examples section, empty when unresolved
 * @param suggestions for an unresolved name, the closest real names (best first), else empty
 */
public record ApiDoc(String name, boolean resolved, String signature, String doc, List<String> suggestions) {
    public ApiDoc {
        signature = signature == null ? "" : signature;
        doc = doc == null ? "" : doc;
        suggestions = List.copyOf(suggestions == null ? List.of() : suggestions);
    }

    /** The text given to the model for this name (the paper's wording for unresolved names). */
    public String promptText() {
        if (!resolved) {
            String hint = suggestions.isEmpty() ? "" : " (did you mean: " + String.join(", ", suggestions) + "?)";
            return "no documentation available for " + name + hint;
        }
        return name + signature + "\n" + doc.strip();
    }
}
