"""Per-job isolation: what a job child can reach. This module is the one place to review for it.

The job process is one clone() of the warm parent into new user, mount and PID namespaces (it is
pid 1 of its PID namespace): it builds its file system (one bounded tmpfs), hands the parent a
descriptor of its job directory in that tmpfs, drops its capabilities, loads the seccomp filter and
runs the program; after it exits the parent copies the job's files back through that descriptor.
See clone_job and collect_job. A job process that wrote its result says so on a pipe (bytes only)
and the parent stops it; if its own /proc shows it alone in its PID namespace, nothing of the job
can run any more, so the files are copied then and the process is ended later (JobChannel,
core.stop_finished, spares.FinishedJobs). One clone instead of the two forks below made a matplotlib job cheaper
than with no isolation at all (README, the sandbox's cost, from `perf render`).

Where clone() cannot stand in for fork() (a parent with more than one thread, whose libraries'
pthread_atfork handlers only fork() runs; no Python C API; an unknown architecture), the job runs
two forks below the warm parent instead: a keeper (trusted code of this package) that builds the
namespaces and file system and copies the files back, and the job process. See isolate_job.
Without user namespaces (probed once by JobIsolation) a job runs in a plain child, and
isolate_network is the fallback for the network alone.
"""

import ctypes
import errno
import json
import os
import select
import signal
import socket
import stat

from .base import (EXIT_NO_RESULT, EXIT_RESULT_WRITTEN, FINISHED, PARENT_ONLY_FDS, RESULT_FILE, SCENE_FILE,
                   close_parent_only_fds, read_job_file, run_child)

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NAME = 15
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
LIBC = ctypes.CDLL(None, use_errno=True)
# System calls a job never needs and that reach other processes or kernel-wide state: ptrace and
# process_vm_* (another process's memory), the key-retention service (keys shared per user), perf
# events, bpf and userfaultfd. They fail with EPERM. Numbers per architecture (AUDIT_ARCH value).
SECCOMP_DENIED = {
    "x86_64": (0xC000003E, {"ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "add_key": 248,
                            "request_key": 249, "keyctl": 250, "perf_event_open": 298, "bpf": 321,
                            "userfaultfd": 323, "kcmp": 312}),
    "aarch64": (0xC00000B7, {"ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "add_key": 217,
                             "request_key": 218, "keyctl": 219, "perf_event_open": 241, "bpf": 280,
                             "userfaultfd": 282, "kcmp": 272}),
}
PRCTL = {"x86_64": 157, "aarch64": 167}
# Job directories (and their /tmp, /var/tmp, /dev/shm) live in one size-bounded tmpfs per job.
JOB_TMP_DIRS = (("/tmp", ".tmp"), ("/var/tmp", ".var-tmp"), ("/dev/shm", ".shm"))
EXIT_ISOLATION_FAILED = 71
SYS_CLONE = {"x86_64": 56, "aarch64": 220}.get(os.uname().machine)
# clone() through PyDLL: the call keeps the GIL, as os.fork() does around fork().
PYLIBC = ctypes.PyDLL(None, use_errno=True)
# The copy back from a job's tmpfs: at most this many entries and this directory depth (a job that
# writes more keeps what fits; the frames and the result sit at the top).
COPY_MAX_ENTRIES = 10000
COPY_MAX_DEPTH = 16


def writable_space(settings):
    """The bytes a job may write in all (its directory, /tmp, /var/tmp and /dev/shm together): the
    job's output bound, at least 16 MiB (a job's own files, its log and result need some room)."""
    return max(int(settings.get("max_output_bytes", 0)), 16 << 20)


def seccomp_program_bytes():
    """seccomp_filter() as struct sock_filter records (the fork servers' jail loads these), or None."""
    import struct
    prog = seccomp_filter()
    return None if prog is None else b"".join(struct.pack("=HBBI", *f) for f in prog)


