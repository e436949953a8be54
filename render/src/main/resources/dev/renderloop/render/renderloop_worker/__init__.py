"""RenderLoop render worker: a warm Python parent that renders each job in a forked child.

Design
------
The parent imports the domain library once (manim, matplotlib: the expensive part, ~0.75 s for
manim) and never runs model-written code itself. Each job is rendered in a child forked from that
warm parent, so the import is paid once while every job starts from the same pristine state:
class defaults, sys.modules, fonts and monkey-patches set by one job die with its child.

The child puts itself in a new session (its own process group), sends its stdout/stderr to a
per-job log, applies resource limits (address space, CPU time, file size, process count, open
files), seeds the RNGs, compiles and runs the code inside the domain driver, and writes a small
JSON result file. The parent waits for it with a wall-clock deadline; on expiry it kills the
child's process group. Because the parent is a child subreaper, anything a job left behind
(daemonised grandchildren, LaTeX, a fork bomb that escaped the group with setsid) is re-parented
to it and killed and reaped before the next job starts: no orphan survives a job.

Protocol (one JSON object per line): the parent writes {"type": "ready", ...} once, then answers
each {"type": "render", "id", "job_dir", "settings"} (the code is in job_dir/scene.py) with one
{"type": "result", ...} line, and {"type": "ping"} with {"type": "pong"}. File descriptor 1 is
reserved for the protocol; anything printed elsewhere is redirected to stderr.

A driver whose jobs run no code of the job's in this process may do them here, without a job
child (render_in_parent: the tikz driver for documents its fork servers typeset and rasterise,
each job in a fresh fork of a server, under the job's limits); the deadline and the cleanup after
the job are the same.

Modules
-------
- worker.py: the entry point (python -I .../renderloop_worker/worker.py --driver NAME ...).
- core: the protocol, the job loop (deadline, classification of a job's end) and the cleanup after
  each job; loads the driver.
- job: the job process: limits, environment, seeding, running the driver, writing the result.
- isolation: what a job can reach: its namespaces, file system (one bounded tmpfs), seccomp filter,
  capabilities, and the copy of its files back to the real job directory.
- warm_pages: the parent's pages a typical job writes (learned at warm-up from a driver's
  sample_job() in a forked child), copied into each job process in a few madvise calls instead of
  one page fault each; only timing changes.
- spares: spare job processes, made while the worker is idle, each a job process with everything
  built that does not depend on the job (see the module); a job that comes starts in one. And
  finished job processes, stopped once their result is in and ended while the worker is idle
  (FinishedJobs; core.stop_finished decides which may wait).
- base: what drivers share with the core (file names, RenderError, run_module, read_job_file).
- <name>_driver: one module per domain, each defining `Driver` (warm() in the parent, render() in a
  job child; optionally sample_job(), a typical job's work for warm_pages); `--driver NAME[:ARGUMENT]` loads renderloop_worker.NAME_driver, so a new domain is one
  file. The tikz driver's fork servers are preloaded with fork_server.c, compiled at warm-up.

Only the standard library is used here; a driver imports its library lazily (in warm()).
"""
