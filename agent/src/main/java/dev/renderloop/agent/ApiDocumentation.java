package dev.renderloop.agent;

import java.util.List;

/**
 * Looks up the API names a program uses in an installed package (RITL-DOC). Implementations parse the code
 * without running it.
 */
public interface ApiDocumentation {

    /** The package looked in, with its version, e.g. {@code manim 0.18.1}. */
    String source();

    /**
     * Documentation for the names {@code code} calls or reads as attributes, builtins dropped, in order of
     * first use. Unparseable code gives an empty list.
     */
    List<ApiDoc> lookup(String code);
}
