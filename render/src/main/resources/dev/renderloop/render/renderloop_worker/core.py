"""The warm parent: the protocol, the job loop (a deadline per job, the classification of how it
ended) and the cleanup after each job. The design is described in the package's docstring."""

import importlib
import json
import os
import re
import signal
import stat
import sys
import time
import traceback

from .base import LOG_FILE, PROTECTED_PIDS, RESULT_FILE, RenderError, read_job_file, run_child, timeout_result
from .isolation import LIBC, PR_SET_DUMPABLE, JobIsolation, clone_job, collect_job, isolate_job, writable_space
from .job import child_main
from .spares import FinishedJobs, JobSpares, ProtocolInput
from .warm_pages import WarmPages

PROTOCOL_VERSION = 1
PR_SET_CHILD_SUBREAPER = 36
DRIVERS = ("matplotlib", "manim", "rdkit", "tikz", "apidoc:PACKAGE")
# Set by main: whether jobs get their own namespaces (JobIsolation).
ISOLATION = None
# Spare job processes (spares.py); none unless the driver or RENDERLOOP_JOB_SPARES asks for them.
SPARES = JobSpares(0)
SPARES_SWITCH = "RENDERLOOP_JOB_SPARES"
# Finished job processes kept stopped until the worker is idle (spares.FinishedJobs).
FINISHED_JOBS = FinishedJobs()
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# How long the worker waits without a request before it makes a spare or one reads ahead: the
# pause between the requests of a busy client is shorter, so under load spares cost nothing.
IDLE_SECONDS = 0.25


def load_driver(spec):
    """The driver named by --driver NAME[:ARGUMENT] (module renderloop_worker.NAME_driver, class
    Driver, which takes the argument when its `argument` attribute names one); None if there is none."""
    name, colon, argument = spec.partition(":")
    if not re.fullmatch(r"[a-z][a-z0-9]*", name):
        return None
    module_name = "%s.%s_driver" % (__package__, name)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name == module_name:
            return None
        raise
    takes_argument = getattr(module.Driver, "argument", None) is not None
    if takes_argument != bool(colon) or (colon and not argument):
        return None
    return module.Driver(argument) if takes_argument else module.Driver()


def run_job(driver, request, proto_fd, isolate_net):
    job_dir = request["job_dir"]
    settings = request["settings"]
    timeout = float(settings.get("timeout_seconds", 60))
    started = time.monotonic()
    # A driver that can do a job without running anything of it in this process does it here, with
    # no job child to fork (the tikz driver, whose programs run in copies of its fork servers).
    response = driver.render_in_parent(job_dir, settings, started + timeout) if hasattr(driver, "render_in_parent") else None
    emptied = spare = False
    if response is not None:
        response["log_tail"] = ""
    else:
        response, emptied, spare = run_job_child(driver, job_dir, settings, proto_fd, isolate_net, started, timeout)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    # A cloned job's processes all lived in its PID namespace, which the kernel empties before the
    # job process (its init) can be waited for: nothing of the job is left to find (~3 ms a job).
    if not emptied:
        SPARES.end_all()  # they are descendants too: the cleanup below must not be what ends them
        FINISHED_JOBS.end_all()
    reaped = 0 if emptied else kill_descendants()
    if hasattr(driver, "after_job"):
        driver.after_job(job_dir)
    response.update({"type": "result", "id": request.get("id"), "millis": elapsed_ms,
                     "orphans_killed": reaped, "spare": spare})
    return response


