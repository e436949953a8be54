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
