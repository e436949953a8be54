"""The job process: limits, environment and seeds, the driver's render, and the result file."""

import errno
import json
import os
# random (seeded per job) is used by every job child: imported here, once, because an import inside
# a forked child is paid again by every job.
import random
import resource
import select
import signal
import sys
import traceback

from .base import EXIT_RESULT_WRITTEN, FINISHED, LOG_FILE, RESULT_FILE, SCENE_FILE, RenderError, close_parent_only_fds
from .isolation import isolate_network

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def child_main(driver, job_dir, settings, proto_fd, isolate_net, notes=None, finished=None):
    """The job process: runs the program under the limits and writes the result. proto_fd is None
    when a keeper (isolate_job) started it: the keeper closed the protocol and made the session.
    finished, the write end of a cloned job's pipe to its parent: once the result is written it says
    so there and waits to be stopped (the parent ends it later, when idle: spares.FinishedJobs)."""
    close_parent_only_fds()  # (the clone and spare paths closed them already; the fork path not)
    warm_pages = getattr(driver, "warm_pages", None)
    if warm_pages is not None:
        warm_pages.populate()  # first: it only pays where the faults it saves are still to come
    if proto_fd is not None:
        os.setsid()
    job_pid = os.getpid()
    log_fd = os.open(os.path.join(job_dir, LOG_FILE), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    null_fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null_fd, 0)
    os.close(null_fd)
    if proto_fd is not None:
        os.close(proto_fd)
    notes = list(notes or [])
    if isolate_net:
        notes.extend(isolate_network())
    os.chdir(job_dir)
    tmp = os.path.join(job_dir, "tmp")
    os.makedirs(tmp, exist_ok=True)
    os.environ["HOME"] = job_dir
    os.environ["TMPDIR"] = tmp
    os.environ["XDG_CACHE_HOME"] = os.path.join(job_dir, ".cache")
    os.environ["TEXMFVAR"] = os.path.join(job_dir, ".texmf-var")
    apply_limits(settings)
    if os.getpid() == 1:
        act_on_signals_as_a_process_would(job_dir)
    seed = int(settings.get("seed", 0))
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)

    out_dir = os.path.join(job_dir, "out")
    os.makedirs(out_dir, exist_ok=True)
    result = {"status": "error"}
    try:
        with open(os.path.join(job_dir, SCENE_FILE), "rb") as f:
            source = f.read()
        if getattr(driver, "compiles_python", True):
            try:
                compiled = compile(source, SCENE_FILE, "exec", dont_inherit=True)
            except (SyntaxError, ValueError) as e:
                raise RenderError("syntax_error", clean_traceback(e, job_dir)) from None
        else:
            compiled = None
        result = dict(driver.render(compiled, settings, out_dir))
        result["status"] = "ok"
    except RenderError as e:
        result = {"status": "error", "error_kind": e.kind, "error": str(e)}
    except MemoryError as e:
        result = {"status": "error", "error_kind": "memory_limit",
                  "error": "MemoryError: the program exceeded its memory limit\n" + clean_traceback(e, job_dir)}
    except OSError as e:
        kind = "output_too_large" if e.errno in (errno.EFBIG, errno.ENOSPC, errno.EDQUOT) else "runtime_error"
        text = clean_traceback(e, job_dir)
        if e.errno == errno.EFBIG:
            text += "\n(the program exceeded the %d-byte file-size limit)" % int(settings.get("max_file_bytes", 0))
        elif e.errno == errno.EAGAIN:
            text += "\n(the program hit its limit of %d processes)" % int(settings.get("max_processes", 0))
        result = {"status": "error", "error_kind": kind, "error": text}
    except SystemExit as e:
        result = {"status": "error", "error_kind": "runtime_error",
                  "error": "the program called exit(%r) before anything was rendered" % (e.code,)}
    except BaseException as e:  # noqa: B902 - everything the model's code raises is data
        result = {"status": "error", "error_kind": "runtime_error", "error": clean_traceback(e, job_dir)}
    if os.getpid() != job_pid:
        # A process the program forked came back out of its code: only the job process reports.
        os._exit(0)
    if notes:
        result["notes"] = notes
    write_result(job_dir, result)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # the log may be at its size limit; the result is already written
    if finished is not None:
        report_finished(finished)
    os._exit(EXIT_RESULT_WRITTEN)


# How long a finished job process waits for its parent to stop it before it exits by itself (the
# parent stops it within milliseconds; this only bounds a parent that never reads the pipe).
FINISHED_WAIT_SECONDS = 5


