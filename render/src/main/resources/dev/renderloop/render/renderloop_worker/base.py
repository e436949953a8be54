"""What the drivers share with the core: the job's file names, the error a driver raises, and the
helpers that read what a job wrote or run its code."""

import os
import stat
import sys
import types

RESULT_FILE = ".result.json"
LOG_FILE = "log.txt"
SCENE_FILE = "scene.py"
MODULE_NAME = "renderloop_scene"
# Processes the parent keeps across jobs (the tikz fork server): spared by the cleanup after each job.
PROTECTED_PIDS = set()
# Descriptors only the warm parent may hold (its ends of the spare job processes' sockets): every
# child the parent starts closes them first (close_parent_only_fds).
PARENT_ONLY_FDS = set()
# What a cloned job process sends its parent once its result is written (job.report_finished).
FINISHED = b"finished"
# Exit codes the child uses so the parent can classify a death without a result file.
EXIT_RESULT_WRITTEN = 0
EXIT_NO_RESULT = 70


class RenderError(Exception):
    """An expected failure with an error kind, raised by drivers."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def run_module(compiled):
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = SCENE_FILE
    sys.modules[MODULE_NAME] = module
    exec(compiled, module.__dict__)
    return module


def write_png(frame, path, alpha=False):
    """frame (an HxWx3 or HxWx4 uint8 array) as an 8-bit PNG file at path (or into a binary file object): RGB with any alpha dropped, or RGBA
    with alpha=True and four channels. Every row is unfiltered and the data deflated at level 1: the
    pixels are exactly the array's, and the file is somewhat larger than Pillow's, but Pillow tries
    every row filter on every row and deflates at level 6. Manim's reward mode writes one PNG per
    sampled frame (`perf render --domain manim` prints the png stage: 176 ms per render with Pillow,
    86-131 ms with this); a 640x480 chart takes ~2 ms here against ~10 ms in Pillow, and the Java
    side inflates it in ~1 ms against ~2.7 ms (measured by hand on the 2-core VM, README)."""
    import struct
    import zlib

    import numpy
    frame = numpy.asarray(frame)
    if frame.dtype != numpy.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4):
        from PIL import Image
        Image.fromarray(frame[:, :, :3]).save(path, compress_level=1)
        return
    channels = 4 if alpha and frame.shape[2] == 4 else 3
    height, width = frame.shape[:2]
    stride = width * channels + 1
    # Deflated a band of rows at a time through one small buffer: a whole-image copy would be fresh
    # memory, and a job process pays a page fault for each new page it touches (~16 us on the VM
    # of the README's figures, ~300 pages for a 640x480 RGBA copy).
    band = max(1, min(height, (64 << 10) // stride))
    rows = numpy.zeros((band, stride), numpy.uint8)  # column 0 stays 0: filter type None on every row
    deflate = zlib.compressobj(1)
    parts = []
    for top in range(0, height, band):
        n = min(band, height - top)
        rows[:n, 1:].reshape(n, width, channels)[...] = frame[top:top + n, :, :channels]
        parts.append(deflate.compress(rows[:n]))
    parts.append(deflate.flush())

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    colour_type = 6 if channels == 4 else 2  # RGBA or RGB
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)  # 8-bit, deflate, no interlace
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")
    if hasattr(path, "write"):
        path.write(png)
    else:
        with open(path, "wb") as f:
            f.write(png)


def run_child(body, *args):
    """Runs body(*args) in a forked or cloned child and exits: a broken child must never return into
    the code that forked it (the warm parent's loop, the keeper). Exits with EXIT_NO_RESULT unless
    body exits first; an exception is printed to the child's stderr."""
    try:
        body(*args)
    except BaseException:  # noqa: B902 - whatever went wrong, this process ends here
        try:
            import traceback
            traceback.print_exc()
        finally:
            os._exit(EXIT_NO_RESULT)
    os._exit(EXIT_NO_RESULT)


def close_parent_only_fds():
    """In a child of the warm parent: closes PARENT_ONLY_FDS (a job holding a spare's socket could
    hand that spare a program of its own choosing for another job)."""
    for fd in PARENT_ONLY_FDS:
        try:
            os.close(fd)
        except OSError:
            pass
    PARENT_ONLY_FDS.clear()


def read_job_file(path, limit):
    """The bytes of a regular file a job's program wrote, read without following a link or blocking
    on something that is not a file; None if it is larger than limit bytes."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RenderError("runtime_error", "%s is not a regular file" % os.path.basename(path))
        if info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    finally:
        os.close(fd)


def timeout_result(timeout):
    """The result of a job whose deadline passed."""
    return {"status": "error", "error_kind": "timeout",
            "error": "the render did not finish within %g s and was killed" % timeout}
