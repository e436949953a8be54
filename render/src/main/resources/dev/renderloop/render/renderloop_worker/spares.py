"""Spare job processes, made while the worker has nothing to do (core.IDLE_SECONDS without a
request). Each is one clone() of the warm parent that has built everything of a job that does not
depend on the job: namespaces, file system, confinement, warm pages and the heap a job will take
(warm_pages.reserve_heap; isolation.spare_job). Then,
one spare at a time and only while no request is waiting, it reads one byte of each page the parent
had in memory (warm_pages.touch_steps), whose first read in a new process costs ~6 us each on this
project's VMs. A job that comes starts in the oldest spare. On the 2-core VM a matplotlib job took
~57 ms so instead of ~135 (README, the reward service). Reading ahead costs ~90 ms of CPU a spare
there; RENDERLOOP_READ_AHEAD=off leaves it out (the spares are still made).

A spare is the process clone_job would have made for the job, only made earlier, from the same warm
parent (which never runs a job's code, so its state is the same then as later). It gets its job's
directory name and settings over its own socket (a job in one spare cannot reach another's: every
child of the parent closes the parent's ends) and reads the program from the real job directory, as
clone_job's child does; no two jobs ever share a spare. Only timing changes. Under sustained load no
spare is made (requests come closer together than IDLE_SECONDS) and jobs start as before; after a
pause (an RL engine generating its next rollouts, say) the next jobs find spares ready.

The other end of a job process's life is moved the same way (FinishedJobs): once a cloned job
process has written its result it is stopped, and ended when the worker is idle, before any spare
is made; a batch of requests no longer waits for each job's exit (~5 ms of page-table teardown).
"""

import os
import select
import signal

from .base import PARENT_ONLY_FDS
from .isolation import SPARE_PAUSE, SPARE_TOUCH, SPARE_TOUCHED, JobChannel, spare_job, start_spare_job

# The environment variable that turns reading ahead off ("off"); the spares are still made.
READ_AHEAD_SWITCH = "RENDERLOOP_READ_AHEAD"


class Spare:
    """One spare job process: its pid, the worker's end of its socket, the read end of its finished
    pipe, the writable-space size it built, and how far it read ahead (None: not yet, or paused;
    "reading"; "done")."""

    __slots__ = ("pid", "handle", "finished", "size", "read_ahead")

    def __init__(self, pid, handle, finished, size):
        self.pid, self.handle, self.finished, self.size, self.read_ahead = pid, handle, finished, size, None

    def end(self):
        PARENT_ONLY_FDS.difference_update((self.handle.fileno(), self.finished))
        self.handle.close()
        os.close(self.finished)
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


class JobSpares:
    """At most `count` spare job processes, oldest first, each for one writable-space size (the
    tmpfs a spare built; a job whose settings ask for another size starts as before).

    While the worker is idle, one spare at a time, the next to be used first, reads ahead the pages
    a job will read (warm_pages.touch_steps): told to by SPARE_TOUCH, stopped by SPARE_PAUSE as soon
    as a request comes, so reading ahead never competes with a job for the CPU."""

    def __init__(self, count):
        self.count = max(0, count)
        # Reading ahead costs ~90 ms of CPU a spare on the 2-core VM (its first read of ~17,000 pages) and saves a
        # chart job ~40 ms; a host that has other work for its idle CPU can turn it off (README, the reward service).
        self.read_ahead_on = os.environ.get(READ_AHEAD_SWITCH) != "off"
        self.ready = []  # Spare, oldest first
        self.size = None  # the writable space of the last job: the next is likely the same
        self.made = 0
        self.used = 0

    def wanted(self):
        """Whether a spare is missing (then the idle worker makes one)."""
        return self.size is not None and len(self.ready) < self.count

    def reading(self):
        """The socket of the spare reading ahead now, or None."""
        return next((s.handle for s in self.ready if s.read_ahead == "reading"), None)

    def to_read(self):
        """Whether a spare has pages left to read ahead and none is reading now (never with RENDERLOOP_READ_AHEAD=off)."""
        return self.read_ahead_on and self.reading() is None and any(s.read_ahead is None for s in self.ready)

    def add(self, driver, jobs_root, proto_fd, isolate_net, job_process):
        """Makes one spare for the last job's size (the parent's part: one clone(), ~4 ms here)."""
        pid, handle, finished = spare_job(driver, jobs_root, self.size, proto_fd, isolate_net, job_process)
        self.ready.append(Spare(pid, handle, finished, self.size))
        self.made += 1

    def read_ahead(self):
        """The worker is idle: the reading spare's answer taken, the next spare set reading."""
        if not self.read_ahead_on:
            return
        for spare in self.ready:
            if spare.read_ahead == "reading":
                try:
                    spare.handle.setblocking(False)
                    while spare.handle.recv(64) == SPARE_TOUCHED:
                        spare.read_ahead = "done"
                except (BlockingIOError, OSError):
                    pass
                finally:
                    spare.handle.setblocking(True)
                if spare.read_ahead == "reading":
                    return
        for spare in self.ready:
            if spare.read_ahead is None:
                spare.read_ahead = "reading" if send(spare.handle, SPARE_TOUCH) else "done"
                return

    def pause(self):
        """A request came: the spare reading ahead stops (and goes on from there when told again)."""
        for spare in self.ready:
            if spare.read_ahead == "reading":
                send(spare.handle, SPARE_PAUSE)
                spare.read_ahead = None

    def start(self, job_dir, settings, size):
        """The job started in a spare: (pid, JobChannel) as clone_job returns them, or None if there is
        no spare of that size (spares of another size are ended: the jobs have moved on)."""
        self.size = size
        while self.ready:
            spare = self.ready.pop(0)
            if spare.size == size and start_spare_job(spare.handle, spare.finished, job_dir, settings):
                self.used += 1
                return spare.pid, JobChannel(spare.handle, spare.finished)
            spare.end()
        return None

    def end_all(self):
        """Ends every spare (before a job that does not start by clone(), whose cleanup would find
        them; at shutdown)."""
        while self.ready:
            self.ready.pop().end()

    def status(self):
        return {"count": self.count, "ready": len(self.ready), "made": self.made, "used": self.used,
                "read_ahead": sum(1 for s in self.ready if s.read_ahead == "done"), "read_ahead_on": self.read_ahead_on}


