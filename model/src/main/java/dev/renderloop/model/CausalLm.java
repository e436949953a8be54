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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A Qwen2- or Llama-family decoder loaded from a Hugging Face model directory and run in this JVM on DJL's PyTorch
 * engine (F32 on the CPU). It computes what {@code transformers}' {@code *ForCausalLM} computes: token embeddings,
 * pre-norm decoder layers (RMSNorm, rotary embeddings in the "rotate_half" convention, grouped-query causal
 * attention, SwiGLU MLP), a final RMSNorm and a tied or untied LM head.
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

  private final ModelConfig config;
  private final NDManager manager;
  private final NDArray embedding;
  private final NDArray lmHeadT;
  private final NDArray finalNorm;
  private final Layer[] layers;
  private final float[] invFreq;

  private record Layer(NDArray inputNorm, NDArray qT, NDArray qBias, NDArray kT, NDArray kBias, NDArray vT,
      NDArray vBias, NDArray oT, NDArray postNorm, NDArray gateT, NDArray upT, NDArray downT) {}

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
  }

  /**
   * Loads {@code dir} ({@code config.json} and {@code model.safetensors} or its shards with
   * {@code model.safetensors.index.json}); F16 and BF16 weights are widened to F32.
   *
   * @throws ModelFormatException when a file is missing, the architecture is not supported, a weights file is
   *     truncated or a tensor is missing or has a shape the config does not imply; the message names the file and
   *     the tensor
   */
  public static CausalLm load(Path dir) throws ModelFormatException {
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
            tensor(manager, weights, p + "mlp.down_proj.weight", h, m).transpose());
      }
      NDArray finalNorm = tensor(manager, weights, "model.norm.weight", h);
      return new CausalLm(config, manager, embedding, lmHeadT, finalNorm, layers);
    } catch (ModelFormatException | RuntimeException e) {
      manager.close();
      throw e;
    }
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
      NDArray logits = forward(step, inputIds, mask, positions(mask, 0, inputIds[0].length), null, ALL);
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
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    long[][] prompt = {promptIds};
    checkBatch(prompt, ones(prompt));
    int vocab = config.vocabSize();
    SplittableRandom root = new SplittableRandom(params.seed());
    SplittableRandom[] streams = new SplittableRandom[n];
    BitSet[] seen = new BitSet[n];
    for (int i = 0; i < n; i++) {
      streams[i] = root.split();
      seen[i] = new BitSet(vocab);
      for (long id : promptIds) {
        seen[i].set((int) id);
      }
    }
    int max = params.maxNewTokens();
    long[][] tokens = new long[n][max];
    float[][] logProbs = new float[n][max];
    float[][] rawLogProbs = new float[n][max];
    int[] lengths = new int[n];
    boolean[] eos = new boolean[n];
    boolean[] done = new boolean[n];
    try (NDManager cacheManager = manager.newSubManager()) {
      Cache cache = new Cache(cacheManager, config.layers(), ones(prompt));
      float[] last;
      try (NDManager scratch = cacheManager.newSubManager()) {
        last = forward(scratch, prompt, cache.mask, positions(cache.mask, 0, promptIds.length), cache, 1)
            .toFloatArray();
      }
      cache.replicate(n);
      long[][] next = new long[n][1];
      for (int t = 0; t < max; t++) {
        boolean running = false;
        for (int b = 0; b < n; b++) {
          if (done[b]) {
            continue;  // a finished row keeps being decoded with the batch; its output is ignored
          }
          int from = t == 0 ? 0 : b * vocab;  // the prefill ran the prompt once, for every row
          float[] raw = Arrays.copyOfRange(last, from, from + vocab);
          float[] processed = LogitsProcessors.apply(raw, seen[b], params);
          double[] logp = LogitsProcessors.logSoftmax(processed);
          int token = params.temperature() == 0 ? LogitsProcessors.argMax(processed) : draw(logp, streams[b]);
          tokens[b][t] = token;
          logProbs[b][t] = (float) logp[token];
          rawLogProbs[b][t] = (float) LogitsProcessors.logSoftmax(raw)[token];
          lengths[b] = t + 1;
          seen[b].set(token);
          next[b][0] = token;
          eos[b] = params.eosTokenIds().contains((long) token);
          done[b] = eos[b] || stop.stop(b, Arrays.copyOf(tokens[b], t + 1));
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
    List<Sample> out = new ArrayList<>(n);
    for (int b = 0; b < n; b++) {
      out.add(new Sample(Arrays.copyOf(tokens[b], lengths[b]), Arrays.copyOf(logProbs[b], lengths[b]),
          Arrays.copyOf(rawLogProbs[b], lengths[b]), eos[b]));
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
    float[][] out = new float[rows][];
    if (completionWidth == 0) {
      for (int b = 0; b < rows; b++) {
        out[b] = new float[0];
      }
      return out;
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
    float[] flat;
    try (NDManager step = manager.newSubManager()) {
      // the logits at position promptWidth - 1 + j predict completion token j; only those are projected
      NDArray logits = forward(step, ids, mask, positions(mask, 0, width), null, completionWidth + 1);
      NDArray predicting = logits.get(new NDIndex(":, :-1, :"));
      NDArray index = step.create(flatten(targets), new Shape(rows, completionWidth, 1));
      flat = predicting.logSoftmax(-1).gather(index, 2).toFloatArray();
    }
    for (int b = 0; b < rows; b++) {
      out[b] = Arrays.copyOfRange(flat, b * completionWidth, b * completionWidth + completionIds[b].length);
    }
    return out;
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

    /** Copies the single row of keys, values and mask to {@code n} rows (the samples of one prompt). */
    void replicate(int n) {
      for (NDArray[] slots : List.of(keys, values)) {
        for (int i = 0; i < slots.length; i++) {
          NDArray copied = slots[i].repeat(0, n);
          copied.attach(manager);
          slots[i].close();
          slots[i] = copied;
        }
      }
      long[][] grown = new long[n][];
      for (int b = 0; b < n; b++) {
        grown[b] = mask[0].clone();
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
   */
  private NDArray forward(NDManager step, long[][] ids, long[][] mask, long[][] positions, Cache cache,
      int projected) {
    int rows = ids.length;
    int length = ids[0].length;
    int total = mask[0].length;
    int heads = config.heads();
    int kvHeads = config.kvHeads();
    int d = config.headDim();
    NDArray idArray = step.create(flatten(ids), new Shape((long) rows * length));
    NDArray x = embedding.get(new NDIndex("{}", idArray));
    x.attach(step);
    x = x.reshape(rows, length, config.hiddenSize());
    NDArray[] rope = rotary(step, positions);
    NDArray bias = step.create(maskBias(mask, length), new Shape(rows, 1, length, total));
    float scale = (float) (1.0 / Math.sqrt(d));
    for (int i = 0; i < layers.length; i++) {
      Layer layer = layers[i];
      NDArray normed = rmsNorm(x, layer.inputNorm);
      NDArray q = linear(normed, layer.qT, layer.qBias).reshape(rows, length, heads, d).transpose(0, 2, 1, 3);
      NDArray k = linear(normed, layer.kT, layer.kBias).reshape(rows, length, kvHeads, d).transpose(0, 2, 1, 3);
      NDArray v = linear(normed, layer.vT, layer.vBias).reshape(rows, length, kvHeads, d).transpose(0, 2, 1, 3);
      q = applyRotary(q, rope[0], rope[1]);
      k = applyRotary(k, rope[0], rope[1]);
      if (cache != null) {
        k = cache.extend(cache.keys, i, k);
        v = cache.extend(cache.values, i, v);
      }
      NDArray kAll = repeatKv(k, rows, total);
      NDArray vAll = repeatKv(v, rows, total);
      NDArray scores = q.matMul(kAll.transpose(0, 1, 3, 2)).mul(scale).add(bias);
      NDArray attended = scores.softmax(-1).matMul(vAll).transpose(0, 2, 1, 3).reshape(rows, length, heads * d);
      x = x.add(attended.matMul(layer.oT));
      NDArray post = rmsNorm(x, layer.postNorm);
      NDArray gate = post.matMul(layer.gateT);
      NDArray up = post.matMul(layer.upT);
      x = x.add(Activation.sigmoid(gate).mul(gate).mul(up).matMul(layer.downT));
    }
    if (projected != ALL) {
      // the LM head is the widest matmul; skip the positions whose logits nobody reads
      x = x.get(new NDIndex(":, -" + projected + ":, :"));
    }
    return rmsNorm(x, finalNorm).matMul(lmHeadT);
  }

  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray variance = x.square().mean(new int[] {-1}, true);
    return x.mul(variance.add((float) config.rmsNormEps()).sqrt().pow(-1)).mul(weight);
  }

  private static NDArray linear(NDArray x, NDArray weightT, NDArray bias) {
    NDArray y = x.matMul(weightT);
    return bias == null ? y : y.add(bias);
  }

  /** Grouped-query attention: query head j reads key/value head j / (heads / kvHeads), like transformers' repeat_kv. */
  private NDArray repeatKv(NDArray kv, int rows, int total) {
    int groups = config.heads() / config.kvHeads();
    if (groups == 1) {
      return kv;
    }
    return kv.expandDims(2).broadcast(new Shape(rows, config.kvHeads(), groups, total, config.headDim()))
        .reshape(rows, config.heads(), total, config.headDim());
  }

  /** cos and sin tables, {@code [rows, 1, length, headDim]}, with each frequency used for both halves. */
  private NDArray[] rotary(NDManager step, long[][] positions) {
    int rows = positions.length;
    int length = positions[0].length;
    int d = config.headDim();
    int half = d / 2;
    float[] cos = new float[rows * length * d];
    float[] sin = new float[rows * length * d];
    for (int b = 0; b < rows; b++) {
      for (int l = 0; l < length; l++) {
        int base = (b * length + l) * d;
        for (int j = 0; j < half; j++) {
          // transformers multiplies in F32 before taking cos/sin; so does this
          float angle = invFreq[j] * (float) positions[b][l];
          float c = (float) Math.cos(angle);
          float s = (float) Math.sin(angle);
          cos[base + j] = c;
          cos[base + j + half] = c;
          sin[base + j] = s;
          sin[base + j + half] = s;
        }
      }
    }
    Shape shape = new Shape(rows, 1, length, d);
    return new NDArray[] {step.create(cos, shape), step.create(sin, shape)};
  }

  /** x * cos + rotate_half(x) * sin, where rotate_half(x) = concat(-x2, x1) over the halves of the head. */
  private NDArray applyRotary(NDArray x, NDArray cos, NDArray sin) {
    int half = config.headDim() / 2;
    NDArray first = x.get(new NDIndex("..., :" + half));
    NDArray second = x.get(new NDIndex("..., " + half + ":"));
    NDArray rotated = NDArrays.concat(new NDList(second.neg(), first), -1);
    return x.mul(cos).add(rotated.mul(sin));
  }

  /** Additive attention bias {@code [rows, 1, length, total]}: 0 where query may read key, else {@link #MASKED}. */
  private static float[] maskBias(long[][] mask, int length) {
    int rows = mask.length;
    int total = mask[0].length;
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
    return out;
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

  /** Loads the PyTorch engine without letting DJL reach the network (the native library ships as a jar). */
  private static NDManager newManager() {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    return Engine.getEngine("PyTorch").newBaseManager(Device.cpu());
  }
}
