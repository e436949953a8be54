package dev.renderloop.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.renderloop.policy.CodeFences;
import java.util.List;

/**
 * One training row in the chat layout that Hugging Face {@code datasets}, TRL, LLaMA-Factory (sharegpt with
 * {@code messages}/{@code images}) and ms-swift read: {@code {"messages": [{"role": "system"|"user"|"assistant",
 * "content": "..."}], "images": ["images/..."]}}. Image paths are relative to the dataset folder; every image is
 * announced by an {@code <image>} placeholder at the start of the user turn (the LLaMA-Factory and ms-swift
 * convention), and text-only rows have an empty {@code images} list. The assistant answers with the program in a
 * fenced block tagged as VinciCoder's format reward expects ({@link CodeFences}).
 */
final class ChatLayout {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String IMAGE = "<image>";
    /** Error lines shown in an optimisation prompt, as the RITL repair prompt shows them. */
    static final int ERROR_LINES = 10;

    private ChatLayout() {
    }

    static String language(String domain) {
        return switch (domain) {
            case "manim" -> "Manim (Python)";
            case "matplotlib" -> "matplotlib (Python)";
            case "rdkit" -> "RDKit (Python)";
            case "tikz" -> "LaTeX/TikZ";
            case "svg" -> "SVG";
            case "html" -> "HTML";
            case "smiles" -> "SMILES";
            default -> domain;
        };
    }

    static String system(String domain) {
        String what = domain.equals("manim") ? "animations" : "images";
        return "You write " + language(domain) + " code that renders " + what + ". Answer with the complete program in one "
                + "fenced ```" + CodeFences.tag(domain) + " code block.";
    }

    /** Text to code: the description, the reference program. */
    static ObjectNode textToCode(String domain, String description, String code) {
        return row(domain, description.strip(), code, List.of());
    }

    /** Image to code: the target render, the reference program. */
    static ObjectNode imageToCode(String domain, String image, String code) {
        return row(domain, IMAGE + "\nWrite the " + language(domain) + " code that draws this image.", code, List.of(image));
    }

    /**
     * Visual code optimisation (VinciCoder): the target (the image, or for Manim the description), the defective program
     * and what rendering it gave (the error's last lines, or that it draws something else); the answer is the reference.
     *
     * @param image       the target render, or null (Manim: the description is the target)
     * @param error       the defective program's render error, or null when it rendered but looks different
     */
    static ObjectNode optimisation(String domain, String image, String description, String defective, String error, String reference) {
        StringBuilder user = new StringBuilder();
        if (image != null) {
            user.append(IMAGE).append("\nThis ").append(language(domain)).append(" code should draw the image above");
        } else {
            user.append("Task: ").append(description.strip()).append("\n\nThis ").append(language(domain))
                    .append(" code should do what the task says");
        }
        if (error != null) {
            List<String> lines = error.lines().toList();
            user.append(", but rendering it fails:\n```\n")
                    .append(String.join("\n", lines.subList(Math.max(0, lines.size() - ERROR_LINES), lines.size())))
                    .append("\n```\n");
        } else {
            user.append(", but what it renders is visibly different.\n");
        }
        user.append(CodeFences.wrap(domain, defective)).append("Correct the code.");
        return row(domain, user.toString(), reference, image == null ? List.of() : List.of(image));
    }

    private static ObjectNode row(String domain, String user, String answer, List<String> images) {
        ObjectNode row = JSON.createObjectNode();
        ArrayNode messages = row.putArray("messages");
        messages.addObject().put("role", "system").put("content", system(domain));
        messages.addObject().put("role", "user").put("content", user);
        messages.addObject().put("role", "assistant").put("content", CodeFences.wrap(domain, answer));
        ArrayNode list = row.putArray("images");
        images.forEach(list::add);
        return row;
    }
}
