package dev.renderloop.cli;

import dev.renderloop.model.ChatModel;
import dev.renderloop.model.ModelFormatException;
import dev.renderloop.serve.ChatCompletionsServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code renderloop serve-model --model DIR [--adapter DIR] [--port N] [--host H]}: the in-process model behind an
 * OpenAI-compatible {@code /v1/chat/completions} endpoint (see {@link ChatCompletionsServer}), until the process is
 * stopped.
 */
@Command(name = "serve-model", description = {
        "Serve a Hugging Face model directory (Qwen2 or Llama, with tokenizer.json and a chat template) on an "
                + "OpenAI-compatible endpoint: POST /v1/chat/completions, GET /v1/models.",
        "Requests run one at a time on the single in-process model. Use it as the policy openai:NAME@http://HOST:PORT/v1.",
        "Needs the model runtime (libtorch), which the launcher does not build by default: scripts/install-model-runtime."})
final class ServeModelCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Model directory: config.json, *.safetensors, tokenizer.json, tokenizer_config.json.")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "LoRA adapter directory (PEFT) to apply.")
    Path adapter;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "Port (default: ${DEFAULT-VALUE}; 0: a free port, printed).")
    int port;

    @Option(names = "--name", paramLabel = "NAME", description = "Model name clients send (default: the directory's name).")
    String name;

    @Option(names = "--max-n", defaultValue = "16", description = "Most samples per request (default: ${DEFAULT-VALUE}).")
    int maxN;

    @Option(names = "--max-body-bytes", defaultValue = "8388608", description = "Largest request body (default: ${DEFAULT-VALUE}).")
    int maxBodyBytes;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (port < 0 || port > 65535 || maxN < 1 || maxBodyBytes < 1) {
            err.println("renderloop serve-model: --port must be in 0..65535, --max-n and --max-body-bytes >= 1");
            return ExitCode.USAGE;
        }
        String served = name != null ? name : model.toAbsolutePath().normalize().getFileName().toString();
        ChatModel chat;
        try {
            chat = ChatModel.load(model, adapter);
        } catch (ModelFormatException e) {
            err.println("renderloop serve-model: " + e.getMessage());
            return ExitCode.USAGE;
        }
        try (chat; ChatCompletionsServer server = ChatCompletionsServer.start(chat, served, host, port, maxN, maxBodyBytes)) {
            String base = "http://" + host + ":" + server.port() + "/v1";
            out.println("serving " + served + " (context " + chat.contextLength() + " tokens) at " + base);
            out.println("policy spec: openai:" + served + "@" + base);
            out.flush();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "serve-model-stop"));
            stopped.await();
        }
        return ExitCode.OK;
    }
}