class JobIsolation:
    """Whether jobs get their own namespaces here, probed once at start (the kernel may forbid
    unprivileged user namespaces): `enabled`, and `missing`, a line saying what a job then shares."""

    def __init__(self, jobs_root, spawn="clone"):
        self.jobs_root = jobs_root
        self.enabled = False
        self.missing = None
        # "clone" (one clone() per job, where it can stand in for fork()) or "fork" (keeper + job).
        self.spawn = spawn

    def clones(self):
        """Whether the next job can be one clone(): asked per job, since a driver's library may have
        started a thread (then only fork() runs the pthread_atfork handlers that make a child safe)."""
        return self.spawn == "clone" and len(os.listdir("/proc/self/task")) == 1

    def probe(self):
        """Forks a child that builds a job's namespaces once; cheap before the driver is warm."""
        if not self.jobs_root:
            self.missing = "no jobs root given (--jobs-root): jobs share the worker's namespaces"
            return self
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                enter_job_namespaces(False)
                mount_tmpfs(self.jobs_root, 1 << 20)
                os.write(w, b"ok")
            except BaseException as e:  # noqa: B902 - reported to the parent as text
                os.write(w, str(e).encode()[:500])
            os._exit(0)
        os.close(w)
        answer = b""
        while True:
            chunk = os.read(r, 512)
            if not chunk:
                break
            answer += chunk
        os.close(r)
        os.waitpid(pid, 0)
        self.enabled = answer == b"ok"
        if not self.enabled:
            self.missing = ("per-job namespaces unavailable (%s): a job shares the worker's user, PID and mount "
                            "namespaces, its /tmp, and has no bound on its total disk space"
                            % (answer.decode("utf-8", "replace") or "no answer"))
        elif self.spawn == "clone" and not self.probe_clone():
            self.spawn = "fork"
        return self

    def probe_clone(self):
        """Whether clone_job's system call and namespaces work here (else jobs use the keeper)."""
        if SYS_CLONE is None or not hasattr(ctypes, "pythonapi"):
            return False
        uid, gid = os.getuid(), os.getgid()
        try:
            pid = clone_process(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID)
        except OSError:
            return False
        if pid == 0:
            code = 1
            try:
                map_ids(uid, gid)
                code = 0 if os.getpid() == 1 else 1
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)))


def namespace_flags(isolate_net):
    """New user, mount and PID namespaces, and network where the launcher gave none."""
    return CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | (CLONE_NEWNET if isolate_net else 0)


def enter_job_namespaces(isolate_net):
    """The keeper's namespaces (namespace_flags), mapping only this uid and gid. The PID namespace
    applies to the next fork: that child is its pid 1."""
    uid, gid = os.getuid(), os.getgid()
    check(LIBC.unshare(namespace_flags(isolate_net)), "unshare")
    map_ids(uid, gid)


def die_with_parent():
    """SIGKILL for this job process when the worker dies: a finished job kept stopped by the worker
    (core.FinishedJobs) would otherwise outlive it. The seccomp filter keeps the job from unsetting it."""
    check(LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "parent-death signal")


def map_ids(uid, gid):
    """In a new user namespace: maps only uid and gid (the ids outside, read before it was made) and
    makes the mounts private."""
    # A non-dumpable process (the parent's setting, inherited) cannot write its own uid_map.
    LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    for name, text in (("setgroups", "deny"), ("uid_map", "%d %d 1" % (uid, uid)), ("gid_map", "%d %d 1" % (gid, gid))):
        with open("/proc/self/" + name, "w") as f:
            f.write(text)
    check(LIBC.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "making mounts private")


def clone_process(flags):
    """fork() into new namespaces in one system call: 0 in the child, its pid in the parent.

    The same steps as os.fork() around the call (the interpreter's before/after-fork hooks, so
    locks, the random module and the threading module are reset in the child as after a fork).
    What only glibc's fork() does (pthread_atfork handlers, the cached thread id) matters only to a
    process with other threads, so callers use this only in a single-threaded parent."""
    import sys
    sys.stdout.flush()
    sys.stderr.flush()
    ctypes.pythonapi.PyOS_BeforeFork()
    pid = PYLIBC.syscall(SYS_CLONE, flags | signal.SIGCHLD, 0, 0, 0, 0)
    err = ctypes.get_errno()
    if pid == 0:
        ctypes.pythonapi.PyOS_AfterFork_Child()
        return 0
    ctypes.pythonapi.PyOS_AfterFork_Parent()
    if pid < 0:
        raise OSError(err, "clone: " + os.strerror(err))
    return pid


def mount_tmpfs(path, size):
    check(LIBC.mount(b"tmpfs", os.fsencode(path), b"tmpfs", MS_NOSUID | MS_NODEV,
                     ("size=%d,mode=0755" % size).encode()), "tmpfs on " + path)


