"""What memory costs a fresh job process on this machine: the figures behind the README's notes on where a
matplotlib reward's time goes (Reward service section, "where a batch of 8 charts goes"). A diagnostic, not a
benchmark of the project: it imports nothing of RenderLoop and changes nothing.

Usage: /usr/bin/python3 scripts/probe-vm-pages.py   (Debian's python3 with python3-matplotlib; ~10 s)

1. fork + exit + wait of a warm matplotlib interpreter (what every job process costs before it runs a line);
2. a forked child reading one byte of each 4 KiB page of 64 MiB the parent wrote: in 4 KiB pages, in transparent
   huge pages (MADV_HUGEPAGE + MADV_COLLAPSE, Linux 6.1+), and in huge pages after one write per 2 MiB (what a
   Python job's reference counts do to the parent's heap);
3. a forked child's first and second chart with every private writable mapping populated first (as a spare job
   process populates the pages it learned), against the warm parent drawing the same chart.
"""
import os

# One BLAS thread, as the render workers set it: numpy's OpenBLAS otherwise spins a second thread on every chart.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import ctypes  # noqa: E402
import io  # noqa: E402
import mmap  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MADV_HUGEPAGE, MADV_COLLAPSE, MADV_POPULATE_WRITE = 14, 25, 23
HUGE = 2 << 20
LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


def chart(k):
    plt.bar(["a", "b", "c"], [3, 1, k], color="tab:green")
    plt.title("sales")
    plt.gcf().savefig(io.BytesIO(), format="png", dpi=100)
    plt.close("all")


def in_child(work):
    """Runs work() in a forked child and returns what it returns (a short string)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, work().encode())
        os._exit(0)
    os.close(w)
    answer = os.read(r, 4096).decode()
    os.waitpid(pid, 0)
    os.close(r)
    return answer


def fork_exit_ms(n=10):
    start = time.perf_counter()
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    return (time.perf_counter() - start) * 1e3 / n


def first_reads(huge, split):
    size = 64 << 20
    m = mmap.mmap(-1, size + HUGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    base = ctypes.addressof(ctypes.c_char.from_buffer(m))
    offset = ((base + HUGE - 1) & ~(HUGE - 1)) - base
    if huge:
        LIBC.madvise(base + offset, size, MADV_HUGEPAGE)
    for i in range(offset, offset + size, 4096):
        m[i] = 1
    if huge:
        LIBC.madvise(base + offset, size, MADV_COLLAPSE)

    def work():
        if split:
            for i in range(offset, offset + size, HUGE):
                m[i + 8192] = 2
        start = time.perf_counter()
        total = 0
        for i in range(offset, offset + size, 4096):
            total += m[i]
        first = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(offset, offset + size, 4096):
            total += m[i]
        return "%.1f %.1f" % (first * 1e3, (time.perf_counter() - start) * 1e3)

    first, again = map(float, in_child(work).split())
    m.close()
    return first, again


def populate_writable():
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split()
            if fields[1].startswith("rw") and "[stack]" not in line:
                start, end = (int(x, 16) for x in fields[0].split("-"))
                if end - start < (256 << 20):
                    LIBC.madvise(start, end - start, MADV_POPULATE_WRITE)


def child_charts():
    def work():
        populate_writable()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        c0 = time.process_time()
        chart(3)
        c1 = time.process_time()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        chart(4)
        c2 = time.process_time()
        return "%.1f %.1f %d" % ((c1 - c0) * 1e3, (c2 - c1) * 1e3, faults)

    return [float(x) for x in in_child(work).split()]


def main():
    for k in range(5):
        chart(k)
    print("1. fork + exit + wait of a warm matplotlib interpreter: %.1f ms (median of 3 x 10)"
          % statistics.median(fork_exit_ms() for _ in range(3)))
    for label, huge, split in (("4 KiB pages", False, False), ("huge pages", True, False),
                               ("huge pages, one write per 2 MiB first", True, True)):
        runs = [first_reads(huge, split) for _ in range(3)]
        print("2. child reads 64 MiB the parent wrote, %s: first %s ms, again %.1f ms"
              % (label, "/".join("%.1f" % r[0] for r in runs), statistics.median(r[1] for r in runs)))
    runs = [child_charts() for _ in range(5)]
    parent = []
    for k in range(5):
        c0 = time.process_time()
        chart(k)
        parent.append((time.process_time() - c0) * 1e3)
    print("3. chart in a forked child, writable pages populated: first %.1f ms (%d faults), second %.1f ms;"
          " the warm parent %.1f ms (CPU, medians of 5)"
          % (statistics.median(r[0] for r in runs), statistics.median(r[2] for r in runs),
             statistics.median(r[1] for r in runs), statistics.median(parent)))


if __name__ == "__main__":
    main()
