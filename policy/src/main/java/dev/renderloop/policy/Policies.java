package dev.renderloop.policy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ServiceLoader;

/** Creates policies from their spec strings. */
public final class Policies {
    private Policies() {
    }

    /** The oracle: the reference code, clean. */
    public static Policy oracle() {
        return new OraclePolicy(null);
    }

    /** The oracle with one seeded defect per first answer and the clean reference on repair. */
    public static Policy oracleWithDefects(long seed) {
        return new OraclePolicy(seed);
    }

    /**
     * The retrieval baseline over a training corpus: the reference code of the nearest task of the same domain
     * (BM25 over descriptions, else target-image thumbnails), never the asked task itself.
     */
    public static Policy retrieval(java.util.List<dev.renderloop.task.Task> corpus) {
        return new RetrievalPolicy(corpus);
    }

    /** A client of an OpenAI-compatible server; reads the API key from the environment variable the config names. */
    public static Policy openAi(OpenAiConfig config) {
        return new OpenAiChatPolicy(config, System::getenv, d -> Thread.sleep(d.toMillis()), System.nanoTime());
    }

    /**
     * The policy a spec names.
     *
     * @param apiKeyEnv environment variable with the API key for {@code openai:} specs, or {@code null}
     * @throws IllegalArgumentException for a bad spec, or one this build cannot serve (a {@code local:} spec without
     *                                  a {@link LocalPolicyProvider} on the class path)
     */
    public static Policy create(String spec, String apiKeyEnv, int concurrency, Duration timeout) {
        PolicySpec s = PolicySpec.parse(spec);
        return switch (s.kind()) {
            case ORACLE -> new OraclePolicy(s.seed());
            case OPENAI -> openAi(OpenAiConfig.of(URI.create(s.location()), s.model()).withApiKeyEnv(apiKeyEnv)
                    .withLimits(concurrency, timeout, 4, Duration.ofSeconds(1)));
            case LOCAL -> local(s);
            case RETRIEVAL -> throw new IllegalArgumentException("policy retrieval needs a training corpus: use Policies.retrieval(...)");
        };
    }

    /** The in-process model through the first {@link LocalPolicyProvider} on the class path. */
    private static Policy local(PolicySpec spec) {
        LocalPolicyProvider provider = ServiceLoader.load(LocalPolicyProvider.class).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("policy " + spec + ": no in-process model on the"
                        + " class path (the renderloop CLI includes one; a library user adds renderloop-cli or"
                        + " registers a " + LocalPolicyProvider.class.getName() + ")"));
        return provider.open(spec.toString(), Path.of(spec.model()), spec.location() == null ? null : Path.of(spec.location()));
    }
}