def bind(source, target, read_only=False):
    check(LIBC.mount(os.fsencode(source), os.fsencode(target), None, MS_BIND | MS_REC, None), "binding " + target)
    if read_only:
        check(LIBC.mount(None, os.fsencode(target), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
                         None), "read-only " + target)


def build_job_file_system(job_dir, jobs_root, scene, size):
    """The job's view: the worker's scratch directory read-only; over the jobs root one tmpfs of
    `size` bytes holding only this job's directory (same path, scene.py copied in) and the job's
    /tmp, /var/tmp and /dev/shm, so every place the job can write is fresh and bounded together.
    When the scratch directory lies under one of those (/tmp, say), it is bound back at its path."""
    build_jobs_tmpfs(jobs_root, size)
    add_job_directory(job_dir, scene)


def build_jobs_tmpfs(jobs_root, size):
    """build_job_file_system without the job's directory (a spare job process's, before its job)."""
    scratch = os.path.dirname(jobs_root)
    bind(scratch, scratch, read_only=True)
    mount_tmpfs(jobs_root, size)
    for _, name in JOB_TMP_DIRS:
        os.mkdir(os.path.join(jobs_root, name), 0o700)
    scratch_fd = os.open(scratch, os.O_PATH | os.O_DIRECTORY)
    try:
        scratch_stat = os.fstat(scratch_fd)
        for target, name in JOB_TMP_DIRS:
            if os.path.isdir(target):
                bind("/proc/self/fd/%d/%s/%s" % (scratch_fd, os.path.basename(jobs_root), name), target)
        try:
            visible = os.path.samestat(os.stat(scratch), scratch_stat)
        except OSError:
            visible = False
        if not visible:
            os.makedirs(scratch, 0o755, exist_ok=True)
            bind("/proc/self/fd/%d" % scratch_fd, scratch)
    finally:
        os.close(scratch_fd)


def add_job_directory(job_dir, scene):
    """The job's directory in the jobs tmpfs, with its program."""
    os.mkdir(job_dir, 0o700)
    with open(os.path.join(job_dir, SCENE_FILE), "wb") as f:
        f.write(scene)


def seccomp_filter():
    """The BPF program denying SECCOMP_DENIED for this architecture (and any other ABI), or None."""
    arch = os.uname().machine
    if arch not in SECCOMP_DENIED:
        return None
    audit_arch, calls = SECCOMP_DENIED[arch]
    ld_w_abs, jeq_k, ret_k = 0x20, 0x15, 0x06
    allow, deny, kill = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x80000000
    numbers = sorted(calls.values())
    prog = [(ld_w_abs, 0, 0, 4),                       # seccomp_data.arch
            (jeq_k, 1, 0, audit_arch),                 # our ABI: go on; else kill
            (ret_k, 0, 0, kill),
            (ld_w_abs, 0, 0, 0)]                       # seccomp_data.nr
    if arch == "x86_64":
        prog += [(0x35, 0, 1, 0x40000000),             # jge: an x32 system call number
                 (ret_k, 0, 0, deny)]
    for i, nr in enumerate(numbers):
        prog.append((jeq_k, len(numbers) - i + 3, 0, nr))  # to the deny below
    # prctl(PR_SET_PDEATHSIG, ...): a finished job process may be kept stopped until the worker is
    # idle (core.FinishedJobs); the SIGKILL it gets if the worker dies first must stay set. The
    # option is an int: the low 32 bits of the first argument (little-endian, both ABIs).
    prog += [(jeq_k, 0, 2, PRCTL[arch]),
             (ld_w_abs, 0, 0, 16),                     # seccomp_data.args[0], low half
             (jeq_k, 1, 0, PR_SET_PDEATHSIG),          # to the deny
             (ret_k, 0, 0, allow), (ret_k, 0, 0, deny)]
    return prog


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def compiled_seccomp():
    """seccomp_filter() as the structure prctl takes, or None; built in the warm parent (ctypes
    types are slow to make, and every job would make them again)."""
    prog = seccomp_filter()
    if prog is None:
        return None
    filters = (SockFilter * len(prog))(*[SockFilter(*f) for f in prog])
    return SockFprog(len(prog), filters), filters


