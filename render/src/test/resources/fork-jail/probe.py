"""ForkServerJailIT's probe: a fork server (fork_server.c preloaded into this interpreter, "main" mode)
serves one jailed request whose program is Python reporting what it can see and do, as JSON.

Usage: python3 -I -B probe.py PACKAGE_PARENT SCRATCH
Prints one JSON line: {"skip": reason} where jobs cannot be isolated here, else the facts.
"""
import json
import os
import shutil
import subprocess
import sys
import time

package_parent, scratch = sys.argv[1], sys.argv[2]
sys.path.insert(0, package_parent)
from renderloop_worker.isolation import JobIsolation, seccomp_program_bytes  # noqa: E402
from renderloop_worker.tikz_driver import Driver, ForkServer  # noqa: E402

jobs = os.path.join(scratch, "jobs")
job = os.path.join(jobs, "job-1")
os.makedirs(job)
os.makedirs(os.path.join(jobs, "job-other"))
with open(os.path.join(job, "input.txt"), "w") as f:
    f.write("hello")
with open(os.path.join(jobs, "job-other", "secret.txt"), "w") as f:
    f.write("secret")
isolation = JobIsolation(jobs).probe()
if not isolation.enabled:
    print(json.dumps({"skip": isolation.missing}))
    sys.exit(0)
library, note = Driver.build_fork_library(scratch)
if library is None:
    print(json.dumps({"skip": note}))
    sys.exit(0)
with open(os.path.join(scratch, "seccomp.bpf"), "wb") as f:
    f.write(seccomp_program_bytes())
server_dir = os.path.join(scratch, "server")
os.makedirs(server_dir)
env = dict(os.environ, RENDERLOOP_FORK_JAIL=jobs, RENDERLOOP_FORK_SECCOMP=os.path.join(scratch, "seccomp.bpf"))
host_tmp = "/tmp/renderloop-jail-probe-%d" % os.getpid()  # the job's /tmp is its own: this never reaches the host's
server = ForkServer("probe", library, "main", [sys.executable, "-I", "-B"], server_dir, env)
program = r'''
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
facts = {"pid": os.getpid(), "jobs_root": sorted(os.listdir(%(jobs)r)), "cwd": os.getcwd(),
         "input": open("input.txt").read(), "tmp_entries": sorted(os.listdir("/tmp"))}
facts["ptrace_errno"] = 0 if libc.ptrace(16, %(server)d, 0, 0) == 0 else ctypes.get_errno()
facts["kill_server_errno"] = 0 if libc.kill(%(server)d, 0) == 0 else ctypes.get_errno()
facts["server_in_proc"] = os.path.exists("/proc/%(server)d")
for name, path in (("scratch_write", %(scratch)r + "/planted"), ("tmp_write", %(host_tmp)r)):
    try:
        open(path, "w").write("x")
        facts[name] = "ok"
    except OSError as e:
        facts[name] = e.strerror
facts["cap_eff"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0]
open("made.txt", "w").write("made")
print(json.dumps(facts))
''' % {"jobs": jobs, "server": server.process.pid, "scratch": scratch, "host_tmp": host_tmp}
settings = {"cpu_seconds": 20, "memory_bytes": 2 << 30, "max_file_bytes": 1 << 22, "max_open_files": 64,
            "max_output_bytes": 16 << 20}
answer = server.request(job, settings, ["facts.json", "-c", "exec(bytes.fromhex(%r).decode())" % program.encode().hex()],
                        time.monotonic() + 60) if server.ready else None
server.stop()
result = {"ready": server.ready, "answer": answer, "files": sorted(os.listdir(job))}
try:
    result["facts"] = json.loads(open(os.path.join(job, "facts.json")).read())
except (OSError, ValueError) as e:
    result["facts_error"] = str(e)
result["made"] = open(os.path.join(job, "made.txt")).read() if os.path.exists(os.path.join(job, "made.txt")) else None
result["scratch_planted"] = os.path.exists(os.path.join(scratch, "planted"))
result["host_tmp_planted"] = os.path.exists(host_tmp)
print(json.dumps(result))
