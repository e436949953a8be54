"""The warm parent's pages that a typical job writes, copied into each job process in a few system
calls instead of one page fault each.

A job process is a copy-on-write copy of the warm parent. Running Python code writes to most of the
objects it touches (reference counts), so a matplotlib job copies ~3,500 of the parent's pages one
fault at a time. Where page faults are dear (on the VMs this project is measured on, ~25-30 us each
under the hypervisor's paging, where 1-2 us is usual) those faults were a large part of a job's time.
At warm-up a sample job (the driver's own, trusted code) runs in a forked child, which reads in
/proc/self/pagemap which of the parent's private writable pages it now holds alone: the pages the
kernel copied for it. Each job process then asks the kernel to copy those pages at once
(madvise MADV_POPULATE_WRITE, Linux 5.14+) before anything else runs.

Only timing changes: a populated page holds what the fault would have copied, no page becomes
readable or writable that was not, and the learned set comes from trusted code, never from a job.

The sample child also notes how far the sample grew the heap. A spare job process (below) grows
its own heap by that much, has the kernel supply the pages at once (MADV_POPULATE_WRITE) and frees
the block again, which malloc keeps at the heap's top (the worker's GLIBC_TUNABLES keep up to 256
MiB there): a chart job's canvas and arrays then land in pages already in memory (~70-110 page
faults in a chart's drawing instead of ~220-400, ~1.5-3 ms of ~37 ms). RENDERLOOP_HEAP_RESERVE=off
leaves it out.

Where the worker keeps spare job processes (spares.py), it also notes the pages it has in memory
(learn_resident), and a spare, while the worker is idle, reads one byte of each (touch_steps): under
the hypervisor's paging even a page a new process already maps costs ~6 us at its first read, and a
matplotlib job reads thousands. Any request stops it, so under load it costs nothing; after a pause
the job finds them read.
"""

import ctypes
import os
import select
import signal
import struct
import time

MADV_POPULATE_WRITE = 23
# The environment variable that turns the spares' heap reserve off ("off").
HEAP_RESERVE_SWITCH = "RENDERLOOP_HEAP_RESERVE"
PAGE = os.sysconf("SC_PAGE_SIZE")
# pagemap entry bits: page present, page exclusively mapped (since Linux 4.2).
PRESENT = 1 << 63
EXCLUSIVE = 1 << 56
# The most a job process copies up front: a sample that wrote more is not typical of a job.
MAX_BYTES = 64 << 20
# The most heap a spare reserves (reserve_heap): each spare holds it, so a sample that grew the heap
# further (not a typical job) is not followed past it. matplotlib's grows it by ~1.5-2 MiB, rdkit's ~1.2.
MAX_HEAP_RESERVE = 16 << 20
# Mappings larger than this are not read (a library's address-space reservation, mostly never
# touched, would cost the pagemap read 8 bytes per page of it).
MAX_MAP_BYTES = 1 << 30
# The most a spare reads ahead (touch_steps): the warm parent's memory beyond this is not typical of a job.
MAX_TOUCH_BYTES = 512 << 20
# Pages touched between two looks at whether the job has come.
TOUCH_CHUNK = 256
# The longest a sample may take (a Manim scene takes ~1 s).
SAMPLE_SECONDS = 60

_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_LIBC.madvise.restype = ctypes.c_int
_LIBC.sbrk.argtypes = [ctypes.c_ssize_t]
_LIBC.sbrk.restype = ctypes.c_void_p
_LIBC.malloc.argtypes = [ctypes.c_size_t]
_LIBC.malloc.restype = ctypes.c_void_p
_LIBC.free.argtypes = [ctypes.c_void_p]
_LIBC.free.restype = None


