package dev.renderloop.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A Qwen2-, Qwen3- or Llama-family decoder loaded from a Hugging Face model directory and run in this JVM on DJL's PyTorch
 * engine (F32 on the CPU). It computes what {@code transformers}' {@code *ForCausalLM} computes: token embeddings,
 * pre-norm decoder layers (RMSNorm, rotary embeddings in the "rotate_half" convention, grouped-query causal
 * attention, SwiGLU MLP), a final RMSNorm and a tied or untied LM head. Qwen3 adds an RMSNorm over each query
 * and key head between the projection and the rotary embedding.
 *
 * <p>Batches are left-padded: row {@code b} of {@code attentionMask} is 0 over the padding and 1 over the tokens,
 * and position ids are counted over the tokens only ({@code cumsum(mask) - 1}), as {@code generate()} does.
 *
 * <p>An instance holds native memory until {@link #close()}; it is not safe for concurrent use.
 */
public final class CausalLm implements AutoCloseable {
  /** Added to the scores of masked keys; finite, so that a row with every key masked (padding) stays finite. */
  private static final float MASKED = -1e9f;

  /** {@code forward}'s "project every position". */
  private static final int ALL = -1;

  /** Indices of the projections in {@link LoraConfig#MODULES}. */
  private static final int Q = 0;
  private static final int K = 1;
  private static final int V = 2;
  private static final int O = 3;
  private static final int GATE = 4;
  private static final int UP = 5;
  private static final int DOWN = 6;

  private final ModelConfig config;
  private final NDManager manager;
  private final NDArray embedding;
  private final NDArray lmHeadT;
  private final NDArray finalNorm;
  private final Layer[] layers;
  private final float[] invFreq;
  /**
   * Constants that ops take as 0-d arrays, made once: DJL's {@code add(Number)} and the like create a fresh native
   * scalar on every call (a JNI allocation and copy that cost as much as a small op).
   */
  private final NDArray eps;
  private final NDArray scale;
  /** rotate_half as a {@code [headDim, headDim]} signed permutation: {@code x @ rotation} is exact (one ±1 per column). */
  private final NDArray rotation;
  /** cos and sin per position, {@code [positions, headDim]}; grown on demand (see {@link #rotaryTables}). */
  private NDArray cosTable;
  private NDArray sinTable;

  /**
   * PyTorch intra-op threads while this model computes (see {@link #intraOpThreads}); libtorch's setting is global
   * to the process, so it is applied at each forward pass and remembered in {@link #appliedThreads}.
   */
  private final int threads;
  /** The same for whole-batch passes (log-probs, training): {@link #batchThreads}. */
  private final int batchThreads;
  private static volatile int appliedThreads = -1;

  /** The attached LoRA adapter (null: none), whether it is applied, and whether {@link #close()} closes it. */
  private LoraAdapter adapter;
  private boolean adapterEnabled;
  private boolean ownsAdapter;
  /** The adapter's A and B per layer and projection ({@link LoraConfig#MODULES} order), null where not targeted. */
  private NDArray[][] loraA;
  private NDArray[][] loraB;
  /** The adapter's scaling, a scalar array in {@link #manager}: see {@link GraphScalar}. */
  private NDArray loraScaling;
  /** Non-null only during a training forward pass of an adapter with dropout: draws its dropout masks. */
  private SplittableRandom loraDropout;

  /** One decoder layer's weights; biases and the per-head q/k norms are null where the architecture has none. */
  private record Layer(NDArray inputNorm, NDArray qT, NDArray qBias, NDArray kT, NDArray kBias, NDArray vT,
      NDArray vBias, NDArray oT, NDArray postNorm, NDArray gateT, NDArray upT, NDArray downT, NDArray qNorm,
      NDArray kNorm) {}

  private CausalLm(ModelConfig config, NDManager manager, NDArray embedding, NDArray lmHeadT, NDArray finalNorm,
      Layer[] layers) {
    this.config = config;
    this.manager = manager;
    this.embedding = embedding;
    this.lmHeadT = lmHeadT;
    this.finalNorm = finalNorm;
    this.layers = layers;
    int half = config.headDim() / 2;
    this.invFreq = new float[half];
    for (int i = 0; i < half; i++) {
      invFreq[i] = (float) (1.0 / Math.pow(config.ropeTheta(), (float) (2 * i) / config.headDim()));
    }
    this.threads = intraOpThreads(config);
    this.batchThreads = batchThreads(threads);
    this.eps = manager.create((float) config.rmsNormEps());
    this.scale = manager.create((float) (1.0 / Math.sqrt(config.headDim())));
    int d = config.headDim();
    float[] r = new float[d * d];
    for (int j = 0; j < half; j++) {
      r[(j + half) * d + j] = -1;  // output j < half reads -x[j + half]
      r[j * d + j + half] = 1;  // output j + half reads x[j]
    }
    this.rotation = manager.create(r, new Shape(d, d));
  }

  /**
   * Loads {@code dir} ({@code config.json} and {@code model.safetensors} or its shards with
   * {@code model.safetensors.index.json}); F16 and BF16 weights are widened to F32.
   *
   * @throws ModelFormatException when a file is missing, the architecture is not supported, a weights file is
   *     truncated or a tensor is missing or has a shape the config does not imply; the message names the file and
   *     the tensor
   * @throws ModelRuntimeUnavailableException when the model runtime is not installed (checked first)
   */
  public static CausalLm load(Path dir) throws ModelFormatException {
    ModelRuntime.requireInstalled();
    ModelConfig config = ModelConfig.read(dir);
    SafetensorsReader weights = SafetensorsReader.open(dir);
    NDManager manager = newManager();
    try {
      int h = config.hiddenSize();
      int q = config.heads() * config.headDim();
      int kv = config.kvHeads() * config.headDim();
      int m = config.intermediateSize();
      NDArray embedding = tensor(manager, weights, "model.embed_tokens.weight", config.vocabSize(), h);
      NDArray lmHeadT = config.tieWordEmbeddings() ? embedding.transpose()
          : tensor(manager, weights, "lm_head.weight", config.vocabSize(), h).transpose();
      Layer[] layers = new Layer[config.layers()];
      for (int i = 0; i < layers.length; i++) {
        String p = "model.layers." + i + ".";
        boolean bias = config.attentionBias();
        layers[i] = new Layer(
            tensor(manager, weights, p + "input_layernorm.weight", h),
            tensor(manager, weights, p + "self_attn.q_proj.weight", q, h).transpose(),
            bias ? tensor(manager, weights, p + "self_attn.q_proj.bias", q) : null,
            tensor(manager, weights, p + "self_attn.k_proj.weight", kv, h).transpose(),
            bias ? tensor(manager, weights, p + "self_attn.k_proj.bias", kv) : null,
            tensor(manager, weights, p + "self_attn.v_proj.weight", kv, h).transpose(),
            bias ? tensor(manager, weights, p + "self_attn.v_proj.bias", kv) : null,
            tensor(manager, weights, p + "self_attn.o_proj.weight", h, q).transpose(),
            tensor(manager, weights, p + "post_attention_layernorm.weight", h),
            tensor(manager, weights, p + "mlp.gate_proj.weight", m, h).transpose(),
            tensor(manager, weights, p + "mlp.up_proj.weight", m, h).transpose(),
            tensor(manager, weights, p + "mlp.down_proj.weight", h, m).transpose(),
            config.qkNorm() ? tensor(manager, weights, p + "self_attn.q_norm.weight", config.headDim()) : null,
            config.qkNorm() ? tensor(manager, weights, p + "self_attn.k_norm.weight", config.headDim()) : null);
      }
      NDArray finalNorm = tensor(manager, weights, "model.norm.weight", h);
      return new CausalLm(config, manager, embedding, lmHeadT, finalNorm, layers);
    } catch (ModelFormatException | RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * Loads the model in {@code modelDir} (see {@link #load(Path)}) with the LoRA adapter in {@code adapterDir} (see
   * {@link LoraAdapter#load}) attached and enabled; the model closes the adapter when it is closed.
   *
   * @throws ModelFormatException as {@link #load(Path)} and {@link LoraAdapter#load} do, and when the adapter's
   *     shapes do not fit the model (the message names the tensor and the adapter file)
   */
  public static CausalLm load(Path modelDir, Path adapterDir) throws ModelFormatException {
    CausalLm model = load(modelDir);
    try {
      LoraAdapter loaded = LoraAdapter.load(adapterDir);
      try {
        model.attach(loaded);
      } catch (ModelFormatException | RuntimeException e) {
        loaded.close();
        throw e;
      }
      model.ownsAdapter = true;
      return model;
    } catch (ModelFormatException | RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /**
   * Attaches {@code lora} and enables it, replacing any adapter attached before (which is closed if this model
   * loaded it). Every targeted projection {@code W} then computes {@code W x + scaling * B (A x)}, with the live
   * arrays of {@link LoraAdapter#parameters()}. The caller keeps ownership of {@code lora} and must keep it open
   * while it is attached.
   *
   * @throws ModelFormatException when the adapter does not cover exactly this model's layers or a tensor's shape is
   *     not the one this model's projection implies; the message names the tensor and the adapter's file
   */
  public void attach(LoraAdapter lora) throws ModelFormatException {
    if (lora.layers() != config.layers()) {
      throw new ModelFormatException(lora.source() + ": the adapter covers " + lora.layers()
          + " decoder layers but the model has " + config.layers());
    }
    int modules = LoraConfig.MODULES.size();
    NDArray[][] a = new NDArray[layers.length][modules];
    NDArray[][] b = new NDArray[layers.length][modules];
    for (int i = 0; i < layers.length; i++) {
      for (String module : lora.config().targetModules()) {
        int m = LoraConfig.MODULES.indexOf(module);
        long[] outIn = LoraAdapter.outIn(config, module);
        a[i][m] = checkShape(lora, i, module, 'A', lora.config().rank(), outIn[1]);
        b[i][m] = checkShape(lora, i, module, 'B', outIn[0], lora.config().rank());
      }
    }
    detach();
    adapter = lora;
    loraA = a;
    loraB = b;
    loraScaling = GraphScalar.of(manager, (float) lora.config().scaling());
    adapterEnabled = true;
  }

  private static NDArray checkShape(LoraAdapter lora, int layer, String module, char which, long rows, long cols)
      throws ModelFormatException {
    NDArray w = lora.weight(layer, module, which);
    long[] want = {rows, cols};
    if (!Arrays.equals(w.getShape().getShape(), want)) {
      throw new ModelFormatException(lora.source() + ": tensor '" + LoraAdapter.key(layer, module, which)
          + "' has shape " + Arrays.toString(w.getShape().getShape()) + " but the model implies "
          + Arrays.toString(want) + " (an adapter for a different model?)");
    }
    return w;
  }

  /** Removes the attached adapter, if any (closing it if this model loaded it); the model is the base again. */
  public void detach() {
    if (adapter != null && ownsAdapter) {
      adapter.close();
    }
    adapter = null;
    ownsAdapter = false;
    adapterEnabled = false;
    loraA = null;
    loraB = null;
  }

  /**
   * Applies the attached adapter ({@code true}) or computes as the base model ({@code false}: the reference model,
   * with logits bit-identical to the model without an adapter).
   *
   * @throws IllegalStateException when enabling and no adapter is attached
   */
  public void enableAdapter(boolean enabled) {
    if (enabled && adapter == null) {
      throw new IllegalStateException("no adapter attached");
    }
    adapterEnabled = enabled;
  }

  /** The attached adapter, enabled or not. */
  public Optional<LoraAdapter> adapter() {
    return Optional.ofNullable(adapter);
  }

  /** The architecture this model was loaded with. */
  public ModelConfig config() {
    return config;
  }

  /**
   * The next-token logits at every position: {@code [row][position][vocab]}. Rows are left-padded and
   * {@code attentionMask} marks the tokens with 1 (null: no padding); the logits at padded positions are computed
   * but meaningless.
   */
  public float[][][] logits(long[][] inputIds, long[][] attentionMask) {
    long[][] mask = attentionMask == null ? ones(inputIds) : attentionMask;
    checkBatch(inputIds, mask);
    try (NDManager step = manager.newSubManager()) {
      NDArray logits = forward(step, inputIds, mask, positions(mask, 0, inputIds[0].length), null, ALL, batchThreads);
      return split(logits.toFloatArray(), inputIds.length, inputIds[0].length, config.vocabSize());
    }
  }

  /**
   * Greedy decoding: {@code newTokens} tokens per row, each the arg-max of the logits (the lowest id on a tie), with
   * no stop on EOS. Uses a key/value cache, so each new token costs one position's forward pass.
   *
   * @return the generated ids, {@code [row][newTokens]}, without the prompt
   */
  public long[][] generateGreedy(long[][] inputIds, long[][] attentionMask, int newTokens) {
    long[][] mask = attentionMask == null ? ones(inputIds) : attentionMask;
    checkBatch(inputIds, mask);
    int rows = inputIds.length;
    long[][] out = new long[rows][newTokens];
    if (newTokens <= 0) {
      return out;
    }
    try (NDManager cacheManager = manager.newSubManager()) {
      Cache cache = new Cache(cacheManager, config.layers(), mask);
      long[][] step = inputIds;
      for (int t = 0; t < newTokens; t++) {
        float[] last;
        try (NDManager scratch = cacheManager.newSubManager()) {
          int length = step[0].length;
          long[][] positions = positions(cache.mask, cache.mask[0].length - length, length);
          last = forward(scratch, step, cache.mask, positions, cache, 1).toFloatArray();
        }
        long[][] next = new long[rows][1];
        for (int b = 0; b < rows; b++) {
          next[b][0] = argMax(last, b * config.vocabSize(), config.vocabSize());
          out[b][t] = next[b][0];
        }
        cache.append();
        step = next;
      }
    }
    return out;
  }

  /**
   * Draws {@code n} samples continuing {@code promptIds}. The prompt is run once; its key/value cache is copied
   * to {@code n} rows that are then decoded together. Sample {@code i} draws from its own random stream, the
   * {@code i}-th split of a {@link SplittableRandom} seeded with {@code params.seed()}, so a call with the same
   * prompt, parameters and {@code n} returns the same samples, and sample {@code i} does not depend on {@code n}.
   * Each sample stops after an EOS id or {@code params.maxNewTokens()} tokens.
   *
   * @return the samples in stream order, with the log-probability of each token under the processed and the raw
   *     distribution
   */
  public List<Sample> sample(long[] promptIds, SamplingParams params, int n) {
    return sample(promptIds, params, n, StopCondition.NEVER);
  }

  /**
   * {@link #sample(long[], SamplingParams, int)}, where a sample also stops after a token for which {@code stop}
   * says so (stop strings; the token is kept, {@link Sample#stoppedAtEos()} is false).
   */
  public List<Sample> sample(long[] promptIds, SamplingParams params, int n, StopCondition stop) {
    return sample(new long[][] {promptIds}, params, new long[] {params.seed()}, n, stop).get(0);
  }

  /**
   * {@code n} samples of each of several prompts, decoded together: the prompts are left-padded into one batch for
   * the prefill, each row's keys and values are copied to its {@code n} samples, and every decode step runs all
   * {@code prompts.length * n} rows in one forward pass (a small model's cost is the number of native calls, so
   * this is several times faster than one {@link #sample(long[], SamplingParams, int)} per prompt). Prompt {@code p}
   * samples with {@code params.withSeed(seeds[p])}: its rows draw from the same random streams as that call's, and
   * the tokens equal its tokens wherever the padded batch's logits round as the unpadded ones do (checked on the
   * test checkpoints: {@code CausalLmSamplingIT}).
   *
   * @param promptIds non-empty prompts
   * @param params the sampling settings of every prompt but the seed
   * @param seeds one seed per prompt
   * @return per prompt, its {@code n} samples
   */
  public List<List<Sample>> sample(long[][] promptIds, SamplingParams params, long[] seeds, int n) {
    return sample(promptIds, params, seeds, n, StopCondition.NEVER);
  }

  /**
   * {@link #sample(long[][], SamplingParams, long[], int)}, where a sample also stops after a token for which
   * {@code stop} says so, asked with the sample's index within its prompt's {@code n} (stop strings; the token is
   * kept, {@link Sample#stoppedAtEos()} is false).
   */
  public List<List<Sample>> sample(long[][] promptIds, SamplingParams params, long[] seeds, int n,
      StopCondition stop) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    int groups = promptIds.length;
    if (groups == 0 || seeds.length != groups) {
      throw new IllegalArgumentException("need one seed per prompt and at least one prompt; got " + groups
          + " prompts, " + seeds.length + " seeds");
    }
    int width = 0;
    for (long[] prompt : promptIds) {
      if (prompt.length == 0) {
        throw new IllegalArgumentException("empty prompt");
      }
      width = Math.max(width, prompt.length);
    }
    long[][] ids = new long[groups][width];
    long[][] promptMask = new long[groups][width];
    for (int p = 0; p < groups; p++) {
      int start = width - promptIds[p].length;
      System.arraycopy(promptIds[p], 0, ids[p], start, promptIds[p].length);
      Arrays.fill(promptMask[p], start, width, 1);
    }
    checkBatch(ids, promptMask);
    int rows = groups * n;
    int vocab = config.vocabSize();
    SplittableRandom[] streams = new SplittableRandom[rows];
    BitSet[] seen = new BitSet[rows];
    for (int p = 0; p < groups; p++) {
      SplittableRandom root = new SplittableRandom(params.withSeed(seeds[p]).seed());
      for (int j = 0; j < n; j++) {
        int b = p * n + j;
        streams[b] = root.split();
        seen[b] = new BitSet(vocab);
        for (long id : promptIds[p]) {
          seen[b].set((int) id);
        }
      }
    }
    int max = params.maxNewTokens();
    // With nothing to process, the raw log-softmax is the processed one: a third of the sampler's exp() calls saved
    // (GRPO samples at temperature 1 with no filters; this loop is most of a small model's decoding time).
    boolean identity = LogitsProcessors.isIdentity(params);
    long[][] tokens = new long[rows][max];
    float[][] logProbs = new float[rows][max];
    float[][] rawLogProbs = new float[rows][max];
    int[] lengths = new int[rows];
    boolean[] eos = new boolean[rows];
    boolean[] done = new boolean[rows];
    try (NDManager cacheManager = manager.newSubManager()) {
      Cache cache = new Cache(cacheManager, config.layers(), promptMask);
      float[] last;
      try (NDManager scratch = cacheManager.newSubManager()) {
        last = forward(scratch, ids, cache.mask, positions(cache.mask, 0, width), cache, 1).toFloatArray();
      }
      cache.replicate(n);
      long[][] next = new long[rows][1];
      // Reused for every row and token: allocating these per row made ~12 MB of garbage per GRPO step, and each
      // young collection that G1 answers with fresh heap regions costs page faults (~10 us each on these VMs), which
      // slowed decoding threefold for half a second at a time.
      float[] raw = new float[vocab];
      double[] logp = new double[vocab];
      for (int t = 0; t < max; t++) {
        boolean running = false;
        for (int b = 0; b < rows; b++) {
          if (done[b]) {
            continue;  // a finished row keeps being decoded with the batch; its output is ignored
          }
          int from = (t == 0 ? b / n : b) * vocab;  // the prefill ran each prompt once, for its n rows
          System.arraycopy(last, from, raw, 0, vocab);
          float[] processed = identity ? raw : LogitsProcessors.apply(raw, seen[b], params);
          LogitsProcessors.logSoftmax(processed, logp);
          int token = params.temperature() == 0 ? LogitsProcessors.argMax(processed) : draw(logp, streams[b]);
          tokens[b][t] = token;
          logProbs[b][t] = (float) logp[token];
          rawLogProbs[b][t] = identity ? logProbs[b][t] : (float) LogitsProcessors.logSoftmaxAt(raw, token);
          lengths[b] = t + 1;
          seen[b].set(token);
          next[b][0] = token;
          eos[b] = params.eosTokenIds().contains((long) token);
          done[b] = eos[b] || (stop != StopCondition.NEVER && stop.stop(b % n, Arrays.copyOf(tokens[b], t + 1)));
          running |= !done[b];
        }
        if (!running || t == max - 1) {
          break;
        }
        cache.append();
        try (NDManager scratch = cacheManager.newSubManager()) {
          long[][] positions = positions(cache.mask, cache.mask[0].length - 1, 1);
          last = forward(scratch, next, cache.mask, positions, cache, 1).toFloatArray();
        }
      }
    }
    List<List<Sample>> out = new ArrayList<>(groups);
    for (int p = 0; p < groups; p++) {
      List<Sample> group = new ArrayList<>(n);
      for (int j = 0; j < n; j++) {
        int b = p * n + j;
        group.add(new Sample(Arrays.copyOf(tokens[b], lengths[b]), Arrays.copyOf(logProbs[b], lengths[b]),
            Arrays.copyOf(rawLogProbs[b], lengths[b]), eos[b]));
      }
      out.add(group);
    }
    return out;
  }

  /**
   * The log-probability of every completion token given its prompt and the completion tokens before it,
   * {@code log_softmax(logits)[token]}, computed for all rows in one batched forward pass (prompts left-padded,
   * completions right-padded, padding masked out).
   *
   * @param promptIds one non-empty prompt per row
   * @param completionIds one completion per row (may be empty), as many rows as prompts
   * @return {@code [row][completion token]}
   */
  public float[][] logProbs(long[][] promptIds, long[][] completionIds) {
    return logProbs(promptIds, completionIds, 1.0);
  }

  /**
   * {@link #logProbs(long[][], long[][])} at a sampling temperature: {@code log_softmax(logits / temperature)[token]},
   * as TRL's GRPOTrainer computes the log-probs of its ratio (it divides the logits by the temperature it sampled
   * at, so that the policy's log-probs are those of the distribution the completions were drawn from).
   *
   * @param temperature finite and {@code > 0}; 1 leaves the logits as they are
   */
  public float[][] logProbs(long[][] promptIds, long[][] completionIds, double temperature) {
    checkTemperature(temperature);
    CompletionBatch batch = completionBatch(promptIds, completionIds);
    int rows = promptIds.length;
    float[][] out = new float[rows][];
    if (batch.completionWidth == 0) {
      for (int b = 0; b < rows; b++) {
        out[b] = new float[0];
      }
      return out;
    }
    int completionWidth = batch.completionWidth;
    float[] flat;
    try (NDManager step = manager.newSubManager()) {
      flat = gatherLogProbs(step, batch, temperature).toFloatArray();
    }
    for (int b = 0; b < rows; b++) {
      out[b] = Arrays.copyOfRange(flat, b * completionWidth, b * completionWidth + completionIds[b].length);
    }
    return out;
  }

  /**
   * What {@link #logProbs} computes, as an array attached to the autograd graph, for training an attached adapter:
   * run it inside a {@code GradientCollector} with {@link LoraAdapter#setTrainable trainable} adapter weights, build
   * a loss from {@link CompletionLogProbs#values()}, call {@code backward} and read each parameter's gradient.
   * Unlike inference, the adapter's dropout acts here (each element of each adapted projection's input zeroed with
   * probability {@code lora_dropout}), drawn from a {@link SplittableRandom} seeded with {@code dropoutSeed}, so a
   * pass is reproducible.
   *
   * @param owner the PyTorch-engine manager that holds the graph's arrays; closing it frees them (after backward)
   * @param promptIds one non-empty prompt per row
   * @param completionIds one completion per row, as many rows as prompts, at least one non-empty
   * @return the log-probs {@code [rows, longest completion]}, zero past each row's completion, and the 0/1 mask
   */
  public CompletionLogProbs completionLogProbs(NDManager owner, long[][] promptIds, long[][] completionIds,
      long dropoutSeed) {
    return completionLogProbs(owner, promptIds, completionIds, dropoutSeed, 1.0);
  }

  /**
   * {@link #completionLogProbs(NDManager, long[][], long[][], long)} at a sampling temperature:
   * {@code log_softmax(logits / temperature)[token]}, as TRL's GRPOTrainer computes the policy log-probs of its
   * ratio and KL.
   *
   * @param temperature finite and {@code > 0}; 1 leaves the logits as they are
   */
  public CompletionLogProbs completionLogProbs(NDManager owner, long[][] promptIds, long[][] completionIds,
      long dropoutSeed, double temperature) {
    checkTemperature(temperature);
    CompletionBatch batch = completionBatch(promptIds, completionIds);
    if (batch.completionWidth == 0) {
      throw new IllegalArgumentException("every completion is empty: no token to compute a log-prob for");
    }
    int rows = promptIds.length;
    float[] mask = new float[rows * batch.completionWidth];
    int tokens = 0;
    for (int b = 0; b < rows; b++) {
      Arrays.fill(mask, b * batch.completionWidth, b * batch.completionWidth + completionIds[b].length, 1f);
      tokens += completionIds[b].length;
    }
    boolean dropout = adapterEnabled && adapter.config().dropout() > 0;
    loraDropout = dropout ? new SplittableRandom(dropoutSeed) : null;
    try {
      NDArray maskArray = owner.create(mask, new Shape(rows, batch.completionWidth));
      NDArray values = gatherLogProbs(owner, batch, temperature).reshape(rows, batch.completionWidth).mul(maskArray);
      return new CompletionLogProbs(values, maskArray, tokens);
    } finally {
      loraDropout = null;
    }
  }

  /** Token-aligned inputs of a completion batch: prompts left-padded, completions right-padded. */
  private record CompletionBatch(long[][] ids, long[][] mask, long[][] targets, int promptWidth,
      int completionWidth) {}

  private CompletionBatch completionBatch(long[][] promptIds, long[][] completionIds) {
    if (promptIds.length == 0 || promptIds.length != completionIds.length) {
      throw new IllegalArgumentException("need as many completions as prompts, at least one; got "
          + promptIds.length + " prompts, " + completionIds.length + " completions");
    }
    int rows = promptIds.length;
    int promptWidth = 0;
    int completionWidth = 0;
    for (int b = 0; b < rows; b++) {
      if (promptIds[b].length == 0) {
        throw new IllegalArgumentException("row " + b + ": empty prompt (nothing predicts the first token)");
      }
      promptWidth = Math.max(promptWidth, promptIds[b].length);
      completionWidth = Math.max(completionWidth, completionIds[b].length);
    }
    if (completionWidth == 0) {
      return new CompletionBatch(null, null, null, promptWidth, 0);
    }
    int width = promptWidth + completionWidth;
    long[][] ids = new long[rows][width];
    long[][] mask = new long[rows][width];
    long[][] targets = new long[rows][completionWidth];
    for (int b = 0; b < rows; b++) {
      int start = promptWidth - promptIds[b].length;
      System.arraycopy(promptIds[b], 0, ids[b], start, promptIds[b].length);
      System.arraycopy(completionIds[b], 0, ids[b], promptWidth, completionIds[b].length);
      System.arraycopy(completionIds[b], 0, targets[b], 0, completionIds[b].length);
      Arrays.fill(mask[b], start, promptWidth + completionIds[b].length, 1);
    }
    checkBatch(ids, mask);
    return new CompletionBatch(ids, mask, targets, promptWidth, completionWidth);
  }

  private static void checkTemperature(double temperature) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
    }
  }

  /**
   * {@code log_softmax(logits / temperature)[token]} of every completion position, {@code [rows, completionWidth,
   * 1]}.
   */
  private NDArray gatherLogProbs(NDManager step, CompletionBatch batch, double temperature) {
    int rows = batch.ids.length;
    int width = batch.ids[0].length;
    // the logits at position promptWidth - 1 + j predict completion token j; only those are projected
    // A whole batch at once, and (in training) its backward pass, which runs under the same setting.
    NDArray logits = forward(step, batch.ids, batch.mask, positions(batch.mask, 0, width), null,
        batch.completionWidth + 1, batchThreads);
    NDArray predicting = logits.get(new NDIndex().addAllDim().addSliceDim(0, batch.completionWidth));
    if (temperature != 1.0) {
      predicting = predicting.div(GraphScalar.of(step, (float) temperature));  // TRL: logits / temperature, in the logits' dtype
    }
    NDArray index = step.create(flatten(batch.targets), new Shape(rows, batch.completionWidth, 1));
    return predicting.logSoftmax(-1).gather(index, 2);
  }

  /** Inverse-CDF draw from a distribution given as log-probabilities (-inf: never drawn). */
  private static int draw(double[] logp, SplittableRandom random) {
    double u = random.nextDouble();
    double cumulative = 0;
    int lastPossible = -1;
    for (int i = 0; i < logp.length; i++) {
      if (logp[i] == Double.NEGATIVE_INFINITY) {
        continue;
      }
      cumulative += Math.exp(logp[i]);
      lastPossible = i;
      if (u < cumulative) {
        return i;
      }
    }
    return lastPossible;  // u fell past a total that rounding left just under 1
  }

  @Override
  public void close() {
    detach();
    manager.close();
  }

  /** Keys and values of every layer for the positions seen so far, and the attention mask over them. */
  private static final class Cache {
    final NDManager manager;
    final NDArray[] keys;
    final NDArray[] values;
    long[][] mask;

    Cache(NDManager manager, int layers, long[][] mask) {
      this.manager = manager;
      this.keys = new NDArray[layers];
      this.values = new NDArray[layers];
      this.mask = mask;
    }

    /**
     * Copies each row of keys, values and mask to {@code n} consecutive rows (row {@code p} becomes rows
     * {@code p * n .. p * n + n - 1}: the samples of prompt {@code p}).
     */
    void replicate(int n) {
      for (NDArray[] slots : List.of(keys, values)) {
        for (int i = 0; i < slots.length; i++) {
          NDArray copied = slots[i].repeat(0, n);
          copied.attach(manager);
          slots[i].close();
          slots[i] = copied;
        }
      }
      long[][] grown = new long[mask.length * n][];
      for (int b = 0; b < grown.length; b++) {
        grown[b] = mask[b / n].clone();
      }
      mask = grown;
    }

    /** Extends the mask by one real token per row, for the next step's input. */
    void append() {
      long[][] grown = new long[mask.length][];
      for (int b = 0; b < mask.length; b++) {
        grown[b] = Arrays.copyOf(mask[b], mask[b].length + 1);
        grown[b][mask[b].length] = 1;
      }
      mask = grown;
    }

    NDArray extend(NDArray[] slots, int layer, NDArray fresh) {
      NDArray old = slots[layer];
      NDArray all = old == null ? fresh : NDArrays.concat(new NDList(old, fresh), 2);
      all.attach(manager);
      if (old != null) {
        old.close();
      }
      slots[layer] = all;
      return all;
    }
  }

  /**
   * Runs the decoder over {@code ids} ({@code [rows][length]}, the last {@code length} positions of {@code mask});
   * with a cache, earlier positions come from it and the new keys/values are appended to it. Returns the logits of
   * the last {@code projected} positions, or of all with {@link #ALL}.
   *
   * <p>For a small model the cost is the number of native calls, not arithmetic (a DJL op costs a few microseconds
   * however small its operands), so this is written to issue few of them: constants are made once, rotary tables
   * are sliced from a cached table, no mask is added when nothing is masked, and grouped-query attention reads each
   * key/value head once instead of repeating it per query head.
   */
  private NDArray forward(NDManager step, long[][] ids, long[][] mask, long[][] positions, Cache cache,
      int projected) {
    return forward(step, ids, mask, positions, cache, projected, threads);
  }

  /** {@link #forward(NDManager, long[][], long[][], long[][], Cache, int)} with {@code intraOpThreads} threads. */
  private NDArray forward(NDManager step, long[][] ids, long[][] mask, long[][] positions, Cache cache,
      int projected, int intraOpThreads) {
    if (appliedThreads != intraOpThreads) {
      JniUtils.setNumThreads(intraOpThreads);
      appliedThreads = intraOpThreads;
    }
    int rows = ids.length;
    int length = ids[0].length;
    int total = mask[0].length;
    int heads = config.heads();
    int kvHeads = config.kvHeads();
    int groups = heads / kvHeads;
    int d = config.headDim();
    NDArray idArray = step.create(flatten(ids), new Shape((long) rows * length));
    NDArray x = embedding.get(new NDIndex("{}", idArray));
    x.attach(step);  // results belong to their first operand's manager, here the model's
    x = x.reshape(rows, length, config.hiddenSize());
    NDArray[] rope = rotary(step, positions);
    NDArray bias = maskBias(step, mask, length);
    for (int i = 0; i < layers.length; i++) {
      Layer layer = layers[i];
      NDArray normed = rmsNorm(x, layer.inputNorm);
      // rotary on [rows, length, heads, d] (a view of the projection), so that x @ rotation is one plain matmul;
      // Qwen3's per-head q/k norms come first, as in transformers
      NDArray q = applyRotary(headNorm(project(normed, layer.qT, layer.qBias, i, Q).reshape(rows, length, heads, d),
          layer.qNorm), rope).transpose(0, 2, 1, 3);
      NDArray k = applyRotary(headNorm(project(normed, layer.kT, layer.kBias, i, K).reshape(rows, length, kvHeads, d),
          layer.kNorm), rope).transpose(0, 2, 1, 3);
      NDArray v = project(normed, layer.vT, layer.vBias, i, V).reshape(rows, length, kvHeads, d)
          .transpose(0, 2, 1, 3);
      if (cache != null) {
        k = cache.extend(cache.keys, i, k);
        v = cache.extend(cache.values, i, v);
      }
      // Grouped-query attention without repeat_kv: query head j reads key/value head j / groups, so the queries of
      // one key/value head are stacked into one matrix, [rows, kvHeads, groups * length, d], and multiplied with
      // that head's keys and values once. Same dot products as transformers' repeat_kv, no copies of K and V.
      NDArray grouped = groups == 1 ? q : q.reshape(rows, kvHeads, (long) groups * length, d);
      NDArray scores = grouped.matMul(k.transpose(0, 1, 3, 2)).reshape(rows, heads, length, total).mul(scale);
      if (bias != null) {
        scores = scores.add(bias);
      }
      NDArray weights = scores.softmax(-1);
      if (groups != 1) {
        weights = weights.reshape(rows, kvHeads, (long) groups * length, total);
      }
      NDArray attended = weights.matMul(v).reshape(rows, heads, length, d).transpose(0, 2, 1, 3)
          .reshape(rows, length, heads * d);
      x = x.add(project(attended, layer.oT, null, i, O));
      NDArray post = rmsNorm(x, layer.postNorm);
      NDArray gate = project(post, layer.gateT, null, i, GATE);
      NDArray up = project(post, layer.upT, null, i, UP);
      x = x.add(project(Activation.sigmoid(gate).mul(gate).mul(up), layer.downT, null, i, DOWN));
    }
    if (projected != ALL) {
      // the LM head is the widest matmul; skip the positions whose logits nobody reads
      x = x.get(new NDIndex().addAllDim().addSliceDim(length - projected, length));
    }
    return rmsNorm(x, finalNorm).matMul(lmHeadT);
  }

  /**
   * {@code x / sqrt(mean(x^2) + eps) * weight}; transformers multiplies by {@code rsqrt}, which differs from this
   * division by at most an ulp and costs one more op here.
   */
  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray variance = x.square().mean(new int[] {-1}, true);
    return x.div(variance.add(eps).sqrt()).mul(weight);
  }

  /**
   * {@code x W^T + bias}, plus the LoRA term {@code scaling * B (A dropout(x))} where an enabled adapter targets this
   * projection, in PEFT's order of operations. Dropout acts only in a training pass ({@link #loraDropout} set).
   */
  private NDArray project(NDArray x, NDArray weightT, NDArray bias, int layer, int module) {
    NDArray y = linear(x, weightT, bias);
    if (!adapterEnabled || loraA[layer][module] == null) {
      return y;
    }
    NDArray in = loraDropout == null ? x : dropout(x, adapter.config().dropout());
    NDArray delta = in.matMul(loraA[layer][module].transpose()).matMul(loraB[layer][module].transpose());
    return y.add(delta.mul(loraScaling));
  }

  /** Inverted dropout: each element kept with probability 1 - p and scaled by 1 / (1 - p), else zeroed. */
  private NDArray dropout(NDArray x, double p) {
    float[] keep = new float[Math.toIntExact(x.size())];
    float scale = (float) (1.0 / (1.0 - p));
    for (int i = 0; i < keep.length; i++) {
      keep[i] = loraDropout.nextDouble() < p ? 0f : scale;
    }
    return x.mul(x.getManager().create(keep, x.getShape()));
  }

  /** Qwen3's RMSNorm over each head's width (identity where the architecture has none). */
  private NDArray headNorm(NDArray heads, NDArray weight) {
    return weight == null ? heads : rmsNorm(heads, weight);
  }

  private static NDArray linear(NDArray x, NDArray weightT, NDArray bias) {
    NDArray y = x.matMul(weightT);
    return bias == null ? y : y.add(bias);
  }

  /**
   * cos and sin for {@code positions}, each {@code [rows, length, 1, headDim]} (or {@code [1, length, 1, headDim]}
   * when every row has the same consecutive positions, the case without padding), taken from the cached tables.
   */
  private NDArray[] rotary(NDManager step, long[][] positions) {
    int rows = positions.length;
    int length = positions[0].length;
    long first = positions[0][0];
    long last = first;
    boolean consecutive = true;
    for (long[] row : positions) {
      for (int l = 0; l < length; l++) {
        consecutive &= row[l] == first + l;
        last = Math.max(last, row[l]);
      }
    }
    rotaryTables(last + 1);
    NDArray[] out = new NDArray[2];
    NDArray[] tables = {cosTable, sinTable};
    NDArray index = consecutive ? null : step.create(flatten(positions), new Shape((long) rows * length));
    for (int t = 0; t < 2; t++) {
      NDArray picked = consecutive ? tables[t].get(new NDIndex().addSliceDim(first, first + length))
          : tables[t].get(new NDIndex("{}", index));
      picked.attach(step);  // a slice of the model's table belongs to the model's manager until attached
      out[t] = picked.reshape(consecutive ? 1 : rows, length, 1, config.headDim());
    }
    return out;
  }

  /**
   * Makes the cos/sin tables cover positions {@code [0, needed)}, doubling them when they do not; the values are the
   * ones transformers computes (angle = inv_freq * position in F32, then cos/sin), each frequency used for both
   * halves of the head.
   */
  private void rotaryTables(long needed) {
    long have = cosTable == null ? 0 : cosTable.getShape().get(0);
    if (needed <= have) {
      return;
    }
    int count = (int) Math.max(needed, Math.max(2 * have, 256));
    int d = config.headDim();
    int half = d / 2;
    float[] cos = new float[count * d];
    float[] sin = new float[count * d];
    for (int p = 0; p < count; p++) {
      for (int j = 0; j < half; j++) {
        // transformers multiplies in F32 before taking cos/sin; so does this
        float angle = invFreq[j] * (float) p;
        float c = (float) Math.cos(angle);
        float s = (float) Math.sin(angle);
        cos[p * d + j] = c;
        cos[p * d + j + half] = c;
        sin[p * d + j] = s;
        sin[p * d + j + half] = s;
      }
    }
    if (cosTable != null) {
      cosTable.close();
      sinTable.close();
    }
    cosTable = manager.create(cos, new Shape(count, d));
    sinTable = manager.create(sin, new Shape(count, d));
  }

  /** x * cos + rotate_half(x) * sin, where rotate_half(x) = concat(-x2, x1) over the halves of the head. */
  private NDArray applyRotary(NDArray x, NDArray[] rope) {
    return x.mul(rope[0]).add(x.matMul(rotation).mul(rope[1]));
  }

  /**
   * Additive attention bias, 0 where query may read key, else {@link #MASKED}: {@code [rows, 1, length, total]}, or
   * {@code [1, 1, length, total]} without padding, or null when nothing is masked (one new position per row, no
   * padding: the last query reads every key), which saves an op per layer in decoding.
   */
  private static NDArray maskBias(NDManager step, long[][] mask, int length) {
    int total = mask[0].length;
    boolean padded = false;
    for (long[] row : mask) {
      for (long m : row) {
        padded |= m == 0;
      }
    }
    if (!padded && length == 1) {
      return null;
    }
    int rows = padded ? mask.length : 1;
    int past = total - length;
    float[] out = new float[rows * length * total];
    for (int b = 0; b < rows; b++) {
      for (int l = 0; l < length; l++) {
        int base = (b * length + l) * total;
        for (int k = 0; k < total; k++) {
          boolean visible = k <= past + l && mask[b][k] != 0;
          out[base + k] = visible ? 0f : MASKED;
        }
      }
    }
    return step.create(out, new Shape(rows, 1, length, total));
  }

  /** Position ids for the last {@code length} of {@code mask}'s columns: tokens counted from 0, padding at 1. */
  private static long[][] positions(long[][] mask, int from, int length) {
    long[][] out = new long[mask.length][length];
    for (int b = 0; b < mask.length; b++) {
      long seen = 0;
      for (int k = 0; k < from + length; k++) {
        seen += mask[b][k] != 0 ? 1 : 0;
        if (k >= from) {
          out[b][k - from] = mask[b][k] != 0 ? seen - 1 : 1;
        }
      }
    }
    return out;
  }

  private void checkBatch(long[][] ids, long[][] mask) {
    if (ids.length == 0 || ids[0].length == 0) {
      throw new IllegalArgumentException("empty batch");
    }
    if (mask.length != ids.length) {
      throw new IllegalArgumentException("attention mask has " + mask.length + " rows, ids " + ids.length);
    }
    for (int b = 0; b < ids.length; b++) {
      if (ids[b].length != ids[0].length || mask[b].length != ids[b].length) {
        throw new IllegalArgumentException("row " + b + ": rows of ids and mask must all have one length");
      }
      for (long id : ids[b]) {
        if (id < 0 || id >= config.vocabSize()) {
          throw new IllegalArgumentException("row " + b + ": token id " + id + " outside vocabulary of "
              + config.vocabSize());
        }
      }
    }
  }

  private static long[][] ones(long[][] ids) {
    long[][] out = new long[ids.length][];
    for (int b = 0; b < ids.length; b++) {
      out[b] = new long[ids[b].length];
      Arrays.fill(out[b], 1);
    }
    return out;
  }

  private static long[] flatten(long[][] rows) {
    return Arrays.stream(rows).flatMapToLong(Arrays::stream).toArray();
  }

  private static float[][][] split(float[] flat, int rows, int length, int vocab) {
    float[][][] out = new float[rows][length][];
    for (int b = 0; b < rows; b++) {
      for (int l = 0; l < length; l++) {
        int from = (b * length + l) * vocab;
        out[b][l] = Arrays.copyOfRange(flat, from, from + vocab);
      }
    }
    return out;
  }

  private static int argMax(float[] values, int from, int count) {
    int best = 0;
    for (int i = 1; i < count; i++) {
      if (values[from + i] > values[from + best]) {
        best = i;
      }
    }
    return best;
  }

  private static NDArray tensor(NDManager manager, SafetensorsReader weights, String name, long... shape)
      throws ModelFormatException {
    return manager.create(weights.floats(name, shape), new Shape(shape));
  }

  /**
   * One thread for a narrow model (hidden size under 256), else one per core; the system property
   * {@code renderloop.model.threads} overrides both. Why: a narrow model's ops are too small for PyTorch to split,
   * yet its OpenMP workers wake and spin for each of them and compete with the JVM's JIT and GC threads; measured on
   * 2 cores with the 64-wide perf checkpoint, 64 greedy tokens took 26-28 ms with one thread and 30-230 ms (erratic)
   * with two, while the 768-wide one was 10-15 % slower with one thread.
   */
  static int intraOpThreads(ModelConfig config) {
    Integer forced = threadsProperty("renderloop.model.threads");
    if (forced != null) {
      return forced;
    }
    return config.hiddenSize() < 256 ? 1 : Runtime.getRuntime().availableProcessors();
  }

  /**
   * Intra-op threads for whole-batch passes (logits, log-probs, and the training pass with its backward): one per
   * core, or {@code renderloop.model.batchThreads}, or {@code renderloop.model.threads} where only that is set. Why:
   * unlike decoding's one-position steps, a batch of completions gives PyTorch ops large enough to split; measured
   * with {@code perf train} (a GRPO step of 32 completions on the 64-wide checkpoint, 2 cores), see the README.
   */
  static int batchThreads(int decodingThreads) {
    Integer forced = threadsProperty("renderloop.model.batchThreads");
    if (forced != null) {
      return forced;
    }
    return System.getProperty("renderloop.model.threads") != null ? decodingThreads
        : Runtime.getRuntime().availableProcessors();
  }

  /** The system property {@code name} as a positive thread count, or null when it is not set. */
  private static Integer threadsProperty(String name) {
    String value = System.getProperty(name);
    if (value == null) {
      return null;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // the error below
    }
    throw new IllegalArgumentException(name + " must be a positive integer, got '" + value + "'");
  }

  /** The PyTorch intra-op threads this model decodes with (see {@link #intraOpThreads}). */
  public int threads() {
    return threads;
  }

  /** The PyTorch intra-op threads of this model's whole-batch passes (see {@link #batchThreads}). */
  public int batchThreads() {
    return batchThreads;
  }

  /**
   * Loads the PyTorch engine without letting DJL reach the network: the native library must be on the class path
   * ({@link ModelRuntime}), else this throws {@link ModelRuntimeUnavailableException} before DJL looks for it.
   */
  static NDManager newManager() {
    ModelRuntime.requireInstalled();
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    return Engine.getEngine("PyTorch").newBaseManager(Device.cpu());
  }
}
