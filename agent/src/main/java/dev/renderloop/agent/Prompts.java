package dev.renderloop.agent;

import dev.renderloop.policy.CodeFences;
import dev.renderloop.policy.Conversation;
import dev.renderloop.policy.ImageContent;
import dev.renderloop.policy.Message;
import dev.renderloop.task.Task;
import java.util.List;

/**
 * The prompts, in the published structure: a system prompt, the task in a tagged block, previous code and
 * feedback in tagged blocks. The answer is asked for in a fenced block with the domain's language tag.
 *
 * <p>Public for {@link #initial} only: a trainer formats its prompts exactly as the agent's first request, so that
 * an adapter trained on them is benchmarked on the prompts it learnt.
 */
public final class Prompts {
    private Prompts() {
    }

    static String language(String domain) {
        return CodeFences.tag(domain);
    }

    static String system(String domain) {
        String what = switch (domain) {
            case "manim" -> "You are an expert in Manim Community Edition. Write a complete Python script that defines "
                    + "exactly one Scene subclass whose construct method produces the animation described.";
            case "matplotlib" -> "You are an expert in matplotlib. Write a complete Python script that draws the figure described.";
            case "rdkit" -> "You are an expert in RDKit. Write a complete Python script that draws the molecule described.";
            case "svg" -> "You write SVG. Write one complete SVG document that draws what is asked.";
            case "html" -> "You write web pages. Write one complete, self-contained HTML page (inline CSS, no external resources).";
            case "tikz" -> "You write LaTeX with TikZ. Write a complete standalone LaTeX document that draws what is asked.";
            case "smiles" -> "You are a chemist. Answer with the SMILES string of the molecule asked for.";
            default -> "Write the program asked for.";
        };
        return what + " Reply with the code in one ```" + language(domain) + " fenced block.";
    }

    /** The first request: the description, and the target image for image-to-code tasks. */
    public static Conversation initial(Task task) {
        return Conversation.of(system(task.domain()), taskMessage(task, ""));
    }

    private static Message taskMessage(Task task, String more) {
        StringBuilder text = new StringBuilder();
        if (!task.description().isBlank()) {
            text.append("<description>\n").append(task.description().strip()).append("\n</description>\n");
        }
        List<ImageContent> images = List.of();
        if (task.target() != null && task.target().exists()) {
            images = List.of(ImageContent.png(task.target().bytes()));
            text.append("The attached image is the target: write the ").append(language(task.domain()))
                    .append(" code that renders it.\n");
        }
        text.append(more);
        return Message.user(text.toString().strip(), images);
    }

    /** RITL-DOC round 0: regenerate with the documentation of the names the first answer used. */
    static Conversation docRegenerate(Task task, String code, List<ApiDoc> docs) {
        String more = "\n<code>\n" + code.strip() + "\n</code>\n" + docBlock(docs)
                + "Check the code above against this API documentation and return the complete corrected program.";
        return Conversation.of(system(task.domain()), taskMessage(task, more));
    }

    /** A repair request: the description, the previous code and the feedback (error tail or critique). */
    static Conversation repair(Task task, String code, String feedbackTag, String feedback, List<ApiDoc> docs) {
        String codeBlock = code.isBlank() ? "\n(your previous answer contained no code)\n"
                : "\n<code>\n" + code.strip() + "\n</code>\n";
        String more = codeBlock + "<" + feedbackTag + ">\n" + feedback.strip() + "\n</" + feedbackTag + ">\n"
                + docBlock(docs)
                + (feedbackTag.equals("error") ? "The code above failed to render. " : "The render does not match yet. ")
                + "Return the complete corrected program.";
        return Conversation.of(system(task.domain()), taskMessage(task, more));
    }

    /** The critic's request: the description or target, and frames of the render. */
    static Conversation critique(Task task, List<ImageContent> frames) {
        String system = "You review renders of generated code. Compare the rendered frames with the task. "
                + "Answer PASS on the first line if the render shows what the task asks for; otherwise answer FAIL "
                + "on the first line followed by the concrete differences to fix.";
        StringBuilder text = new StringBuilder();
        if (!task.description().isBlank()) {
            text.append("<description>\n").append(task.description().strip()).append("\n</description>\n");
        }
        List<ImageContent> images = new java.util.ArrayList<>();
        if (task.target() != null && task.target().exists()) {
            images.add(ImageContent.png(task.target().bytes()));
            text.append("The first image is the target. ");
        }
        images.addAll(frames);
        text.append("The following ").append(frames.size()).append(" image(s) are frames of the render.");
        return Conversation.of(system, Message.user(text.toString(), images));
    }

    private static String docBlock(List<ApiDoc> docs) {
        if (docs.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("<api_documentation>\n");
        for (ApiDoc d : docs) {
            b.append(d.promptText().strip()).append("\n\n");
        }
        return b.append("</api_documentation>\n").toString();
    }
}