class WarmPages:
    """Address ranges (start, end) of the parent's pages a sample job wrote, and how many bytes it
    grew the heap by; `status` says how many, or why there are none (reported with the worker's
    versions)."""

    def __init__(self, ranges, status, resident=(), heap_bytes=0):
        self.ranges = ranges
        self.status = status
        self.heap_bytes = heap_bytes
        # (start, end) of the parent's pages in memory at warm-up, for touch_steps() (learn_resident).
        self.resident = list(resident)

    @classmethod
    def off(cls, reason):
        return cls([], "off (%s)" % reason)

    @classmethod
    def learn(cls, sample, runs=2):
        """Runs sample() `runs` times, each in its own forked child, and keeps the union of the pages
        they wrote. Never raises: a failure is the status."""
        try:
            maps = private_writable_maps()
        except OSError as e:
            return cls.off("cannot read /proc/self/maps: %s" % e)
        pages = set()
        heap = 0
        for _ in range(runs):
            answer = in_forked_child(lambda: learn_in_child(sample, maps))
            if not answer.startswith(b"ok ") or len(answer) < 11:
                return cls.off(answer.decode("utf-8", "replace")[:300] or "the sample child gave no answer")
            heap = max(heap, struct.unpack("=q", answer[3:11])[0])
            pages.update(struct.unpack("=%dQ" % ((len(answer) - 11) // 8), answer[11:]))
        ranges = coalesce(sorted(pages))
        if len(pages) * PAGE > MAX_BYTES:
            return cls.off("the sample wrote %d MiB, more than %d" % (len(pages) * PAGE >> 20, MAX_BYTES >> 20))
        heap = min(max(heap, 0), MAX_HEAP_RESERVE)
        return cls(ranges, "on (%d pages in %d ranges; heap reserve %d KiB)" % (len(pages), len(ranges), heap >> 10),
                   heap_bytes=heap)

    def populate(self):
        """In a job process, before anything of the job runs: copies the learned pages now. A range
        the kernel refuses (one the process no longer maps) is skipped."""
        for start, end in self.ranges:
            _LIBC.madvise(start, end - start, MADV_POPULATE_WRITE)

    def reserve_heap(self):
        """In a spare job process, before its job comes: grows the heap by heap_bytes, has the kernel
        supply those pages now and frees the block, which stays at the heap's top for the job's
        first allocations. Memory only: no byte the job can read changes (fresh heap memory is
        zeros either way). Nothing with RENDERLOOP_HEAP_RESERVE=off, or where the block would not
        come from the heap (malloc's defaults map a block this size afresh and unmap it on free:
        the pages go with it, and nothing is gained or lost)."""
        if self.heap_bytes < PAGE or os.environ.get(HEAP_RESERVE_SWITCH) == "off":
            return
        block = _LIBC.malloc(self.heap_bytes)
        if not block:
            return
        start, end = (block + PAGE - 1) // PAGE * PAGE, (block + self.heap_bytes) // PAGE * PAGE
        if end > start:
            _LIBC.madvise(start, end - start, MADV_POPULATE_WRITE)
        _LIBC.free(block)

    def learn_resident(self):
        """Notes this (warm parent) process's pages in memory, for spares to read ahead; only where
        there are spares (a worker's start pays the pagemap read). The status says how many."""
        if not self.ranges:
            return
        try:
            self.resident = resident_ranges()
        except OSError:
            return
        self.status = self.status[:-1] + "; %d resident pages for spares to read)" % (
            sum(end - start for start, end in self.resident) // PAGE)

    def touch_steps(self):
        """In a spare job process while the worker is idle: reads one byte of each of `resident`'s
        pages that it still maps readable, yielding after each TOUCH_CHUNK pages (where the caller
        stops when its job or a request has come; resuming the generator goes on from there). Reads
        only: nothing changes but the time the job's first reads of them take."""
        left = TOUCH_CHUNK
        for start, end in clip(self.resident, readable_maps()):
            for address in range(start, end, PAGE):
                ctypes.c_char.from_address(address).value
                left -= 1
                if not left:
                    yield
                    left = TOUCH_CHUNK


def maps(keep):
    """(start, end) of this process's mappings (/proc/self/maps, sorted) for which keep(permissions,
    name) is true, each at most MAX_MAP_BYTES long."""
    found = []
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split(None, 5)
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if end - start <= MAX_MAP_BYTES and keep(fields[1], fields[5].strip() if len(fields) > 5 else ""):
                found.append((start, end))
    return found


def readable_maps():
    """This process's readable mappings that reading cannot affect: anonymous ones, the heap and
    stack, and regular files (no device, no kernel page such as [vvar])."""
    return maps(lambda perms, name: perms.startswith("r") and (
        not name or name in ("[heap]", "[stack]") or (name.startswith("/") and not name.startswith("/dev/"))))


def resident_ranges():
    """(start, end) of this process's pages in memory in readable_maps(), at most MAX_TOUCH_BYTES."""
    pages = []
    with open("/proc/self/pagemap", "rb", buffering=0) as pagemap:
        for start, end in readable_maps():
            pagemap.seek(start // PAGE * 8)
            data = pagemap.read((end - start) // PAGE * 8)
            pages.extend(start + index * PAGE for index, (entry,) in enumerate(struct.iter_unpack("=Q", data))
                         if entry & PRESENT)
            if len(pages) * PAGE >= MAX_TOUCH_BYTES:
                break
    return coalesce(pages[:MAX_TOUCH_BYTES // PAGE])


def clip(ranges, maps):
    """The parts of sorted `ranges` inside sorted, disjoint `maps`."""
    out = []
    m = 0
    for start, end in ranges:
        while m < len(maps) and maps[m][1] <= start:
            m += 1
        k = m
        while k < len(maps) and maps[k][0] < end:
            lo, hi = max(start, maps[k][0]), min(end, maps[k][1])
            if lo < hi:
                out.append((lo, hi))
            k += 1
    return out


def private_writable_maps():
    """This process's private writable mappings."""
    return maps(lambda perms, name: perms.startswith("rw") and perms.endswith("p"))


def learn_in_child(sample, maps):
    """In the forked child: checks that the kernel populates (an older one refuses the advice), runs
    the sample, and answers b"ok " + how far it grew the heap (signed 64-bit) + the addresses
    (native 64-bit) of the maps' pages it holds alone."""
    probe = ctypes.create_string_buffer(PAGE * 2)
    aligned = (ctypes.addressof(probe) + PAGE - 1) // PAGE * PAGE
    if _LIBC.madvise(aligned, PAGE, MADV_POPULATE_WRITE) != 0:
        return b"madvise(MADV_POPULATE_WRITE) refused: errno %d (Linux 5.14+ has it)" % ctypes.get_errno()
    heap_end = _LIBC.sbrk(0)
    sample()
    heap_growth = _LIBC.sbrk(0) - heap_end
    written = []
    with open("/proc/self/pagemap", "rb", buffering=0) as pagemap:
        for start, end in maps:
            pagemap.seek(start // PAGE * 8)
            data = pagemap.read((end - start) // PAGE * 8)
            for index, (entry,) in enumerate(struct.iter_unpack("=Q", data)):
                if entry & PRESENT and entry & EXCLUSIVE:
                    written.append(start + index * PAGE)
    return b"ok " + struct.pack("=q%dQ" % len(written), heap_growth, *written)


def coalesce(pages):
    ranges = []
    for page in pages:
        if ranges and ranges[-1][1] == page:
            ranges[-1][1] = page + PAGE
        else:
            ranges.append([page, page + PAGE])
    return [tuple(r) for r in ranges]


def in_forked_child(body, timeout=SAMPLE_SECONDS):
    """body() run in a forked child; its bytes, or an error text. A child that has not answered
    within `timeout` seconds (a library's lock held by another thread at the fork, say) is killed:
    a worker's start must not hang on what only makes jobs faster."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            answer = body()
        except BaseException as e:  # noqa: B902 - reported to the parent as text
            answer = ("the sample failed: %s: %s" % (type(e).__name__, e)).encode()
        view = memoryview(answer)
        while view:
            view = view[os.write(w, view):]
        os._exit(0)
    os.close(w)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([r], [], [], remaining)[0]:
                os.kill(pid, signal.SIGKILL)
                return b"the sample did not finish within %d s" % timeout
            chunk = os.read(r, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(r)
        os.waitpid(pid, 0)