def report_finished(finished):
    """Tells the parent the result is written, then waits: the parent stops this process and ends
    it when the worker is idle, so tearing down its memory (a few ms) is not paid while a batch
    waits. Whatever the parent does, the result is already on disk."""
    try:
        os.write(finished, FINISHED)
    except OSError:
        return
    select.select([], [], [], FINISHED_WAIT_SECONDS)


# Signals whose default action ends a process, and that pid 1 of a PID namespace (the isolated job
# process) ignores while their action is the default: sent by the program to itself, by the kernel
# for its CPU-time limit or its alarm.
ENDING_SIGNALS = ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGVTALRM", "SIGPROF",
                  "SIGXCPU", "SIGPOLL", "SIGPWR", "SIGSTKFLT", "SIGTRAP", "SIGSYS")


def act_on_signals_as_a_process_would(job_dir):
    """The job process is pid 1 of its PID namespace, which the kernel protects from its own
    signals: `os.kill(os.getpid(), signal.SIGTERM)` or a CPU-time limit would be ignored and the job
    would run on to its deadline. Here such a signal, or SIGKILL sent to itself, ends the job with
    the result a process killed by it gets (a program's own handlers replace these, as usual)."""
    def ended_by(signum):
        name = signal.Signals(signum).name
        if signum == signal.SIGXCPU:
            result = {"status": "error", "error_kind": "timeout", "error": "the program exceeded its CPU-time limit (%d s)"
                      % resource.getrlimit(resource.RLIMIT_CPU)[0]}
        else:
            result = {"status": "error", "error_kind": "runtime_error", "error": "the program was killed by signal " + name}
        write_result(job_dir, result)
        os._exit(EXIT_RESULT_WRITTEN)

    def handler(signum, frame):
        if os.getpid() != 1:  # a process the program forked: the default action, as it would be
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        ended_by(signum)

    for name in ENDING_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, handler)
    real_kill, real_killpg = os.kill, os.killpg

    def kill(pid, sig):
        if os.getpid() == 1 and sig == signal.SIGKILL and pid in (0, 1):
            ended_by(sig)
        return real_kill(pid, sig)

    def killpg(pgid, sig):
        if os.getpid() == 1 and sig == signal.SIGKILL and pgid in (0, 1):
            ended_by(sig)
        return real_killpg(pgid, sig)

    os.kill, os.killpg = kill, killpg


def apply_limits(settings):
    def cap(which, value):
        value = int(value)
        if value <= 0:
            return
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value if which != resource.RLIMIT_CPU else min_hard(value + 1, hard)))

    def min_hard(value, hard):
        return value if hard == resource.RLIM_INFINITY else min(value, hard)

    cap(resource.RLIMIT_AS, settings.get("memory_bytes", 0))
    cap(resource.RLIMIT_CPU, settings.get("cpu_seconds", 0))
    cap(resource.RLIMIT_FSIZE, settings.get("max_file_bytes", 0))
    cap(resource.RLIMIT_NPROC, settings.get("max_processes", 0))
    cap(resource.RLIMIT_NOFILE, settings.get("max_open_files", 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def clean_traceback(exc, job_dir):
    """The traceback a model should see: frames of the worker itself removed (with their source
    lines), caret-only marker lines dropped, sandbox paths replaced, site-packages prefixes shortened
    to the package path."""
    text = "".join(traceback.TracebackException.from_exception(exc).format())
    worker_files = '"' + PACKAGE_DIR + os.sep
    kept = []
    in_worker_frame = False
    for line in text.splitlines():
        stripped = line.strip()
        if line.startswith("  File "):
            in_worker_frame = worker_files in line
            if in_worker_frame:
                continue
        elif in_worker_frame and line.startswith("    "):
            continue
        else:
            in_worker_frame = False
        if stripped and set(stripped) <= set("^~"):
            continue
        kept.append(line)
    text = "\n".join(kept)
    text = text.replace(job_dir + os.sep, "").replace(job_dir, ".")
    for marker in ("site-packages" + os.sep, "dist-packages" + os.sep):
        while marker in text:
            start = text.rfind('"', 0, text.index(marker)) + 1
            text = text[:start] + text[text.index(marker) + len(marker):]
    return text.strip()


def write_result(job_dir, result):
    path = os.path.join(job_dir, RESULT_FILE)
    tmp = path + ".tmp"
    data = json.dumps(result)
    # The file-size limit also applies here; an error text cannot be that large, but be safe.
    if len(data) > 1 << 20:
        result["error"] = (result.get("error") or "")[-(1 << 16):]
        data = json.dumps(result)
    with open(tmp, "w") as f:
        f.write(data)
    os.rename(tmp, path)
