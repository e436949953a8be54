package dev.renderloop.policy;

/** Why the agent asks: policies that do not read the conversation (oracle, retrieval) answer by purpose. */
public enum Purpose {
    /** A first answer to the task. */
    GENERATE,
    /** A repair after a failed render or a critique; the conversation holds the feedback. */
    REPAIR,
    /** A visual critique of a render (ritl-vis); the answer is a verdict, not code. */
    CRITIQUE
}
