package dev.renderloop.cli;

import dev.renderloop.agent.AgentConfig;
import dev.renderloop.policy.Sampling;
import java.time.Duration;
import picocli.CommandLine.Option;

/** How the agent asks its policy: repair rounds, sampling, API key, request timeout (a picocli mixin). */
final class AgentOptions {
    @Option(names = "--attempts", paramLabel = "K", defaultValue = "3", description = "Repair rounds K (default: ${DEFAULT-VALUE}).")
    int repairs;

    @Option(names = "--api-key-env", paramLabel = "VAR", description = "Environment variable holding the API key (openai policies).")
    String apiKeyEnv;

    @Option(names = "--temperature", defaultValue = "0.2", description = "Sampling temperature (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--max-tokens", defaultValue = "2048", description = "Completion length bound (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed sent to backends that honour one (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--request-timeout", paramLabel = "SECONDS", defaultValue = "300", description = "Per-request timeout (default: ${DEFAULT-VALUE}).")
    long requestTimeout;

    @Option(names = "--critic", paramLabel = "SPEC", description = "Vision-capable policy for ritl-vis.")
    String criticSpec;

    Sampling sampling() {
        return new Sampling(temperature, null, null, maxTokens, seed, false);
    }

    AgentConfig config() {
        return new AgentConfig(repairs, sampling(), 10, 30);
    }

    Duration timeout() {
        return Duration.ofSeconds(requestTimeout);
    }
}