SECCOMP_PROGRAM = compiled_seccomp()
CAPSET = 126 if os.uname().machine == "x86_64" else 91
CAP_HEADER = (ctypes.c_uint32 * 2)(0x20080522, 0)   # _LINUX_CAPABILITY_VERSION_3, this process
CAP_NONE = (ctypes.c_uint32 * 6)()                  # effective, permitted, inheritable: empty


def install_seccomp():
    if SECCOMP_PROGRAM is None:
        return ["system call filter unavailable on %s" % os.uname().machine]
    check(LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(SECCOMP_PROGRAM[0]), 0, 0), "seccomp")
    return []


def drop_capabilities():
    """The job process holds every capability in its new user namespace (it made it); it keeps
    none, so it cannot undo the mounts (a tmpfs it could unmount would uncover the scratch root)."""
    check(LIBC.syscall(CAPSET, CAP_HEADER, CAP_NONE), "capset")
    check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def confine_job_process(notes):
    """The last steps before the program runs, in the job process (pid 1 of its PID namespace):
    its own /proc, no capabilities, the seccomp filter."""
    mount_job_proc(notes)
    drop_capabilities()
    notes.extend(install_seccomp())


def mount_job_proc(notes):
    """The job's own /proc (its PID namespace's processes only); a note when it cannot be mounted."""
    try:
        check(LIBC.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "proc")
    except OSError as e:
        notes.append("the job sees the worker's /proc (%s)" % e)


def send_job_descriptors(to_parent, job_dir, notes):
    """Sends the parent the job's directory and, when the job has its own /proc, that /proc (the
    parent lists it to see that the job process is alone in its PID namespace, JobChannel.alone).
    Done before any of the program runs: these are the only descriptors the parent takes."""
    fds = [os.open(job_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)]
    if not any(note.startswith("the job sees the worker's /proc") for note in notes):
        fds.append(os.open("/proc", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW))
    try:
        socket.send_fds(to_parent, [b"job"], fds)
    finally:
        for fd in fds:
            os.close(fd)


def clone_job(driver, job_dir, settings, proto_fd, isolate_net, jobs_root, job_process):
    """Starts the job process as one clone() of this (warm, single-threaded) parent into the job's
    namespaces; returns (pid, JobChannel) for wait_for and collect_job. The child builds the job's
    file system, sends the parent a descriptor of its job directory there (before any of the program
    runs), and runs job_process (job.child_main) confined."""
    uid, gid = os.getuid(), os.getgid()  # (read before the clone: in its user namespace they are unmapped)
    pid, end, finished = clone_with_channels(isolate_net, socket.SOCK_DGRAM)
    if pid != 0:
        return pid, JobChannel(end, finished)
    run_child(cloned_job_process, driver, job_dir, settings, proto_fd, jobs_root, job_process, uid, gid, end, finished)


def clone_with_channels(isolate_net, kind):
    """clone_process into a job's namespaces with a connected socket pair of `kind` (closed by the
    child before the job's program runs) and a pipe on which the job process says it finished
    (job.report_finished: bytes only, nothing the parent would have to close): (pid, the parent's
    socket end, the pipe's read end) in the parent, (0, the child's socket end, the pipe's write end)
    in the child."""
    parent_end, child_end = socket.socketpair(socket.AF_UNIX, kind)
    read_end, write_end = os.pipe()
    try:
        pid = clone_process(namespace_flags(isolate_net))
    except OSError:
        for end in (parent_end, child_end):
            end.close()
        for fd in (read_end, write_end):
            os.close(fd)
        raise
    if pid != 0:
        child_end.close()
        os.close(write_end)
        os.set_blocking(read_end, False)
        return pid, parent_end, read_end
    parent_end.close()
    os.close(read_end)
    return 0, child_end, write_end


def cloned_job_process(driver, job_dir, settings, proto_fd, jobs_root, job_process, uid, gid, to_parent, finished):
    """The child of clone_job: its file system, the descriptor sent to the parent, then the job confined."""
    os.setsid()
    os.close(proto_fd)
    close_parent_only_fds()
    scene = read_job_file(os.path.join(job_dir, SCENE_FILE), 64 << 20) or b""
    die_with_parent()
    map_ids(uid, gid)
    build_job_file_system(job_dir, jobs_root, scene, writable_space(settings))
    notes = []
    mount_job_proc(notes)
    send_job_descriptors(to_parent, job_dir, notes)
    to_parent.close()
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    drop_capabilities()
    notes.extend(install_seccomp())
    job_process(driver, job_dir, settings, None, False, notes, finished=finished_pipe(finished))