def send(handle, message):
    try:
        handle.send(message)
        return True
    except OSError:
        return False  # the spare is gone: its job finds that out and reaps it


class FinishedJobs:
    """Finished job processes, each stopped alone in its PID namespace with its result collected
    (core.stop_finished), ended while the worker is idle, oldest first: a job process's exit tears
    down the page tables and memory it copied from the warm parent (~5 ms of CPU for a matplotlib
    job on the 2-core VM, README), which a batch of requests would otherwise wait for.

    Nothing of a stopped job runs, and its files were already copied out: ending it later changes
    only when its memory is freed. At most `limit` wait, holding together at most `memory` bytes
    beyond the parent's resident size; past either bound the oldest are ended at once (trim, after
    the answer went out), so under sustained load this costs what it always did. A stopped job
    dies with the worker (its parent-death signal, isolation.die_with_parent)."""

    def __init__(self, limit=8, memory=256 << 20):
        self.limit, self.memory = limit, memory
        self.stopped = []  # (pid, resident bytes beyond the parent's), oldest first
        self.ended = 0

    def add(self, pid):
        self.stopped.append((pid, max(0, resident_bytes(pid) - resident_bytes("self"))))

    def waiting(self):
        return bool(self.stopped)

    def trim(self):
        """Ends the oldest until the bounds hold."""
        while self.stopped and (len(self.stopped) > self.limit or sum(m for _, m in self.stopped) > self.memory):
            self.end_oldest()

    def end_oldest(self):
        pid, _ = self.stopped.pop(0)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        self.ended += 1

    def end_all(self):
        while self.stopped:
            self.end_oldest()

    def status(self):
        return {"waiting": len(self.stopped), "ended": self.ended}


def resident_bytes(pid):
    """A process's resident memory (/proc/PID/statm), 0 if it cannot be read."""
    try:
        with open("/proc/%s/statm" % pid, "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


class ProtocolInput:
    """The protocol's request lines from a descriptor, read without a buffer that select() cannot
    see, so the worker can ask whether a request is waiting before it makes a spare."""

    def __init__(self, fd):
        self.fd = fd
        self.pending = b""

    def readline(self, wait, also=None):
        """The next line without its newline; None if none came within `wait` seconds (None: wait
        as long as it takes) or the descriptor `also` has something to read first. Raises EOFError
        at the end of the input."""
        while b"\n" not in self.pending:
            if wait is not None or also is not None:
                ready = select.select([self.fd] + ([also] if also is not None else []), [], [], wait)[0]
                if self.fd not in ready:
                    return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                if self.pending:
                    line, self.pending = self.pending, b""
                    return line
                raise EOFError
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return line
