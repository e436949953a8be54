"""Times transformers on a checkpoint for `renderloop perf model` (the reference side of the benchmark).

Usage: python perf_model_reference.py MODEL_DIR IDS_FILE NEW_TOKENS [REPEAT [WARMUP_SECONDS]]
  IDS_FILE holds the prompt ids, comma-separated (one row). Prints one JSON object on stdout: prefill and
  generate seconds (each the median of REPEAT timed runs, default 1, after warm-up runs for
  WARMUP_SECONDS, default 0: at least one), the greedy ids, VmHWM and ru_maxrss and the versions used.
Needs torch and transformers; exits 3 with a message on stderr when either is missing.
"""
import json
import os
import resource
import sys
import time

try:
    import torch
    import transformers
    from transformers import AutoModelForCausalLM
except ImportError as e:  # reported by the caller as "reference unavailable"
    print(f"torch/transformers not importable: {e}", file=sys.stderr)
    sys.exit(3)


def vm_hwm_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def main():
    model_dir, ids_file, new_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3])
    repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    warmup_s = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    with open(ids_file) as f:
        ids = [int(t) for t in f.read().strip().split(",")]
    threads = os.cpu_count()
    torch.set_num_threads(threads)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    input_ids = torch.tensor([ids])
    mask = torch.ones_like(input_ids)

    def prefill():
        return model(input_ids=input_ids, attention_mask=mask).logits

    def generate():
        return model.generate(input_ids=input_ids, attention_mask=mask, do_sample=False,
                              max_new_tokens=new_tokens, min_new_tokens=new_tokens, eos_token_id=None,
                              pad_token_id=0)

    def median_seconds(run):
        times = []
        result = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - t0)
        times.sort()
        return times[len(times) // 2], result

    def warm_up(run):
        start = time.perf_counter()
        run()
        while time.perf_counter() - start < warmup_s:
            run()

    with torch.no_grad():
        warm_up(prefill)
        prefill_s, _ = median_seconds(prefill)
        warm_up(generate)
        generate_s, out = median_seconds(generate)
    print(json.dumps({
        "prefill_seconds": prefill_s,
        "generate_seconds": generate_s,
        "generated": out[0, len(ids):].tolist(),
        # Linux keeps ru_maxrss across execve, so a child of a big JVM reports the JVM's RSS at fork time;
        # VmHWM belongs to this process's own address space. Both are reported.
        "vm_hwm_kib": vm_hwm_kib(),
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,  # KiB on Linux
        "threads": threads,
        "attn_implementation": model.config._attn_implementation,
        "versions": f"torch {torch.__version__}, transformers {transformers.__version__}",
    }))


if __name__ == "__main__":
    main()