def finished_pipe(finished):
    """The pipe on which the job process says its result is written (job.report_finished), or None
    (the pipe closed) where RENDERLOOP_FINISHED_JOBS=off asks the job process to exit at once
    instead (to measure what keeping it stopped saves)."""
    if os.environ.get("RENDERLOOP_FINISHED_JOBS") != "off":
        return finished
    os.close(finished)
    return None


# What the worker and a waiting spare say besides the job (spares.py): read ahead (the worker is
# idle), stop reading (a request came), and the spare's "done reading".
SPARE_TOUCH, SPARE_PAUSE, SPARE_TOUCHED = b"touch", b"pause", b"touched"
# A waiting spare's process name (/proc/PID/comm).
SPARE_NAME = b"rl-job-spare"


def spare_job(driver, jobs_root, size, proto_fd, isolate_net, job_process):
    """Starts a spare job process (one clone() of this warm, single-threaded parent, as clone_job)
    that builds everything of a job that does not depend on the job, then waits for one: its
    namespaces, its file system with a tmpfs of `size` bytes, its confinement and warm pages.
    Returns (pid, socket, the read end of its finished pipe); start_spare_job hands it a job, after
    which the parent treats it as clone_job's (wait, collect_job). Closing the socket ends it."""
    uid, gid = os.getuid(), os.getgid()
    pid, end, finished = clone_with_channels(isolate_net, socket.SOCK_SEQPACKET)
    if pid != 0:
        PARENT_ONLY_FDS.update((end.fileno(), finished))
        return pid, end, finished
    run_child(spare_job_process, driver, jobs_root, size, proto_fd, job_process, uid, gid, end, finished)


def start_spare_job(handle, finished, job_dir, settings):
    """Hands the spare of spare_job its job; False if the spare is gone (then the caller reaps it)."""
    PARENT_ONLY_FDS.difference_update((handle.fileno(), finished))
    try:
        handle.send(json.dumps({"name": os.path.basename(job_dir), "settings": settings}).encode())
        return True
    except OSError:
        return False


