package dev.renderloop.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What the agent does with a policy's answers. */
public enum Strategy {
    /** One generation, rendered once. */
    VANILLA("vanilla"),
    /** Renderer in the loop: on a failed render, send back the description, the code and the error tail; up to K repairs. */
    RITL("ritl"),
    /** As RITL, with documentation of the API names the code uses; round 0 regenerates once with it before rendering. */
    RITL_DOC("ritl-doc"),
    /** As RITL, then a vision-capable critic compares the render with the description or target; repair until it passes. */
    RITL_VIS("ritl-vis");

    private final String wireName;

    Strategy(String wireName) {
        this.wireName = wireName;
    }

    /** The name used on command lines and in records. */
    public String wireName() {
        return wireName;
    }

    /** Parses one name. */
    public static Strategy parse(String name) {
        String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        for (Strategy s : values()) {
            if (s.wireName.equals(n)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown strategy '" + name + "'; expected vanilla, ritl, ritl-doc or ritl-vis");
    }

    /** Parses a comma-separated list, keeping order and dropping repeats. */
    public static List<Strategy> parseList(String names) {
        List<Strategy> out = new ArrayList<>();
        for (String n : names.split(",")) {
            Strategy s = parse(n);
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }
}