def run_job_child(driver, job_dir, settings, proto_fd, isolate_net, started, timeout):
    """The job done in a child (a spare, cloned into its namespaces, or forked), waited for until the
    deadline; (its result classified, whether the job was one clone() whose PID namespace is now
    empty, whether it ran in a spare). Decided here, never from what the job wrote."""
    # A driver may opt out (apidoc: it parses the program with ast and runs nothing of it, and
    # reads a request file that the job's file system would not have).
    isolated = ISOLATION.enabled and getattr(driver, "job_isolation", True)
    clones = isolated and ISOLATION.clones()
    cloned = SPARES.start(job_dir, settings, writable_space(settings)) if clones and in_jobs_root(job_dir) else None
    spare = cloned is not None
    try:
        if cloned is None and clones:
            cloned = clone_job(driver, job_dir, settings, proto_fd, isolate_net, ISOLATION.jobs_root, child_main)
    except OSError:
        cloned = None  # (clone() refused, say for too many namespaces) the fork path reports the cause
    if cloned is not None:
        pid, channel = cloned
        # When it ends, its PID namespace ends with it: no process of the job is left to kill. When it
        # is stopped (its result written, alone in its namespace) none runs; it is ended when idle.
        status, timed_out, cpu = wait_for(pid, started + timeout, channel)
        collect_job(channel, job_dir, settings)
        if status is None:
            FINISHED_JOBS.add(pid)
            if read_result(job_dir) is None:  # the program itself wrote FINISHED on the pipe
                log_tail = read_tail(os.path.join(job_dir, LOG_FILE), 4096)
                return {"status": "error", "error_kind": "runtime_error", "log_tail": log_tail,
                        "error": "the program was stopped: it wrote the worker's end-of-job message before any "
                                 "result was written"}, True, spare
        return classify(job_dir, status, timed_out, timeout, cpu, settings), True, spare
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        if isolated:
            run_child(isolate_job, driver, job_dir, settings, proto_fd, isolate_net, ISOLATION.jobs_root, child_main)
        run_child(child_main, driver, job_dir, settings, proto_fd, isolate_net)
    status, timed_out, cpu = wait_for(pid, started + timeout)
    try:
        os.killpg(pid, signal.SIGKILL)  # whatever the job started in its own group
    except (ProcessLookupError, PermissionError):
        pass
    return classify(job_dir, status, timed_out, timeout, cpu, settings), False, False


def in_jobs_root(job_dir):
    """Whether job_dir is a directory right under the jobs root, where a spare looks for it."""
    name = os.path.basename(job_dir)
    return (name not in ("", ".", "..") and ISOLATION.jobs_root is not None
            and os.path.normpath(os.path.dirname(job_dir)) == os.path.normpath(ISOLATION.jobs_root))


def wait_for(pid, deadline, channel=None):
    """Waits for the child until the deadline; then kills its process group. Returns (status,
    timed_out, cpu_seconds): the CPU time of the child and the children it waited for. With the
    JobChannel of a cloned job, a job process that says it finished is stopped (stop_finished):
    then (None, False, None) when it is stopped and alone in its PID namespace."""
    fd = None
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    import select
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                kill_group(pid)
                _, status, usage = os.wait4(pid, 0)
                return status, True, usage.ru_utime + usage.ru_stime
            if fd is not None:
                select.select([fd] + (channel.watch() if channel is not None else []), [], [], remaining)
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done == pid:
                return status, False, usage.ru_utime + usage.ru_stime
            if channel is not None:
                channel.read()
                if channel.finished:
                    return stop_finished(pid, channel, deadline)
            if fd is None:
                time.sleep(min(0.01, max(remaining, 0)))
    finally:
        if fd is not None:
            os.close(fd)


# How long a finished job process may take to stop. A stop completes once every thread of the
# process takes it; a thread blocked in vfork() until its child execs or exits takes it only then, so
# the wait is bounded: past it the job process is killed instead, as a job that exits.
STOP_SECONDS = 1.0