def spare_job_process(driver, jobs_root, size, proto_fd, job_process, uid, gid, to_parent, finished):
    """The child of spare_job. The same steps as cloned_job_process, in an order that leaves only
    the job's own to do once it comes: its directory, and the descriptor sent to the parent."""
    os.setsid()
    os.close(proto_fd)
    close_parent_only_fds()  # the other spares' sockets: a job must not hand a spare its program
    # Named so while it waits (ps, the tests' count of stray processes); its job gets the usual name.
    with open("/proc/self/comm", "rb") as f:
        name = f.read().strip()
    LIBC.prctl(PR_SET_NAME, SPARE_NAME, 0, 0, 0)
    die_with_parent()
    map_ids(uid, gid)
    # The real jobs root, where the job's program waits, before the tmpfs covers it.
    real_root = os.open(jobs_root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    build_jobs_tmpfs(jobs_root, size)
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    notes = []
    confine_job_process(notes)
    warm_pages = getattr(driver, "warm_pages", None)
    reads = iter(())
    if warm_pages is not None:
        warm_pages.populate()
        warm_pages.reserve_heap()
        driver.warm_pages = None  # done: child_main would do it again
        reads = warm_pages.touch_steps()
    while True:
        message = to_parent.recv(1 << 16)
        if not message:
            os._exit(0)  # the worker closed it: shutting down, or no longer wanted
        if message == SPARE_TOUCH:  # the worker is idle: read ahead until done or told otherwise
            for _ in reads:
                if select.select([to_parent], [], [], 0)[0]:
                    break
            else:
                to_parent.send(SPARE_TOUCHED)
        elif message != SPARE_PAUSE:
            break
    LIBC.prctl(PR_SET_NAME, name, 0, 0, 0)
    request = json.loads(message)
    name, settings = request["name"], request["settings"]
    scene = read_job_file("/proc/self/fd/%d/%s/%s" % (real_root, name, SCENE_FILE), 64 << 20) or b""
    os.close(real_root)
    job_dir = os.path.join(jobs_root, name)
    add_job_directory(job_dir, scene)
    send_job_descriptors(to_parent, job_dir, notes)
    to_parent.close()
    job_process(driver, job_dir, settings, None, False, notes, finished=finished_pipe(finished))


class JobChannel:
    """The worker's end of a cloned job process: its socket, on which the job process sent what it
    sent before any of the program ran (send_job_descriptors: its directory, and its PID namespace's
    /proc when it has one; then it closed its end), and the read end of its pipe, on which it says
    that its result is written (FINISHED). The program can write bytes on the pipe, no more: a job
    that says FINISHED early only ends its own job early, and one that writes anything else for long
    (past NOISE_BYTES) loses the pipe: its job is then waited for as one that exits."""

    NOISE_BYTES = 1 << 16

    def __init__(self, handle, finished):
        self.handle, self.finished_fd = handle, finished
        handle.setblocking(False)
        self.directory = self.proc = None
        self.finished = False
        self.noise = 0

    def watch(self):
        """What to select() on while the job runs: the pipe until FINISHED or its end."""
        return [self.finished_fd] if self.finished_fd is not None and not self.finished else []

    def read(self):
        """Takes what is waiting on both, without blocking."""
        for _ in range(4):  # (the descriptors, and a spare's "done reading" ahead of them)
            try:
                message, fds, _, _ = socket.recv_fds(self.handle, 16, 2)
            except (BlockingIOError, InterruptedError, OSError):
                break
            if fds and self.directory is None:
                self.directory, self.proc = fds[0], (fds[1] if len(fds) > 1 else None)
                fds = fds[2:]
            for fd in fds:
                os.close(fd)
            if not message and not fds:
                break
        if self.finished_fd is None or self.finished:
            return
        try:
            data = os.read(self.finished_fd, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if FINISHED in data and self.directory is not None:
            self.finished = True
            return
        self.noise += len(data)
        # Closed by the job (it exits, or its program closed it), or written to by the program for long
        # enough: the worker would spend its own CPU reading it until the deadline.
        if not data or self.noise > self.NOISE_BYTES:
            os.close(self.finished_fd)
            self.finished_fd = None

    def alone(self):
        """Whether the job process (pid 1) is the only process in its PID namespace, by its own /proc.
        Asked while it is stopped: then nothing of the job can run, or make a process, until it is
        ended. False when the job has no /proc of its own."""
        if self.proc is None:
            return False
        try:
            return [entry for entry in os.listdir(self.proc) if entry.isdigit()] == ["1"]
        except OSError:
            return False

    def close(self):
        for fd in (self.directory, self.proc, self.finished_fd):
            if fd is not None:
                os.close(fd)
        self.directory = self.proc = self.finished_fd = None
        self.handle.close()


def collect_job(channel, job_dir, settings):
    """After the job process of clone_job ended (its PID namespace, so every process of the job, is
    gone) or was stopped alone in it (JobChannel.alone): copies its files into the real job
    directory through the descriptor it sent, and says so in the result when the job filled its
    writable space. Nothing when it sent none (it failed before its file system was built; the
    result then says no result). Closes the channel."""
    try:
        channel.read()
        if channel.directory is None:
            return
        real = os.open(job_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            copy_back(channel.directory, real, job_dir, writable_space(settings))
        finally:
            os.close(real)
    finally:
        channel.close()


def copy_back(source_fd, real_fd, job_dir, size):
    """Copies the job's files (copy_tree) from its tmpfs directory into the real job directory; when
    the job left no result and its writable space is full, writes the result that says so. Returns
    whether it wrote that result."""
    copy_tree(source_fd, real_fd, size)
    if os.path.exists(os.path.join(job_dir, RESULT_FILE)):
        return False
    space = os.fstatvfs(source_fd)
    if space.f_bavail * space.f_frsize >= (1 << 20):
        return False
    write_space_exhausted(real_fd, size)
    return True


def write_space_exhausted(real_fd, size):
    """The result of a job that filled its writable space, so it could not even write its own."""
    os.close(os.open(RESULT_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600, dir_fd=real_fd))
    with open(os.open(RESULT_FILE, os.O_WRONLY | os.O_NOFOLLOW, dir_fd=real_fd), "w") as f:
        json.dump({"status": "error", "error_kind": "output_too_large",
                   "error": "the program filled its %d-byte writable space (its directory, /tmp, "
                            "/var/tmp and /dev/shm together)" % size}, f)


def copy_tree(source_fd, target_fd, budget):
    """Copies the regular files and directories under the directory source_fd into target_fd, by
    descriptors only (nothing followed; links, FIFOs and devices skipped; at most budget bytes,
    COPY_MAX_ENTRIES entries and COPY_MAX_DEPTH levels). Returns the budget left."""
    entries = COPY_MAX_ENTRIES

    def copy(source, target, depth, top):
        nonlocal budget, entries
        try:
            listing = list(os.scandir(source))
        except OSError:
            return
        for entry in listing:
            if entries <= 0:
                return
            entries -= 1
            if top and entry.name == SCENE_FILE:
                continue
            if entry.is_dir(follow_symlinks=False):
                if depth >= COPY_MAX_DEPTH:
                    continue
                try:
                    sub_source = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=source)
                except OSError:
                    continue
                try:
                    try:
                        os.mkdir(entry.name, 0o700, dir_fd=target)
                    except FileExistsError:
                        pass  # made by the parent before it handed the job to a child (tikz: out/)
                    sub_target = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=target)
                except OSError:
                    os.close(sub_source)
                    continue
                try:
                    copy(sub_source, sub_target, depth + 1, False)
                finally:
                    os.close(sub_source)
                    os.close(sub_target)
            elif entry.is_file(follow_symlinks=False):
                try:
                    fd = os.open(entry.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=source)
                except OSError:
                    continue
                try:
                    info = os.fstat(fd)
                    if not stat.S_ISREG(info.st_mode) or info.st_size > budget:
                        continue
                    # What fstat said, plus one byte to notice a file still growing (sized as the file is,
                    # not as the budget: a buffer of the whole writable space per file cost milliseconds).
                    with os.fdopen(fd, "rb", closefd=False) as f:
                        data = f.read(min(info.st_size, budget) + 1)
                    if len(data) > budget:
                        continue
                    budget -= len(data)
                    out = os.open(entry.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600,
                                  dir_fd=target)
                    with os.fdopen(out, "wb") as f:
                        f.write(data)
                except OSError:
                    continue
                finally:
                    os.close(fd)

    copy(source_fd, target_fd, 0, True)
    return budget


def isolate_job(driver, job_dir, settings, proto_fd, isolate_net, jobs_root, job_process):
    """The keeper, where clone_job cannot be used: runs in a forked job child. Builds the namespaces and the file system, forks the job
    process (pid 1 of the new PID namespace: it cannot see or signal the worker), which runs
    job_process (job.child_main), waits for it, copies the job directory's regular files back to the
    real one, and exits as the job process did."""
    os.setsid()
    os.close(proto_fd)
    scene = read_job_file(os.path.join(job_dir, SCENE_FILE), 64 << 20) or b""
    real = os.open(job_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    enter_job_namespaces(isolate_net)
    size = writable_space(settings)
    build_job_file_system(job_dir, jobs_root, scene, size)
    # The job process below cannot read this process's memory or descriptors (the real job directory).
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    pid = os.fork()
    if pid == 0:
        run_child(forked_job_process, driver, job_dir, settings, real, job_process)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if copy_back(os.open(job_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW), real, job_dir, size):
        os._exit(EXIT_RESULT_WRITTEN)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else EXIT_NO_RESULT)


def forked_job_process(driver, job_dir, settings, real_fd, job_process):
    """The keeper's child: pid 1 of the new PID namespace, without the real job directory, confined."""
    os.close(real_fd)
    notes = []
    confine_job_process(notes)
    job_process(driver, job_dir, settings, None, False, notes)


def isolate_network():
    """Used only when the launcher could not put the worker in a network namespace (no
    bubblewrap): a new network namespace for this child, as root directly, else inside a new
    user namespace. Returns notes for the result when it is not possible."""
    flags = CLONE_NEWNET if os.geteuid() == 0 else CLONE_NEWUSER | CLONE_NEWNET
    if LIBC.unshare(flags) != 0:
        return ["network isolation unavailable: unshare failed with errno %d" % ctypes.get_errno()]
    return []
