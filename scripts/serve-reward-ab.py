"""An A/B of one worker switch under the reward service: two `./renderloop serve-reward --warm matplotlib` replicas on
loopback, B with the environment variables given, sent batches of 8 chart candidates in turn (A then B, then B then A,
...), each after the same pause. Prints each replica's median batch time and the median of the per-pair differences.
The README's figures for keeping finished job processes stopped (RENDERLOOP_FINISHED_JOBS=off as B) come from this.
A diagnostic beside `perf serve-reward`: two replicas measured at the same moments of a VM whose speed moves by
20-30 % within minutes, which one command's rounds cannot separate from the change.

Usage: /usr/bin/python3 scripts/serve-reward-ab.py [--pairs 40] [--pause 1.5] [--b-env RENDERLOOP_FINISHED_JOBS=off]
       [--b-arg=--workers --b-arg=3 ...]   (arguments of B's serve-reward; with them and no --b-env, B's environment is A's)
       [--a-launcher /tmp/A/renderloop]   (A from another build: a copy of an earlier checkout's launcher, its
       scripts/java-home.sh and cli/target/renderloop.jar; then B's environment is A's unless --b-env says otherwise)
(run from the repository root after a build; ~2 minutes for 40 pairs; ports 18781 and 18782 on 127.0.0.1)
"""
import argparse
import json
import os
import statistics
import subprocess
import time
import urllib.request

PLOT = "import matplotlib.pyplot as plt\nplt.bar(['a', 'b', 'c'], [3, 1, 2], color='tab:green')\nplt.title('sales')\n"


def batch(serial):
    """8 unique candidates (a per-run tag, so no render cache answers them) against one reference."""
    items = []
    for i in range(8):
        n = next(serial)
        code = PLOT.replace("[3, 1, 2]", "[3, 1, %d]" % (1 + n % 4)) + "# %d %f\n" % (n, time.time())
        items.append({"id": "i%d" % i, "domain": "matplotlib", "answer": "```python\n" + code + "```",
                      "reference_code": PLOT})
    return json.dumps({"items": items}).encode()


WORKER_MILLIS = {}  # port -> the worker's own time of each item's job (render.render_ms)


def post(port, serial):
    """One batch; its wall time in ms. Fails unless every item was scored."""
    request = urllib.request.Request("http://127.0.0.1:%d/v1/score" % port, data=batch(serial),
                                     headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    answer = json.loads(urllib.request.urlopen(request, timeout=120).read())
    elapsed = (time.perf_counter() - start) * 1000
    bad = [it for it in answer["items"] if it.get("status") != "scored"]
    if bad:
        raise SystemExit("not scored: %s" % json.dumps(bad)[:500])
    WORKER_MILLIS.setdefault(port, []).extend(it["render"]["render_ms"] for it in answer["items"])
    return elapsed


def start(port, env_set, extra=(), launcher="./renderloop"):
    env = dict(os.environ, **env_set)
    process = subprocess.Popen([launcher, "serve-reward", "--port", str(port), "--warm", "matplotlib", *extra], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=2)
            return process
        except OSError:
            time.sleep(1)
    process.kill()
    raise SystemExit("replica on port %d not ready in 120 s" % port)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--pause", type=float, default=1.5, help="seconds before each batch")
    parser.add_argument("--b-env", action="append", default=[], help="NAME=VALUE for replica B (repeatable)")
    parser.add_argument("--b-arg", action="append", default=[], help="an argument of replica B's serve-reward (repeatable)")
    parser.add_argument("--a-launcher", default="./renderloop", help="replica A's launcher (another build)")
    args = parser.parse_args()
    b_env = dict(e.split("=", 1) for e in args.b_env) or (
        {} if args.b_arg or args.a_launcher != "./renderloop" else {"RENDERLOOP_FINISHED_JOBS": "off"})
    serial = iter(range(1 << 62))
    replicas = {"A": 18781, "B": 18782}
    processes = [start(replicas["A"], {}, launcher=args.a_launcher), start(replicas["B"], b_env, args.b_arg)]
    try:
        for port in replicas.values():
            for _ in range(3):  # warm: JIT, spares learned for the batch's size
                post(port, serial)
                time.sleep(args.pause)
        WORKER_MILLIS.clear()
        times = {"A": [], "B": []}
        for i in range(args.pairs):
            for name in (("A", "B") if i % 2 == 0 else ("B", "A")):
                time.sleep(args.pause)
                times[name].append(post(replicas[name], serial))
        print("A: %s; B: ./renderloop %s %s; %d pairs, %.1f s apart" % (args.a_launcher, b_env, " ".join(args.b_arg), args.pairs, args.pause))
        for name, values in times.items():
            values = sorted(values)
            print("%s median %.0f ms (p25 %.0f, p75 %.0f); its workers' own time per job (render.render_ms) median %.0f ms"
                  % (name, statistics.median(values), values[len(values) // 4], values[3 * len(values) // 4],
                     statistics.median(WORKER_MILLIS[replicas[name]])))
        print("median of B - A per pair: %.0f ms" % statistics.median(b - a for a, b in zip(times["A"], times["B"])))
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)


if __name__ == "__main__":
    main()
