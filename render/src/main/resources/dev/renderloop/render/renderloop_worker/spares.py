"""Spare job processes, made while the worker has nothing to do (core.IDLE_SECONDS without a
request). Each is one clone() of the warm parent that has built everything of a job that does not
depend on the job: namespaces, file system, confinement, warm pages (isolation.spare_job). Then,
one spare at a time and only while no request is waiting, it reads one byte of each page the parent
had in memory (warm_pages.touch_steps), whose first read in a new process costs ~6 us each on this
project's VMs. A job that comes starts in the oldest spare. On the 2-core VM a matplotlib job took
~57 ms so instead of ~135 (README, the reward service).

A spare is the process clone_job would have made for the job, only made earlier, from the same warm
parent (which never runs a job's code, so its state is the same then as later). It gets its job's
directory name and settings over its own socket (a job in one spare cannot reach another's: every
child of the parent closes the parent's ends) and reads the program from the real job directory, as
clone_job's child does; no two jobs ever share a spare. Only timing changes. Under sustained load no
spare is made (requests come closer together than IDLE_SECONDS) and jobs start as before; after a
pause (an RL engine generating its next rollouts, say) the next jobs find spares ready.
"""

import os
import select
import signal

from .base import PARENT_ONLY_FDS
from .isolation import SPARE_PAUSE, SPARE_TOUCH, SPARE_TOUCHED, spare_job, start_spare_job


class Spare:
    """One spare job process: its pid, the worker's end of its socket, the writable-space size it
    built, and how far it read ahead (None: not yet, or paused; "reading"; "done")."""

    __slots__ = ("pid", "handle", "size", "read_ahead")

    def __init__(self, pid, handle, size):
        self.pid, self.handle, self.size, self.read_ahead = pid, handle, size, None

    def end(self):
        PARENT_ONLY_FDS.discard(self.handle.fileno())
        self.handle.close()
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
        """Whether a spare has pages left to read ahead and none is reading now."""
        return self.reading() is None and any(s.read_ahead is None for s in self.ready)

    def add(self, driver, jobs_root, proto_fd, isolate_net, job_process):
        """Makes one spare for the last job's size (the parent's part: one clone(), ~4 ms here)."""
        pid, handle = spare_job(driver, jobs_root, self.size, proto_fd, isolate_net, job_process)
        self.ready.append(Spare(pid, handle, self.size))
        self.made += 1

    def read_ahead(self):
        """The worker is idle: the reading spare's answer taken, the next spare set reading."""
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
        """The job started in a spare: (pid, handle) as clone_job returns them, or None if there is
        no spare of that size (spares of another size are ended: the jobs have moved on)."""
        self.size = size
        while self.ready:
            spare = self.ready.pop(0)
            if spare.size == size and start_spare_job(spare.handle, job_dir, settings):
                self.used += 1
                return spare.pid, spare.handle
            spare.end()
        return None

    def end_all(self):
        """Ends every spare (before a job that does not start by clone(), whose cleanup would find
        them; at shutdown)."""
        while self.ready:
            self.ready.pop().end()

    def status(self):
        return {"count": self.count, "ready": len(self.ready), "made": self.made, "used": self.used,
                "read_ahead": sum(1 for s in self.ready if s.read_ahead == "done")}


def send(handle, message):
    try:
        handle.send(message)
        return True
    except OSError:
        return False  # the spare is gone: its job finds that out and reaps it


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