def stop_finished(pid, channel, deadline):
    """A cloned job process said its result is written: it is stopped (SIGSTOP from outside its PID
    namespace reaches its pid 1) and, if it is alone in that namespace, left stopped for
    FINISHED_JOBS to end when the worker is idle: (None, False, None). Otherwise (other processes
    of the job, no /proc of its own to tell, or no stop within STOP_SECONDS and the job's deadline)
    it is killed and waited for, as a job that exits: (status, False, cpu_seconds). A process that
    exits meanwhile is simply waited for."""
    os.kill(pid, signal.SIGSTOP)  # (an unreaped child: it exists until waited for)
    give_up = min(deadline, time.monotonic() + STOP_SECONDS)
    pause = 0.0001
    while True:
        done, status, usage = os.wait4(pid, os.WUNTRACED | os.WNOHANG)
        if done == pid and not os.WIFSTOPPED(status):
            return status, False, usage.ru_utime + usage.ru_stime
        if done == pid and channel.alone():
            return None, False, None
        if done == pid or time.monotonic() >= give_up:
            break
        time.sleep(pause)
        pause = min(pause * 2, 0.005)
    os.kill(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    return status, False, usage.ru_utime + usage.ru_stime


def kill_group(pid):
    for sig in (signal.SIGKILL,):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def kill_descendants():
    """Kills and reaps every process left under this (subreaper) parent, except PROTECTED_PIDS
    themselves; returns how many.

    Each round reads the whole process tree and stops every descendant before killing them, so a
    fork bomb cannot outgrow the cleanup (a stopped process cannot fork); a process forked between
    the scan and the stop is re-parented to us and caught by the next round."""
    killed = set()
    for _ in range(100):
        pids = unprotected_descendants()
        if not pids:
            break
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in (pids if sig == signal.SIGSTOP else unprotected_descendants()):
                try:
                    os.kill(pid, sig)
                    if sig == signal.SIGKILL:
                        killed.add(pid)
                except (ProcessLookupError, PermissionError):
                    pass
        reap_all(deadline=time.monotonic() + 2)
    return len(killed)


def unprotected_descendants():
    return [pid for pid in descendants(os.getpid()) if pid not in PROTECTED_PIDS]


def descendants(root):
    """All descendants of `root`, from one scan of /proc (orphans re-parented to us included)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            found.append(child)
            stack.append(child)
    return found


def reap_all(deadline):
    """Reaps exited children until none but the protected ones is left or the deadline passes
    (a protected process reaps its own children)."""
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if PROTECTED_PIDS and not unprotected_descendants():
                return
            time.sleep(0.002)


def classify(job_dir, status, timed_out, timeout, cpu_seconds, settings):
    result = read_result(job_dir)
    log_tail = read_tail(os.path.join(job_dir, LOG_FILE), 4096)
    if timed_out:
        return dict(timeout_result(timeout), log_tail=log_tail)
    if result is not None:
        result["log_tail"] = log_tail
        return result
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        cpu_limit = int(settings.get("cpu_seconds", 0))
        # SIGKILL at the hard limit (one second past the soft one, whose SIGXCPU a busy C loop never saw).
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and 0 < cpu_limit <= cpu_seconds):
            return {"status": "error", "error_kind": "timeout",
                    "error": "the program exceeded its CPU-time limit (%d s)" % cpu_limit, "log_tail": log_tail}
        if sig == signal.SIGXFSZ:
            return {"status": "error", "error_kind": "output_too_large",
                    "error": "the program exceeded the output file-size limit", "log_tail": log_tail}
        kind = "memory_limit" if looks_like_memory(log_tail) or sig == signal.SIGKILL else "runtime_error"
        return {"status": "error", "error_kind": kind,
                "error": "the program was killed by signal %s\n%s" % (signal.Signals(sig).name, log_tail.strip()),
                "log_tail": log_tail}
    kind = "memory_limit" if looks_like_memory(log_tail) else "runtime_error"
    return {"status": "error", "error_kind": kind,
            "error": ("the program ended with exit status %d before reporting a result\n%s"
                      % (os.WEXITSTATUS(status), log_tail.strip())).strip(),
            "log_tail": log_tail}


def looks_like_memory(text):
    return any(s in text for s in ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory"))


def read_result(job_dir):
    try:
        data = read_job_file(os.path.join(job_dir, RESULT_FILE), 4 << 20)
        return None if data is None else json.loads(data)
    except (OSError, ValueError, RenderError):
        return None


def read_tail(path, limit):
    """The last `limit` bytes of a job's regular file; a link, FIFO or device reads as empty."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return ""
        os.lseek(fd, max(0, info.st_size - limit), os.SEEK_SET)
        return os.read(fd, limit).decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        os.close(fd)


def main(argv):
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--driver", required=True,
                        help="one of " + ", ".join(DRIVERS))
    parser.add_argument("--path", action="append", default=[], help="extra entries for sys.path")
    parser.add_argument("--isolate-net", action="store_true")
    parser.add_argument("--jobs-root", help="the directory that holds the job directories (one level down)")
    parser.add_argument("--spares", type=int, default=None,
                        help="spare job processes kept ready while idle (spares.py); default: the driver's job_spares")
    parser.add_argument("--max-spares", type=int, default=None,
                        help="at most this many spares by default (the launcher shares a budget among its workers)")
    parser.add_argument("--job-spawn", choices=("clone", "fork"), default="clone",
                        help="clone: one clone() per job where it can stand in for fork() (the default); "
                             "fork: a keeper and a job process per job (the path used otherwise)")
    args = parser.parse_args(argv)
    global ISOLATION
    ISOLATION = JobIsolation(args.jobs_root, args.job_spawn).probe()
    for entry in reversed(args.path):
        sys.path.insert(0, entry)
    # Fd 1 belongs to the protocol from here on; stray prints (ours or a library's) go to stderr.
    proto_fd = os.dup(1)
    os.dup2(2, 1)
    proto = os.fdopen(proto_fd, "w", buffering=1)

    def send(message):
        proto.write(json.dumps(message) + "\n")
        proto.flush()

    # One thread of numerical work per job: the pool runs one job per core, and OpenBLAS's threads (made
    # at a job's first sizeable numpy call, in every job) spun for ~0.1 s after each call: a matplotlib
    # job used 77 ms of CPU for 45 ms of work. Read by the libraries when they load, so set before warm().
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    driver = load_driver(args.driver)
    if driver is None:
        send({"type": "unavailable", "driver": args.driver, "error": "unknown driver %r" % args.driver})
        return 2
    driver.isolation = ISOLATION  # the tikz driver jails its fork servers' copies the same way
    try:
        versions = driver.warm()
    except BaseException as e:  # noqa: B902 - a missing library is reported, not raised
        send({"type": "unavailable", "driver": args.driver,
              "error": "".join(traceback.format_exception_only(type(e), e)).strip()})
        return 3
    # Learned after the warm-up, from the parent as every job will find it.
    if os.environ.get("RENDERLOOP_WARM_PAGES") == "off":  # to measure what it saves
        driver.warm_pages = WarmPages.off("RENDERLOOP_WARM_PAGES=off")
    elif hasattr(driver, "sample_job"):
        driver.warm_pages = WarmPages.learn(driver.sample_job)
    else:
        driver.warm_pages = WarmPages.off("the %s driver has no sample job" % args.driver)
    global SPARES
    # Only where a job is one clone() (the spares are those clones, made early).
    if ISOLATION.enabled and ISOLATION.spawn == "clone" and getattr(driver, "job_isolation", True):
        wanted = args.spares if args.spares is not None else os.environ.get(SPARES_SWITCH, "")
        default = getattr(driver, "job_spares", 0)
        if args.max_spares is not None:
            default = min(default, max(0, args.max_spares))
        SPARES = JobSpares(int(wanted) if str(wanted).isdigit() else default)
        if SPARES.count:
            driver.warm_pages.learn_resident()
    versions["warm_pages"] = driver.warm_pages.status
    subreaper = LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    # No process of the same user (a job) may open /proc/<worker>/mem or ptrace this warm parent.
    dumpable_off = LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    versions["python"] = "%d.%d.%d" % sys.version_info[:3]
    send({"type": "ready", "protocol": PROTOCOL_VERSION, "driver": args.driver, "pid": os.getpid(),
          "versions": versions, "subreaper": subreaper, "dumpable_off": dumpable_off,
          "job_isolation": ISOLATION.enabled, "job_isolation_missing": ISOLATION.missing,
          "job_spawn": ISOLATION.spawn if ISOLATION.enabled else "fork", "job_spares": SPARES.count})
    inbox = ProtocolInput(0)
    idle = False  # whether the worker has been idle since its last request for IDLE_SECONDS
    while True:
        # After IDLE_SECONDS without a request: the missing spares are made, then they read ahead.
        make = SPARES.wanted() and ISOLATION.clones()
        wait = (0 if idle else IDLE_SECONDS) if make or SPARES.to_read() or FINISHED_JOBS.waiting() else None
        try:
            line = inbox.readline(wait, also=SPARES.reading())
        except EOFError:
            break
        if line is None:  # nothing asked for now: end a finished job, make a spare, or read ahead
            idle = True
            if FINISHED_JOBS.waiting():
                FINISHED_JOBS.end_oldest()
            elif make:
                try:
                    SPARES.add(driver, ISOLATION.jobs_root, proto_fd, args.isolate_net, child_main)
                except OSError as e:
                    print("no spare job process: %s" % e, file=sys.stderr)
                    SPARES.count = 0
            else:
                SPARES.read_ahead()
            continue
        idle = False
        SPARES.pause()
        line = line.decode("utf-8", "replace").strip()
        if not line:
            continue
        try:
            request = json.loads(line)
        except ValueError as e:
            send({"type": "protocol_error", "error": str(e)})
            continue
        kind = request.get("type")
        if kind == "render":
            send(run_job(driver, request, proto_fd, args.isolate_net))
            FINISHED_JOBS.trim()  # beyond its bounds (sustained load), after the answer went out
        elif kind == "ping":
            send({"type": "pong", "id": request.get("id"), "spares": SPARES.status(),
                  "finished_jobs": FINISHED_JOBS.status()})
        elif kind == "shutdown":
            break
        else:
            send({"type": "protocol_error", "error": "unknown request type %r" % kind})
    SPARES.end_all()
    FINISHED_JOBS.end_all()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
