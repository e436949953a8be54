"""The render side of a reward batch without the service: two matplotlib workers of this checkout (the worker package
under render/src/main/resources, Debian's python3, no JVM, no bubblewrap) driven over their own protocol, 4 chart jobs
each at the service's size (640x480, 100 dpi), each round after the same pause as `scripts/serve-reward-ab.py`. Prints
the jobs' own times (the worker's `millis`: a job process started, run and collected) and each round's wall time.
A diagnostic for where a batch of 8 goes: set beside a `serve-reward` replica's worker times in the same minutes, it
says what the sandbox and the Java side add to a job (README, the reward service).

Usage: /usr/bin/python3 scripts/worker-batch-floor.py [--rounds 12] [--pause 1.5] [--size 640x480]
(run from the repository root; ~30 s; its job directories in a temporary directory, removed at the end)
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PLOT = "import matplotlib.pyplot as plt\nplt.bar(['a', 'b', 'c'], [3, 1, %d], color='tab:green')\nplt.title('sales')\n"
PACKAGE = os.path.join("render", "src", "main", "resources", "dev", "renderloop", "render")


class Worker:
    def __init__(self, root):
        self.root, self.serial = root, 0
        # malloc as the launcher sets it for its workers (PythonWorker.MALLOC_TUNABLES): the spares' heap reserve needs it.
        env = dict(os.environ, GLIBC_TUNABLES="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456")
        self.process = subprocess.Popen([sys.executable, "-I", os.path.join(PACKAGE, "renderloop_worker", "worker.py"),
                                         "--driver", "matplotlib", "--jobs-root", root],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        ready = json.loads(self.process.stdout.readline())
        if ready.get("type") != "ready":
            raise SystemExit("the worker did not start: %s" % ready)

    def job(self, code, settings):
        self.serial += 1
        job_dir = os.path.join(self.root, "j%d" % self.serial)
        os.makedirs(job_dir)
        with open(os.path.join(job_dir, "scene.py"), "w") as f:
            f.write(code)
        self.process.stdin.write(json.dumps({"type": "render", "id": job_dir, "job_dir": job_dir, "settings": settings}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        if answer.get("status") != "ok":
            raise SystemExit("a job failed: %s" % json.dumps(answer)[:500])
        shutil.rmtree(job_dir)
        return answer["millis"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--pause", type=float, default=1.5)
    parser.add_argument("--size", default="640x480")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    settings = {"width": width, "height": height, "dpi": 100, "timeout_seconds": 60, "max_output_bytes": 64 << 20,
                "cpu_seconds": 30, "memory_bytes": 2 << 30}
    scratch = tempfile.mkdtemp(prefix="worker-batch-floor-")
    workers = []
    try:
        for k in range(2):
            os.makedirs(os.path.join(scratch, "w%d" % k))
            workers.append(Worker(os.path.join(scratch, "w%d" % k)))
        millis, walls = [], []
        for round_ in range(args.rounds):
            time.sleep(args.pause)
            found = [[] for _ in workers]

            def run(worker, out, first):
                for i in range(4):
                    out.append(worker.job(PLOT % (first + i) + "# %d\n" % round_, settings))

            threads = [threading.Thread(target=run, args=(w, out, 2 * k)) for k, (w, out) in enumerate(zip(workers, found))]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if round_ >= 2:  # the first rounds learn the spares' size
                walls.append((time.perf_counter() - start) * 1000)
                millis += found[0] + found[1]
        print("2 workers x 4 jobs at %dx%d, %d rounds %.1f s apart: job millis median %.0f (mean %.1f), round wall median %.0f ms"
              % (width, height, len(walls), args.pause, statistics.median(millis), statistics.mean(millis), statistics.median(walls)))
    finally:
        for w in workers:
            w.process.stdin.close()
            w.process.wait(30)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
