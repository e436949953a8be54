package dev.renderloop.cli;

import dev.renderloop.agent.ReferenceScorer;
import dev.renderloop.cli.ModelOptions.Models;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.serve.RewardService;
import dev.renderloop.serve.RewardServiceConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code renderloop serve-reward [--port P] [--host H] ...}: one replica of the reward service ({@link RewardService})
 * until the process is stopped. The bearer token, when wanted, comes from {@value #TOKEN_ENV} so that it never shows
 * in a process list.
 */
@Command(name = "serve-reward", mixinStandardHelpOptions = true, description = {
        "Serve render-and-score over HTTP for RL engines (verl, OpenRLHF, TRL): POST /v1/score, POST /v1/render, "
                + "GET /healthz, /readyz, /metrics, /openapi.json.",
        "Set " + ServeRewardCommand.TOKEN_ENV + " to require Authorization: Bearer TOKEN. Scale by running replicas "
                + "behind your load balancer."})
final class ServeRewardCommand implements Callable<Integer> {
    static final String TOKEN_ENV = "RENDERLOOP_REWARD_TOKEN";

    @Spec
    CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8100", description = "Port (default: ${DEFAULT-VALUE}; 0: a free port, printed).")
    int port;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
            description = "Most items admitted (waiting or running) at once; more get 429 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--concurrency", paramLabel = "N",
            description = "Items scored at once (default: the number of cores, at least 2).")
    Integer concurrency;

    @Option(names = "--deadline", paramLabel = "SECONDS", defaultValue = "60",
            description = "A request's deadline when it names none (default: ${DEFAULT-VALUE}).")
    int deadlineSeconds;

    @Option(names = "--render-timeout", paramLabel = "SECONDS",
            description = "Cap on each render's timeout (default: the domain's own, 10 s for svg to 60 s for manim).")
    Integer renderTimeoutSeconds;

    @Option(names = "--max-items", paramLabel = "N", defaultValue = "64", description = "Most items per request (default: ${DEFAULT-VALUE}).")
    int maxItems;

    @Option(names = "--max-code-bytes", paramLabel = "N", defaultValue = "65536",
            description = "Largest answer, code or reference code per item (default: ${DEFAULT-VALUE}).")
    int maxCodeBytes;

    @Option(names = "--max-body-bytes", paramLabel = "N", defaultValue = "33554432",
            description = "Largest request body (default: ${DEFAULT-VALUE}).")
    int maxBodyBytes;

    @Option(names = "--image-root", paramLabel = "DIR",
            description = "Directory whose PNGs items may name as reference_image.path (default: none; paths refused).")
    Path imageRoot;

    @Option(names = "--warm", paramLabel = "DOMAIN", split = ",",
            description = "Python domains to start workers for before /readyz says ready, e.g. matplotlib,rdkit.")
    List<String> warm = new ArrayList<>();

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RewardServiceConfig config;
        try {
            if (imageRoot != null && !Files.isDirectory(imageRoot)) {
                throw new IllegalArgumentException("--image-root " + imageRoot + " is not a directory");
            }
            String token = System.getenv(TOKEN_ENV);
            RewardServiceConfig d = RewardServiceConfig.defaults(host, port);
            config = d.withQueue(queue, concurrency != null ? concurrency : d.concurrency())
                    .withLimits(maxBodyBytes, maxItems, maxCodeBytes)
                    .withDeadlines(Duration.ofSeconds(deadlineSeconds), Duration.ofSeconds(Math.max(deadlineSeconds, 600)))
                    .withRenderTimeout(renderTimeoutSeconds == null ? null : Duration.ofSeconds(renderTimeoutSeconds))
                    .withImageRoot(imageRoot)
                    .withWarmDomains(warm)
                    .withBearerToken(token == null || token.isBlank() ? null : token);
        } catch (IllegalArgumentException e) {
            err.println("renderloop serve-reward: " + e.getMessage());
            return ExitCode.USAGE;
        }
        try (Models models = modelOptions.open();
             RenderEngine engine = engineOptions.builder().build();
             ReferenceScorer scorer = new ReferenceScorer(engine, models.clip(), models.dino(), models.codebert(),
                     dev.renderloop.render.ManimMode.REWARD);
             RewardService service = RewardService.start(engine, scorer, config)) {
            out.println("serving rewards at http://" + host + ":" + service.port() + " (POST /v1/score; API at /openapi.json)");
            out.println("sandbox: " + engine.sandboxDescription());
            out.println("tiles: " + scorer.tileSimilarity() + "; auth: " + (config.bearerToken() == null ? "off" : "bearer token from "
                    + TOKEN_ENV) + "; queue " + config.queueCapacity() + " items, " + config.concurrency() + " at once");
            out.flush();
            CountDownLatch stopped = new CountDownLatch(1);
            CountDownLatch closed = new CountDownLatch(1);
            // On SIGTERM the hook lets requests in progress finish before the JVM exits.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stopped.countDown();
                service.close();
                try {
                    closed.await(15, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "serve-reward-stop"));
            try {
                stopped.await();
            } finally {
                closed.countDown();
            }
        } catch (IllegalArgumentException e) {
            err.println("renderloop serve-reward: " + e.getMessage());
            return ExitCode.USAGE;
        }
        return ExitCode.OK;
    }
}
