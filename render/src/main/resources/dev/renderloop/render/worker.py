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

Only the standard library is used here; the driver imports its library lazily.
"""

import ctypes
import errno
import json
import os
# random (seeded per job), struct and zlib (PNG writing) are used by every job child: imported here,
# once, because an import inside a forked child is paid again by every job (~1 ms together).
import random
import re
import resource
import signal
import stat
import struct
import sys
import time
import traceback
import zlib
import types

PROTOCOL_VERSION = 1
RESULT_FILE = ".result.json"
LOG_FILE = "log.txt"
SCENE_FILE = "scene.py"
MODULE_NAME = "renderloop_scene"
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
# Processes the parent keeps across jobs (the tikz fork server): spared by the cleanup after each job.
PROTECTED_PIDS = set()
# Set by main: whether jobs get their own namespaces (JobIsolation).
ISOLATION = None
# Exit codes the child uses so the parent can classify a death without a result file.
EXIT_RESULT_WRITTEN = 0
EXIT_NO_RESULT = 70


class RenderError(Exception):
    """An expected failure with an error kind, raised by drivers."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


# ----------------------------------------------------------------------------------------------
# Drivers: what "render this code" means per domain. warm() runs in the parent, render() in a child.
# ----------------------------------------------------------------------------------------------

class MatplotlibDriver:
    name = "matplotlib"

    def warm(self):
        import matplotlib
        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot  # noqa: F401  (the import is the warm-up)
        import numpy
        # Build the font cache in the parent so no child pays for it.
        from matplotlib import font_manager
        font_manager.findfont("DejaVu Sans")
        return {"matplotlib": matplotlib.__version__, "numpy": numpy.__version__}

    def render(self, compiled, settings, out_dir):
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        saved = []
        original_savefig = Figure.savefig

        def redirected_savefig(fig, *args, **kwargs):
            # The program's own path and options are ignored: the engine captures the figure
            # at a fixed size and DPI so every render of a task is comparable.
            if fig not in saved:
                saved.append(fig)

        Figure.savefig = redirected_savefig
        plt.show = lambda *args, **kwargs: None
        plt.savefig = lambda *args, **kwargs: redirected_savefig(plt.gcf())
        run_module(compiled)
        figures = list(saved) or [plt.figure(n) for n in plt.get_fignums()]
        figures = [f for f in figures if f.get_axes() or f.artists or f.texts or f.images or f.patches or f.lines]
        if not figures:
            raise RenderError("no_scene", "the program drew nothing: no matplotlib figure was created")
        dpi = float(settings.get("dpi", 100))
        width, height = int(settings["width"]), int(settings["height"])
        frames = []
        for index, fig in enumerate(figures):
            fig.set_dpi(dpi)
            fig.set_size_inches(width / dpi, height / dpi)
            path = os.path.join(out_dir, "frame_%05d.png" % index)
            original_savefig(fig, path, dpi=dpi, facecolor="white", format="png")
            frames.append(path)
        return {"frames": frames, "media": frames[-1], "last_frame": frames[-1], "scene": None}


class ManimDriver:
    name = "manim"

    def warm(self):
        import manim
        import numpy
        return {"manim": getattr(manim, "__version__", "unknown"), "numpy": numpy.__version__}

    def render(self, compiled, settings, out_dir):
        import manim
        from manim import Scene, tempconfig

        mode = settings.get("manim_mode") or "published"
        if mode not in ("published", "reward", "published-lossless"):
            raise RenderError("bad_input", "unknown manim_mode %r" % mode)
        media_dir = os.path.join(out_dir, "media")
        options = {
            "media_dir": media_dir,
            "pixel_width": int(settings["width"]),
            "pixel_height": int(settings["height"]),
            "frame_rate": float(settings["fps"]),
            "format": "mp4",
            "write_to_movie": True,
            "save_last_frame": False,
            "disable_caching": True,
            "preview": False,
            "progress_bar": "none",
            "verbosity": "WARNING",
        }
        frames_dir = os.path.join(out_dir, "frames")
        os.makedirs(frames_dir, exist_ok=True)
        clock = StageClock()
        # The module runs *inside* tempconfig so that its own module-level config.* assignments
        # win over ours, as they do with the manim CLI.
        with tempconfig(options):
            with clock.stage("module"):
                module = run_module(compiled)
            scene_class = pick_scene_class(module, Scene, settings.get("scene"))
            with clock.stage("scene_init"):
                scene = scene_class()
            sink = None
            if mode != "published":
                # The scene's own config wins (as above): its frame rate sets the sampling step.
                fps = float(manim.config["frame_rate"])
                sink = SampledFrames(frames_dir, settings, fps, clock)
                sink.attach(scene.renderer, rasterise_all=(mode == "published-lossless"))
            else:
                clock.wrap(scene.renderer, "update_frame", "raster")
                clock.wrap(scene.renderer.file_writer, "write_frame", "encode")
                clock.wrap(scene.renderer.file_writer, "end_animation", "encode")
                clock.wrap(scene.renderer.file_writer, "finish", "encode")
            with clock.stage("scene"):
                scene.render()
            renderer = scene.renderer
            writer = renderer.file_writer
            played = getattr(renderer, "num_plays", 0)
            movie = str(getattr(writer, "movie_file_path", "") or "")
            image = str(getattr(writer, "image_file_path", "") or "")
        details = {"manim_mode": mode}
        if played and sink is not None:
            frames, last = sink.finish()
            details.update(clock.details())
            details["frames_written"] = str(sink.count)
            details["frames_rasterised"] = str(sink.rasterised)
            media = movie if mode == "published-lossless" and movie and os.path.isfile(movie) else last
            return {"frames": frames, "media": media, "last_frame": last, "scene": scene_class.__name__,
                    "details": details}
        if played and movie and os.path.isfile(movie):
            with clock.stage("decode"):
                frames, last = sample_video(movie, frames_dir, settings)
            details.update(clock.details())
            return {"frames": frames, "media": movie, "last_frame": last, "scene": scene_class.__name__,
                    "details": details}
        if image and os.path.isfile(image):
            details.update(clock.details())
            return {"frames": [image], "media": image, "last_frame": image, "scene": scene_class.__name__,
                    "details": details}
        raise RenderError("no_scene", "scene %s rendered but manim wrote no video or image" % scene_class.__name__)


class StageClock:
    """Wall time per stage of one Manim render, reported as `<stage>_ms` details. Stages nest: the
    time of `raster`, `encode` and `png` inside `scene` is subtracted from it, the rest being
    animation updates (`animate`)."""

    def __init__(self):
        self.totals = {}

    def add(self, name, seconds):
        self.totals[name] = self.totals.get(name, 0.0) + seconds

    def stage(self, name):
        clock = self

        class Stage:
            def __enter__(self):
                self.start = time.perf_counter()

            def __exit__(self, *exc):
                clock.add(name, time.perf_counter() - self.start)
                return False

        return Stage()

    def wrap(self, owner, method, name):
        """Times every call of owner.method (an instance attribute shadows the class's method)."""
        original = getattr(owner, method)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - start)

        setattr(owner, method, timed)
        return original

    def details(self):
        t = dict(self.totals)
        inner = t.get("raster", 0.0) + t.get("encode", 0.0) + t.get("png", 0.0)
        if "scene" in t:
            t["animate"] = max(0.0, t.pop("scene") - inner)
        return {k + "_ms": "%.1f" % (1000 * v) for k, v in sorted(t.items())}


class SampledFrames:
    """The reward and published-lossless modes of the manim driver: frames are counted as the video
    would hold them (global frame index over all partial movies), and every k-th frame,
    k = max(1, int(fps / sample_fps)) as in sample_video, is written to PNG from the renderer's pixel
    array, before any encoding. In reward mode the renderer's per-frame Cairo rasterisation is skipped
    for frames that are not kept (animation state still advances: Scene.update_to_time runs for every
    frame), except the last frame of each play (one of them is the video's last frame), and the file
    writer neither encodes nor combines anything."""

    def __init__(self, frames_dir, settings, fps, clock):
        sample_fps = float(settings.get("sample_fps", 5))
        self.step = max(1, int(fps / sample_fps)) if sample_fps > 0 else 1
        self.max_frames = int(settings.get("max_frames", 300))
        self.frames_dir = frames_dir
        self.clock = clock
        self.count = 0
        self.rasterised = 0
        self.frames = []
        self.last = None
        self.saved = None

    def wanted(self, index):
        return index % self.step == 0 and len(self.frames) < self.max_frames

    def attach(self, renderer, rasterise_all):
        writer = renderer.file_writer
        original_write = writer.write_frame if rasterise_all else None
        clock = self.clock
        clock.wrap(renderer, "update_frame", "raster")

        def write_frame(frame, *args, **kwargs):
            self.take(frame)
            if original_write is not None:
                start = time.perf_counter()
                original_write(frame, *args, **kwargs)
                clock.add("encode", time.perf_counter() - start)

        writer.write_frame = write_frame
        if rasterise_all:
            clock.wrap(writer, "end_animation", "encode")
            clock.wrap(writer, "finish", "encode")
            return
        writer.begin_animation = lambda *args, **kwargs: None
        writer.end_animation = lambda *args, **kwargs: None
        writer.finish = lambda *args, **kwargs: None
        original_render = renderer.render

        def render(scene, time_now, moving_mobjects):
            progression = getattr(getattr(scene, "time_progression", None), "iterable", None)
            last_of_play = (progression is None or len(progression) == 0 or time_now >= progression[-1]
                            or getattr(scene, "stop_condition", None) is not None)
            if last_of_play or self.wanted(self.count):
                self.rasterised += 1
                return original_render(scene, time_now, moving_mobjects)
            # Not kept: advance the renderer's clock and the frame count without drawing.
            renderer.add_frame(None)

        renderer.render = render

    def take(self, frame):
        index = self.count
        self.count += 1
        if frame is None:
            return
        self.last = (frame, index)
        if self.wanted(index):
            path = os.path.join(self.frames_dir, "frame_%05d.png" % index)
            self.save(frame, path)
            self.frames.append(path)

    def save(self, frame, path):
        from PIL import Image
        start = time.perf_counter()
        if self.saved is not None and self.saved[0] is frame:
            # A held frame (wait, freeze) is one array written many times: encode it once.
            import shutil
            shutil.copyfile(self.saved[1], path)
        else:
            # Opaque RGBA from Cairo; the encoder drops alpha too.
            Image.fromarray(frame[:, :, :3]).save(path, compress_level=1)
            self.saved = (frame, path)
        self.clock.add("png", time.perf_counter() - start)

    def finish(self):
        if self.last is None:
            raise RenderError("no_scene", "the scene played animations but no frame was drawn")
        frame, index = self.last
        if index != self.count - 1:
            raise RenderError("runtime_error", "internal: the video's last frame (%d) was not rasterised" % (self.count - 1))
        path = os.path.join(self.frames_dir, "last.png")
        self.save(frame, path)
        return self.frames, path


def pick_scene_class(module, scene_base, wanted):
    """The scene to render: `wanted` by name, else the one defined class that no other defined
    scene class derives from (helpers and base scenes are skipped); with several, the last defined."""
    defined = [v for v in vars(module).values()
               if isinstance(v, type) and issubclass(v, scene_base) and v.__module__ == MODULE_NAME]
    if wanted:
        for cls in defined:
            if cls.__name__ == wanted:
                return cls
        raise RenderError("no_scene", "no Scene subclass named %s; defined: %s"
                          % (wanted, ", ".join(c.__name__ for c in defined) or "none"))
    if not defined:
        raise RenderError("no_scene", "the code defines no Scene subclass")
    leaves = [c for c in defined if not any(o is not c and issubclass(o, c) for o in defined)]
    return (leaves or defined)[-1]


def sample_video(movie, frames_dir, settings):
    """Decodes the movie in this (child) process and keeps every k-th frame, k = max(1, int(fps /
    sample_fps)) as in the published VS, plus the last frame. Returns (frame paths, last frame)."""
    import av
    from PIL import Image  # noqa: F401  (av's to_image needs Pillow)

    sample_fps = float(settings.get("sample_fps", 5))
    max_frames = int(settings.get("max_frames", 300))
    frames = []
    last_image = None
    index = 0
    with av.open(movie) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or settings["fps"])
        step = max(1, int(fps / sample_fps)) if sample_fps > 0 else 1
        for frame in container.decode(stream):
            image = frame.to_image()
            if index % step == 0 and len(frames) < max_frames:
                path = os.path.join(frames_dir, "frame_%05d.png" % index)
                image.save(path)
                frames.append(path)
            last_image = image
            index += 1
    if last_image is None:
        raise RenderError("no_scene", "the video has no frames")
    last = os.path.join(frames_dir, "last.png")
    last_image.save(last)
    return frames, last


class RdkitDriver:
    """Python that draws a molecule with RDKit. Drawing is redirected: Draw.MolToFile and
    Image.save write nothing where the program asks; the molecule drawn last is rendered at the
    fixed size, else the last image the program saved (fitted on white), else the last PNG it
    wrote with MolDraw2DCairo.WriteDrawingText into its working directory. The canonical SMILES of
    every molecule passed to a Draw function is reported for chemistry scores."""
    name = "rdkit"

    def warm(self):
        from rdkit import Chem, rdBase
        from rdkit.Chem import AllChem, Draw  # noqa: F401  (the imports are the warm-up)
        from rdkit.Chem.Draw import rdMolDraw2D  # noqa: F401
        Draw.MolToImage(Chem.MolFromSmiles("c1ccccc1O"), size=(64, 64))
        return {"rdkit": rdBase.rdkitVersion}

    def render(self, compiled, settings, out_dir):
        from PIL import Image
        from rdkit import Chem
        from rdkit.Chem import Draw

        width, height = int(settings["width"]), int(settings["height"])
        drawn, saved = [], []
        real_to_image, real_save = Draw.MolToImage, Image.Image.save

        def mol_to_image(mol, *args, **kwargs):
            if mol is not None:
                drawn.append(mol)
            return real_to_image(mol, *args, **kwargs)

        def mol_to_file(mol, *args, **kwargs):
            if mol is not None:
                drawn.append(mol)

        def image_save(image, *args, **kwargs):
            saved.append(image.copy())

        Draw.MolToImage, Draw.MolToFile = mol_to_image, mol_to_file
        Image.Image.save = image_save
        Image.Image.show = lambda *args, **kwargs: None
        started = time.time()
        run_module(compiled)
        path = os.path.join(out_dir, "frame_00000.png")
        if drawn:
            real_save(real_to_image(drawn[-1], size=(width, height)).convert("RGB"), path)
        elif saved:
            real_save(fit_on_white(saved[-1], width, height), path)
        else:
            written = [os.path.join(".", f) for f in os.listdir(".") if f.lower().endswith(".png")]
            written = [f for f in written if os.path.getmtime(f) >= started - 1]
            if not written:
                raise RenderError("no_scene", "the program drew no molecule (no Draw call, saved image or PNG file)")
            with Image.open(max(written, key=os.path.getmtime)) as image:
                real_save(fit_on_white(image, width, height), path)
        smiles = [Chem.MolToSmiles(m) for m in drawn]
        return {"frames": [path], "media": path, "last_frame": path, "scene": None,
                "details": {"smiles": smiles[-1]} if smiles else {}}


class TikzDriver:
    """LaTeX/TikZ: pdflatex (standalone class; a bare snippet is wrapped) then the first page
    rasterised with pdftoppm. The warm parent precompiles a format with the standard preamble, so
    a job whose preamble is covered by it skips loading TikZ; any other document compiles with
    plain pdflatex. No shell escape; kpathsea's paranoid mode forbids reading or writing outside
    the job directory; the job's limits and group kill cover pdflatex.

    A covered job does not even start pdflatex: a warm pdflatex (a fork server, FORK_SERVER_C) has
    loaded the format, fonts and TikZ, and forks a copy of itself for each job, as this worker forks
    its own job children; the copy reads the job's body and exits. Loading the format and warming up
    cost ~90 ms of CPU per pdflatex, the body itself ~12 ms. pdftoppm is a fork server too: its
    start (loading and linking poppler) was half of a 300 dpi rasterisation. A covered job needs no
    job child either (render_in_parent): it runs nothing in this process."""
    name = "tikz"
    compiles_python = False
    PACKAGES = ("tikz", "pgfplots", "amsmath", "amssymb", "xcolor")
    # Not arrows.meta: loading it changes how the default "->" tip is drawn, so a document that does
    # not load it would be typeset differently with the format than with its own preamble. A covered
    # document that loads it gets it loaded at the start of its body instead (BODY_LIBRARIES: checked
    # pixel for pixel against the document's own preamble by TikzSuiteIT).
    BODY_LIBRARIES = ("arrows.meta",)
    LIBRARIES = ("positioning", "shapes", "calc", "decorations.pathreplacing",
                 "patterns", "matrix", "fit", "backgrounds", "automata", "trees", "shadows")
    PREAMBLE = ("\\documentclass[border=2pt]{standalone}\n"
                + "".join("\\usepackage{%s}\n" % p for p in PACKAGES)
                + "\\pgfplotsset{compat=1.18}\n"
                + "\\usetikzlibrary{%s}\n" % ",".join(LIBRARIES))
    # The most of a document's preamble that the parent reads to decide whether the format covers
    # it (its regular expressions are linear in it only up to a factor of the occurrences); a longer
    # preamble is examined in a job child.
    MAX_PARENT_HEAD = 16 << 10
    MAX_SERVER_FAILURES = 3

    def warm(self):
        import shutil
        import subprocess
        self.pdflatex = shutil.which("pdflatex")
        self.pdftoppm = shutil.which("pdftoppm")
        self.pdfinfo = shutil.which("pdfinfo")
        if not (self.pdflatex and self.pdftoppm and self.pdfinfo):
            raise RuntimeError("pdflatex, pdftoppm and pdfinfo are needed: apt-get install texlive-latex-base "
                               "texlive-latex-extra texlive-pictures poppler-utils")
        fmt_dir = os.path.join(os.environ.get("HOME", "/tmp"), "tikz-format")
        os.makedirs(fmt_dir, exist_ok=True)
        with open(os.path.join(fmt_dir, "preamble.tex"), "w") as f:
            f.write(self.PREAMBLE + "\\begin{document}\n\\end{document}\n")
        done = subprocess.run(["pdftex", "-ini", "-interaction=nonstopmode", "-jobname=renderloop-tikz",
                               "&pdflatex", "mylatexformat.ltx", "preamble.tex"],
                              cwd=fmt_dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=120, env=self.tex_env(fmt_dir))
        fmt = os.path.join(fmt_dir, "renderloop-tikz.fmt")
        self.format = fmt if done.returncode == 0 and os.path.isfile(fmt) else None
        self.fork_library, fork_note = self.build_fork_library(fmt_dir)
        self.tex_server = None
        self.raster_server = None
        self.servers = 0
        self.failures = {}
        self.after_job()
        if self.fork_library:
            missing = [name for name, server, wanted in (("pdflatex", self.tex_server, bool(self.format)),
                                                         ("pdftoppm", self.raster_server, True))
                       if wanted and server is None]
            fork_note = "on" if not missing else "%s server did not start" % " and ".join(missing)
            if not self.format:
                fork_note += " (pdflatex: no format)"
        version = subprocess.run([self.pdflatex, "--version"], capture_output=True, text=True).stdout.splitlines()
        return {"pdflatex": version[0] if version else "unknown", "format": bool(self.format),
                "fork_server": fork_note}

    @staticmethod
    def build_fork_library(fmt_dir):
        """(path of the compiled fork-server library, note); (None, why not) without a C compiler:
        covered jobs then start a pdflatex with the format each ("precompiled" in the result) and
        every job starts its own pdftoppm ("exec")."""
        import shutil
        import subprocess
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            return None, "unavailable: no C compiler (cc) to build it"
        source = os.path.join(fmt_dir, "fork_server.c")
        library = os.path.join(fmt_dir, "fork_server.so")
        with open(source, "w") as f:
            f.write(FORK_SERVER_C)
        env = dict(os.environ, TMPDIR=fmt_dir)
        done = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", library, source, "-ldl"], cwd=fmt_dir,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, env=env)
        if done.returncode != 0 or not os.path.isfile(library):
            return None, "unavailable: %s failed: %s" % (cc, done.stderr.strip()[-500:])
        return library, "on"

    def after_job(self, job_dir=None):
        """Keeps one pdflatex and one pdftoppm fork server alive, started ahead of the jobs: new ones
        at warm-up, when one died, or when a job's exchange with one was cut short (its reply could
        otherwise reach the next job)."""
        if not self.fork_library:
            return
        if self.format:
            self.tex_server = self.kept_serving(self.tex_server, job_dir, self.start_tex_server)
        self.raster_server = self.kept_serving(self.raster_server, job_dir, self.start_raster_server)

    def kept_serving(self, server, job_dir, start):
        """The server if it still serves, else a new one; None once MAX_SERVER_FAILURES servers of
        its kind never got warm (jobs then start their own programs, as without a C compiler)."""
        if server is not None:
            if server.alive() and not (job_dir is not None and server.cut_short(job_dir)):
                return server
            server.stop()
        kind = start.__name__
        if self.failures.get(kind, 0) >= self.MAX_SERVER_FAILURES:
            return None
        server = start()
        if server.ready:
            return server
        self.failures[kind] = self.failures.get(kind, 0) + 1
        return None

    def server_dir(self, name):
        import shutil
        self.servers += 1
        path = os.path.join(os.environ.get("HOME", "/tmp"), "tikz-%s-%d" % (name, self.servers))
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def start_tex_server(self):
        server_dir = self.server_dir("tex")
        # body.tex is the trigger: when pdflatex opens it, the library starts serving (each copy then
        # opens the job's own body.tex). The throw-away picture warms fonts, kpathsea and TikZ first;
        # \begin{document} (half of a small job's time: backend and graphics set-up, aux file) is
        # the same for every covered job, whose preamble is the format's, so it is done once here.
        open(os.path.join(server_dir, "body.tex"), "w").close()
        with open(os.path.join(server_dir, "wait.tex"), "w") as f:
            f.write(self.PREAMBLE + "\\endofdump\n"
                    + "\\pdfobjcompresslevel=0\n"  # the page size stays readable in the PDF (no pdfinfo)
                    + "\\setbox0\\hbox{\\tikz\\draw[->] (0,0) -- (1,1) node {$x$};}%\n"
                    + "\\begin{document}\\csname @@input\\endcsname body.tex \n")
        env = self.tex_env(server_dir)
        del env["TEXMFOUTPUT"]  # no absolute output path is allowed at all; each copy writes in its job dir
        # TeX's arrays (~32 MB once the format is loaded) on transparent huge pages where the kernel
        # offers them on request: each fork then copies a few page-middle entries instead of ~8,000
        # page-table entries (measured: the server's CPU per job 1.0 -> 0.55 ms, the copy's -0.5 ms).
        env["GLIBC_TUNABLES"] = ":".join(filter(None, [env.get("GLIBC_TUNABLES"), "glibc.malloc.hugetlb=1"]))
        return ForkServer("tex", self.fork_library, "open",
                          [self.pdflatex, "-fmt=" + self.format[:-4], "-no-shell-escape", "-interaction=nonstopmode",
                           "-halt-on-error", "-file-line-error", "-jobname=doc", "wait.tex"], server_dir, env)

    def start_raster_server(self):
        server_dir = self.server_dir("raster")
        return ForkServer("raster", self.fork_library, "main", [self.pdftoppm], server_dir, dict(os.environ))

    @staticmethod
    def live(server):
        """The server if it can take a request."""
        return server if server is not None and server.alive() else None

    @staticmethod
    def tex_env(job_dir):
        env = dict(os.environ)
        env.update({"openin_any": "p", "openout_any": "p", "shell_escape": "f", "TEXMFOUTPUT": job_dir})
        return env

    def document(self, code):
        """(document text, whether the precompiled format covers its preamble)."""
        import re
        if "\\documentclass" not in code:
            # A picture already (an environment, or a pgfplots axis inside the plain \\tikzpicture form)
            # is kept as it is; bare drawing commands are wrapped in a tikzpicture.
            is_picture = "\\begin{tikzpicture}" in code or ("\\begin{axis}" in code and "tikzpicture" in code)
            body = code if is_picture else "\\begin{tikzpicture}\n%s\n\\end{tikzpicture}" % code
            return self.PREAMBLE + "\\begin{document}\n" + body + "\n\\end{document}\n", True
        head = code.split("\\begin{document}", 1)[0]
        head = re.sub(r"(?<!\\)%.*", "", head)
        klass = re.search(r"\\documentclass(\[[^\]]*\])?\{([^}]*)\}", head)
        packages = set()
        for options, names in re.findall(r"\\usepackage(\[[^\]]*\])?\{([^}]*)\}", head):
            if options:
                return code, False
            packages.update(n.strip() for n in names.split(","))
        libraries = set()
        for names in re.findall(r"\\usetikzlibrary\{([^}]*)\}", head):
            libraries.update(n.strip() for n in names.split(","))
        # The format's compat level only: another one changes pgfplots' output.
        settings = re.findall(r"\\pgfplotsset\{([^}]*)\}", head)
        other = re.sub(r"\\(documentclass|usepackage|usetikzlibrary|pgfplotsset)(\[[^\]]*\])?\{[^}]*\}", "", head)
        # Class options: only a border, which \standaloneconfig sets for the job in the body (standalone
        # applies it when the page is shipped out); any other option (tikz, varwidth, multi, ...) changes
        # how the page is cut, so such a document compiles with its own preamble.
        options = [o.strip() for o in (klass.group(1) or "[]")[1:-1].split(",") if o.strip()] if klass else []
        border = [o for o in options if re.fullmatch(r"border=[-\w.\s]+|border=\{[-\w.\s]+\}", o)]
        covered = (klass is not None and klass.group(2).strip() == "standalone" and not other.strip()
                   and len(border) == len(options) <= 1
                   and all(s.replace(" ", "") == "compat=1.18" for s in settings)
                   and packages <= set(self.PACKAGES) and libraries <= set(self.LIBRARIES) | set(self.BODY_LIBRARIES))
        if covered:
            # Without the option the page has no border (measured: standalone adds none then; the format has 2pt). The
            # setting is made global because the page box (preview's group) was opened at \begin{document},
            # and \ignorespaces drops the line end as \begin{document} would have.
            config = ("{\\makeatletter\\standaloneconfig{%s}" % (border[0] if border else "border=0pt")
                      + "".join("\\xdef\\sa@border@%s{\\sa@border@%s}" % (side, side)
                                for side in ("left", "right", "top", "bottom"))
                      + "}"
                      # after the group: a library loaded inside it would be forgotten at its end
                      + "".join("\\usetikzlibrary{%s}" % l for l in self.BODY_LIBRARIES if l in libraries)
                      + "\\ignorespaces")
            return self.PREAMBLE + "\\begin{document}" + config + code.split("\\begin{document}", 1)[1], True
        return code, False

    def render(self, compiled, settings, out_dir):
        """In a job child: the documents the parent leaves to one (see render_in_parent)."""
        job_dir = os.getcwd()
        with open(os.path.join(job_dir, SCENE_FILE), encoding="utf-8") as f:
            text, covered = self.document(f.read())
        return self.typeset_and_rasterise(text, covered, job_dir, settings, out_dir, None)

    def render_in_parent(self, job_dir, settings, deadline):
        """The result of a job whose document the format covers, made without a job child; None
        for any other job, which then runs in a job child as before.

        The parent runs nothing of the job's: the document is typeset by a copy of the pdflatex
        server and rasterised by a copy of the pdftoppm server, each under the job's limits and the
        job's deadline. The parent itself only examines the preamble (bounded: MAX_PARENT_HEAD),
        writes the files, reads the page size from the PDF and encodes the PNG from a PPM of bounded
        size. That spares a fork of this process per job, a third of the warm path's cost. A job
        child still takes whatever needs a program started for it: a document with its own preamble,
        a page size that only pdfinfo can read, no fork servers."""
        if self.live(self.tex_server) is None or self.live(self.raster_server) is None:
            return None
        try:
            with open(os.path.join(job_dir, SCENE_FILE), encoding="utf-8") as f:
                code = f.read()
        except (OSError, ValueError):
            return None  # unreadable or not UTF-8: the job child reports it as it always has
        head_end = code.find("\\begin{document}")
        if "\\documentclass" in code and (len(code) if head_end < 0 else head_end) > self.MAX_PARENT_HEAD:
            return None
        text, covered = self.document(code)
        if not covered:
            return None
        out_dir = os.path.join(job_dir, "out")
        try:
            os.makedirs(out_dir, exist_ok=True)
            result = self.typeset_and_rasterise(text, covered, job_dir, settings, out_dir, deadline)
        except NeedsJobChild:
            return None
        except TimeoutError:
            return timeout_result(float(settings.get("timeout_seconds", 60)))
        except RenderError as e:
            return {"status": "error", "error_kind": e.kind, "error": str(e)}
        except Exception as e:  # noqa: B902 - the worker's own failure, reported as the job's, never fatal
            return {"status": "error", "error_kind": "runtime_error",
                    "error": "the tikz job failed in the worker: %s: %s" % (type(e).__name__, e)}
        result["status"] = "ok"
        return result

    def typeset_and_rasterise(self, text, covered, job_dir, settings, out_dir, deadline):
        """The render of a document: in a job child (deadline None: the parent enforces it) or in the
        parent (deadline set; raises NeedsJobChild where only a started program could go on, and
        TimeoutError when the deadline passes)."""
        import subprocess
        in_parent = deadline is not None
        started = time.monotonic()
        pdf = os.path.join(job_dir, "doc.pdf")
        mode = "plain"
        tex_cpu = None
        if covered and self.format:
            mode = "precompiled"
            server = self.live(self.tex_server)
            if server is not None:
                # The server has the preamble and \begin{document} behind it: it gets what follows.
                with open(os.path.join(job_dir, "body.tex"), "w", encoding="utf-8") as f:
                    f.write(text.split("\\begin{document}", 1)[1])
                answer = server.request(job_dir, settings, (), deadline)
                if answer is not None:
                    mode = "forked"
                    status, tex_cpu = answer
                    copy_signal("pdflatex", status)
        if mode != "forked":
            if in_parent:
                raise NeedsJobChild()
            with open(os.path.join(job_dir, "doc.tex"), "w", encoding="utf-8") as f:
                f.write(text)
            command = [self.pdflatex, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                       "-file-line-error", "doc.tex"]
            if mode == "precompiled":
                command.insert(1, "-fmt=" + self.format[:-4])
            subprocess.run(command, cwd=job_dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=self.tex_env(job_dir))
            tex_cpu = 1e6 * children_cpu_seconds()  # the pdflatex this job ran itself, nothing else yet
        compiled_at = time.monotonic()
        if not os.path.isfile(pdf) or os.path.getsize(pdf) == 0:
            raise RenderError("runtime_error", latex_error(os.path.join(job_dir, "doc.log")))
        size, size_from = self.page_size(pdf, in_parent)
        if not size:
            raise RenderError("no_scene", "the document produced no page")
        width_pt, height_pt = size
        width, height = int(settings["width"]), int(settings["height"])
        dpi = float(settings.get("dpi", 300))
        # The page is drawn at `dpi` unless that would exceed the size bound: then it is scaled down.
        # (pdftoppm rounds sizes up: stay a hair under the bound)
        dpi = min(dpi, 0.9995 * width * 72.0 / max(width_pt, 1e-3), 0.9995 * height * 72.0 / max(height_pt, 1e-3))
        # Raw PPM from pdftoppm, then PNG with fast compression: the same pixels as pdftoppm -png,
        # several times faster at 300 dpi, where PNG compression dominates the rasterisation. -W/-H
        # bound the bitmap whatever the page size said.
        arguments = ["-r", "%.4f" % dpi, "-W", str(width), "-H", str(height), "-singlefile", "-f", "1", "-l", "1", "doc.pdf"]
        raster = self.live(self.raster_server)
        answer = raster.request(job_dir, settings, ["page.ppm"] + arguments, deadline) if raster else None
        if answer is not None:
            raster_mode = "forked"
            status, raster_cpu = answer
            copy_signal("pdftoppm", status)
            if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
                raise RenderError("runtime_error", "pdftoppm could not rasterise the PDF (wait status %d)" % status)
            ppm = read_job_file(os.path.join(job_dir, "page.ppm"), 3 * width * height + 64)
            if ppm is None:
                raise RenderError("runtime_error", "pdftoppm wrote more than a %dx%d image" % (width, height))
            raster_cpu /= 1e6
        elif in_parent:
            raise NeedsJobChild()
        else:
            raster_mode = "exec"
            before_raster = children_cpu_seconds()
            ppm = subprocess.run([self.pdftoppm] + arguments, cwd=job_dir, check=True, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
            raster_cpu = children_cpu_seconds() - before_raster
        rasterised_at = time.monotonic()
        path = os.path.join(out_dir, "frame_00000.png")
        png_cpu = time.process_time()
        with open(path, "wb") as f:
            f.write(png_from_ppm(ppm))
        png_cpu = time.process_time() - png_cpu
        done_at = time.monotonic()
        return {"frames": [path], "media": path, "last_frame": path, "scene": None,
                "details": {"format": mode, "page_size_from": size_from, "raster": raster_mode,
                            "job": "parent" if in_parent else "child",
                            "tex_ms": round(1000 * (compiled_at - started), 1),
                            "raster_ms": round(1000 * (rasterised_at - compiled_at), 1),
                            "png_ms": round(1000 * (done_at - rasterised_at), 1),
                            "tex_cpu_ms": round(tex_cpu / 1000, 1), "raster_cpu_ms": round(1000 * raster_cpu, 1),
                            "png_cpu_ms": round(1000 * png_cpu, 1)}}

    def page_size(self, pdf, in_parent=False):
        """((width, height) of page 1 in points, "pdf" or "pdfinfo"). Read from the PDF itself when
        it is unambiguous there: one plain /MediaBox (the fork server turns object streams off) and
        nothing that pdftoppm would apply on top of it (crop box, rotation, user unit); else pdfinfo,
        which the parent does not run (NeedsJobChild)."""
        data = read_job_file(pdf, 1 << 20)
        if data is not None:
            boxes = re.findall(rb"/MediaBox\s*\[\s*(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s*\]", data)
            if (len(boxes) == 1 and data.count(b"/MediaBox") == 1
                    and not any(key in data for key in (b"/CropBox", b"/Rotate", b"/UserUnit", b"/ObjStm"))):
                x0, y0, x1, y1 = (float(v) for v in boxes[0])
                if x1 > x0 and y1 > y0:
                    return (x1 - x0, y1 - y0), "pdf"
        if in_parent:
            raise NeedsJobChild()
        import subprocess
        info = subprocess.run([self.pdfinfo, "-f", "1", "-l", "1", pdf], capture_output=True, text=True).stdout
        size = re.search(r"Page\s+1 size:\s+([\d.]+) x ([\d.]+) pts", info) or re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
        return ((float(size.group(1)), float(size.group(2))) if size else None), "pdfinfo"


class NeedsJobChild(Exception):
    """Raised where a job run in the parent would need a program started for it: it goes to a job
    child instead."""


class ForkServer:
    """A warm program that serves each request in a fresh copy of itself (FORK_SERVER_C preloaded
    into it): the program is started, linked and warmed up once, and every request starts from that
    same pristine state. Usable from the parent and from a job child (which inherits the pipes).

    The server runs in a session of its own under fixed limits; each copy applies the job's limits
    on top. A request whose reply never came (the job was killed or timed out) is remembered (by the
    parent in memory, by a job child as a pending file in its job directory), so that the parent
    replaces the server before the next job: the late reply must not be taken for the next job's."""

    READY_TIMEOUT = 30

    def __init__(self, name, library, mode, command, cwd, env):
        """Starts the server and waits until it is warm; `ready` says whether it got there (if not, it
        is stopped already)."""
        import subprocess
        self.name = name
        self.pending_name = ".fork-pending-" + name
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        env = dict(env, LD_PRELOAD=library, RENDERLOOP_FORK_MODE=mode,
                   RENDERLOOP_FORK_FDS="%d,%d" % (request_read, reply_write))

        def confine():
            os.setsid()
            resource.setrlimit(resource.RLIMIT_CPU, (120, 121))  # per process: each copy starts at 0
            resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
            resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 20, 256 << 20))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        try:
            self.process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, env=env, preexec_fn=confine,
                                            pass_fds=(request_read, reply_write))
        finally:
            os.close(request_read)
            os.close(reply_write)
        PROTECTED_PIDS.add(self.process.pid)
        self.owner = os.getpid()
        self.dir = cwd
        self.requests = request_write
        self.replies = reply_read
        self.buffered = b""
        self.pending = None  # the job directory of a request without its reply yet (in this process)
        self.stopped = False
        # The server says when it is warm. Waiting for it here keeps its warm-up out of the jobs: the
        # worker's start pays for it, or the job after which a server had to be replaced.
        try:
            self.ready = self.reply_line(time.monotonic() + self.READY_TIMEOUT) == b"ready"
        except TimeoutError:
            self.ready = False
        if not self.ready:
            self.stop()

    def alive(self):
        if os.getpid() == self.owner:
            # Reaps a dead server: a zombie would still answer kill(pid, 0).
            return self.process.poll() is None
        # In a forked job the server is a sibling, and waitpid on it fails with ECHILD, which Popen
        # reports as "exited". A server that died but is not reaped yet passes this test; the request
        # then fails on the closed pipe and the job goes on without it.
        try:
            os.kill(self.process.pid, 0)
            return True
        except OSError:
            return False

    def cut_short(self, job_dir):
        return self.pending == job_dir or os.path.exists(os.path.join(job_dir, self.pending_name))

    def request(self, job_dir, settings, arguments, deadline):
        """(wait status, CPU microseconds) of the copy that served the request in job_dir; None if
        the server could not be asked (it died). Raises TimeoutError when the deadline (a
        time.monotonic() instant; None: none) passes first."""
        fields = [job_dir, str(int(settings.get("cpu_seconds", 0))), str(int(settings.get("memory_bytes", 0))),
                  str(int(settings.get("max_file_bytes", 0))), str(int(settings.get("max_open_files", 0)))]
        fields += list(arguments)
        if any("\t" in f or "\n" in f for f in fields):
            raise ValueError("a fork-server request field holds a tab or a line end")
        # The parent keeps the pending request in memory; a job child, which the parent may kill
        # before the reply, leaves a file (a file more per job costs ~0.1 ms on some file systems).
        pending = None if os.getpid() == self.owner else os.path.join(job_dir, self.pending_name)
        if pending:
            open(pending, "w").close()
        self.pending = job_dir
        try:
            os.write(self.requests, ("\t".join(fields) + "\n").encode())
        except OSError:
            return None
        # A line for another directory is a reply to a job that was cut short (the parent replaces the
        # server after such a job, so this is only a guard).
        while True:
            line = self.reply_line(deadline)
            if line is None:
                return None
            status, cpu, directory = line.decode("utf-8", "replace").split(" ", 2)
            if directory == job_dir:
                self.pending = None
                if pending:
                    os.unlink(pending)
                return int(status), int(cpu)

    def reply_line(self, deadline):
        import select
        while b"\n" not in self.buffered:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([self.replies], [], [], remaining)[0]:
                    raise TimeoutError()
            try:
                chunk = os.read(self.replies, 4096)
            except OSError:
                return None
            if not chunk:
                return None
            self.buffered += chunk
        line, self.buffered = self.buffered.split(b"\n", 1)
        return line

    def stop(self):
        import shutil
        if self.stopped:
            return  # its descriptors may be another file's by now
        self.stopped = True
        PROTECTED_PIDS.discard(self.process.pid)
        for fd in (self.requests, self.replies):
            try:
                os.close(fd)  # the server exits at end of input
            except OSError:
                pass
        try:
            self.process.kill()
        except OSError:
            pass
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def copy_signal(program, status):
    """Raises the error kind of a fork-server copy killed by one of its limits."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            raise RenderError("timeout", "%s exceeded its CPU-time limit" % program)
        if sig == signal.SIGXFSZ:
            raise RenderError("output_too_large", "%s exceeded the output file-size limit" % program)


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


class ApiDocDriver:
    """API documentation of an installed package, for repairs grounded in the real API (RITL-DOC).

    Jobs never run the program: its source is parsed with `ast`. A job directory holds the program
    (scene.py) and apidoc_request.json, {"mode": "lookup"} or {"mode": "index"}.
    - lookup: the names the program calls or reads as attributes, in order of first use, with
      `x.method` resolved to `Class.method` where `x` was assigned from a call of a package class
      and `self.method` to the enclosing class's package base; builtins, names the program defines
      itself and names rooted in other imported modules are dropped. Each name is looked up in the
      package: signature and docstring cut before its examples section, or unresolved.
    - index: every public name of the package and the public attributes of its classes, for
      suggesting real names in place of hallucinated ones."""
    compiles_python = False
    DOC_LIMIT = 1500

    def __init__(self, package):
        self.package = package
        self.name = "apidoc:" + package

    def warm(self):
        import importlib
        self.module = importlib.import_module(self.package)
        return {self.package: str(getattr(self.module, "__version__", "unknown"))}

    def render(self, compiled, settings, out_dir):
        with open("apidoc_request.json") as f:
            mode = json.load(f).get("mode")
        with open(SCENE_FILE, encoding="utf-8", errors="replace") as f:
            source = f.read()
        version = str(getattr(self.module, "__version__", "unknown"))
        if mode == "index":
            return {"frames": [], "apidoc": {"package": self.package, "version": version, "names": self.index()}}
        if mode != "lookup":
            raise RenderError("bad_input", "unknown apidoc mode %r" % (mode,))
        return {"frames": [], "apidoc": {"package": self.package, "version": version, "entries": self.lookup(source)}}

    def index(self):
        import inspect
        names = []
        for name in sorted(dir(self.module)):
            if name.startswith("_"):
                continue
            names.append(name)
            obj = getattr(self.module, name, None)
            if inspect.isclass(obj) and getattr(obj, "__module__", "").split(".")[0] == self.package:
                names.extend("%s.%s" % (name, attr) for attr in sorted(dir(obj)) if not attr.startswith("_"))
        return names

    def lookup(self, source):
        import ast
        import builtins
        import inspect
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            return []
        defined, foreign = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] != self.package:
                        foreign.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] != self.package:
                for alias in node.names:
                    foreign.add(alias.asname or alias.name)
        skip = set(dir(builtins)) | {"self", "cls", "super"}

        def package_class(name):
            obj = getattr(self.module, name, None)
            return name if inspect.isclass(obj) else None

        # x = Circle(...) makes x a Circle; self inside `class S(Scene)` is a Scene.
        types = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name):
                cls = package_class(node.value.func.id)
                for target in node.targets:
                    if isinstance(target, ast.Name) and cls:
                        types[target.id] = cls
        self_types = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                base = next((b.id for b in node.bases if isinstance(b, ast.Name) and package_class(b.id)), None)
                for inner in ast.walk(node):
                    self_types[id(inner)] = base

        found = []
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name = node.func.id
                if name in skip or name in defined or name in foreign:
                    name = None
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                head = node.value.id
                if head == "self":
                    base = self_types.get(id(node))
                    name = "%s.%s" % (base, node.attr) if base else None
                elif head in types:
                    name = "%s.%s" % (types[head], node.attr)
                elif head in foreign or head in skip or head in defined:
                    name = None
                elif head == self.package:
                    name = node.attr
                else:
                    name = None  # a local variable of unknown type: nothing to resolve against
            if name:
                found.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0), name))
        seen, entries = set(), []
        for _, _, name in sorted(found):
            if name in seen:
                continue
            seen.add(name)
            entries.append(self.describe(name))
        return entries

    def describe(self, name):
        import inspect
        obj = self.module
        for part in name.split("."):
            try:
                obj = inspect.getattr_static(obj, part) if inspect.isclass(obj) else getattr(obj, part)
            except AttributeError:
                return {"name": name, "resolved": False}
            if isinstance(obj, (staticmethod, classmethod)):
                obj = obj.__func__
        signature = ""
        try:
            if callable(obj):
                signature = str(inspect.signature(obj))
        except (TypeError, ValueError):
            pass
        doc = inspect.getdoc(obj) or ""
        for marker in ("\nExamples\n", "\nExample\n", "\n.. manim::"):
            cut = doc.find(marker)
            if cut >= 0:
                doc = doc[:cut]
        return {"name": name, "resolved": True, "signature": signature, "doc": doc.strip()[:self.DOC_LIMIT]}


def png_from_ppm(ppm):
    """PNG bytes of a binary 8-bit RGB PPM (pdftoppm's output), lossless: no row filter and
    zlib level 1, about twice as fast as Pillow's adaptive filtering on mostly white pages, at a
    similar size."""
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    if not header:
        raise RenderError("runtime_error", "pdftoppm wrote no 8-bit RGB image")
    width, height = int(header.group(1)), int(header.group(2))
    stride = 3 * width
    pixels = memoryview(ppm)[header.end():]
    if width == 0 or height == 0 or len(pixels) < stride * height:
        raise RenderError("runtime_error", "pdftoppm wrote a truncated image")
    packer = zlib.compressobj(1)
    rows = b"".join(b"\0" + pixels[y * stride:(y + 1) * stride] for y in range(height))
    data = packer.compress(rows) + packer.flush()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def children_cpu_seconds():
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def latex_error(log_path):
    """The first LaTeX error in the log with the lines that locate it, as a model should see it."""
    try:
        # With -halt-on-error the error ends the log: its last part is enough, whatever the log's size.
        # Read by the worker parent too: never through a link, never blocking on something not a file.
        with open(log_path, "rb", opener=lambda path, flags: os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK)) as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - (256 << 10)))
            lines = f.read().decode("latin-1").splitlines()
    except OSError:
        return "pdflatex failed and wrote no log"
    for i, line in enumerate(lines):
        if line.startswith("!") or re.match(r"^(\./)?(doc|body)\.tex:\d+: ", line):
            line = re.sub(r"^(\./)?(doc|body)\.tex:", "doc.tex:", line)
            excerpt = [line] + [l for l in lines[i + 1:i + 6] if l.strip()]
            return "\n".join(excerpt)
    return "pdflatex failed: " + " ".join(lines[-3:])


def fit_on_white(image, width, height):
    """The image scaled to fit width x height, aspect kept, centred on white."""
    from PIL import Image
    image = image.convert("RGBA")
    scale = min(width / image.width, height / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    image = image.resize(size, Image.LANCZOS)
    canvas = Image.new("RGB", (width, height), "white")
    canvas.paste(image, ((width - size[0]) // 2, (height - size[1]) // 2), image)
    return canvas


# The tikz driver's fork servers: one shared library, preloaded into a warm pdflatex and into a
# warm pdftoppm. The server reads requests from a pipe, one a line, tab-separated:
#   <job dir> <cpu seconds> <address-space bytes> <file-size bytes> <open files> [<stdout file> <arg>...]
# and for each it forks; the copy applies the job's limits (never above the server's own), moves
# into the job directory and serves the request, while the server waits for it and replies
# "<wait status> <cpu microseconds> <job dir>". Every copy starts from the same pristine state,
# which no job can change: a copy's memory is its own. Two ways of serving, set by
# RENDERLOOP_FORK_MODE:
# - "open" (pdflatex): pdflatex runs wait.tex (format, fonts and TikZ loaded, a picture typeset,
#   \begin{document} done), then opens body.tex: that open does not return in the server. In a copy
#   it returns the job's own body.tex, after the copy has taken over the log and aux files, and TeX
#   typesets it and exits. The copy keeps pdflatex's own guards (no shell escape, paranoid file access).
# - "main" (pdftoppm): the program's main() never runs in the server, which has only been loaded
#   and linked (most of a short pdftoppm run); each copy runs main() with the request's arguments,
#   its standard output sent to the request's file.
# The server removes its own settings from the environment, and its pipes are closed on exec, so
# nothing a program might start inherits them.
FORK_SERVER_C = r"""
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 64

typedef int (*main_fn)(int, char **, char **);

static int requests = -1, replies = -1;
static int open_mode, main_mode, served;
static main_fn real_main;

struct request {
    char *dir, *out;
    long long cpu, as, fsize, nofile;
    char *args[MAX_ARGS];
    int nargs;
};

static FILE *real_fopen(const char *path, const char *mode) {
    FILE *(*real)(const char *, const char *) = (FILE *(*)(const char *, const char *))dlsym(RTLD_NEXT, "fopen");
    return real(path, mode);
}

static int read_line(int fd, char *buf, size_t size) {
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t r = read(fd, buf + n, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        if (buf[n] == '\n') { buf[n] = 0; return 0; }
        n++;
    }
    return -1;
}

static int parse(char *line, struct request *r) {
    char *fields[6 + MAX_ARGS];
    int n = 0;
    for (char *f = strtok(line, "\t"); f != NULL && n < 6 + MAX_ARGS; f = strtok(NULL, "\t")) fields[n++] = f;
    if (n < 5) return -1;
    r->dir = fields[0];
    r->cpu = atoll(fields[1]);
    r->as = atoll(fields[2]);
    r->fsize = atoll(fields[3]);
    r->nofile = atoll(fields[4]);
    r->out = n > 5 ? fields[5] : NULL;
    r->nargs = 0;
    for (int i = 6; i < n && r->nargs < MAX_ARGS - 2; i++) r->args[++r->nargs] = fields[i];
    return 0;
}

/* A limit of the job, never above the server's own (a copy cannot raise a hard limit anyway). */
static int lower(int which, long long value, long long extra_hard) {
    struct rlimit now;
    if (value <= 0) return 0;
    if (getrlimit(which, &now) != 0) return -1;
    rlim_t soft = (rlim_t)value, hard = (rlim_t)(value + extra_hard);
    if (now.rlim_max != RLIM_INFINITY && hard > now.rlim_max) hard = now.rlim_max;
    if (soft > hard) soft = hard;
    struct rlimit want = {soft, hard};
    return setrlimit(which, &want);
}

/* In a fresh pdflatex copy, now in its job directory: the files pdflatex holds open in the server's
   directory become the job's own. The transcript (doc.log) and the aux file (doc.aux, opened by
   \begin{document}, read back by \end{document}) are replaced by new ones in the job directory;
   wait.tex, still being read, is kept; any other file there would be shared between jobs, so the
   copy refuses to run. */
static int take_over_files(const char *server_dir) {
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *entry;
    char link[300], target[4096];
    size_t prefix = strlen(server_dir);
    if (dir == NULL) return -1;
    while ((entry = readdir(dir)) != NULL) {
        snprintf(link, sizeof link, "/proc/self/fd/%s", entry->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n < 0) continue;
        target[n] = 0;
        if (strncmp(target, server_dir, prefix) != 0 || target[prefix] != '/') continue;
        const char *name = target + prefix + 1;
        if (strcmp(name, "wait.tex") == 0) continue;
        if (strcmp(name, "doc.log") != 0 && strcmp(name, "doc.aux") != 0) {
            closedir(dir);
            return -1;
        }
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, atoi(entry->d_name)) < 0) {
            closedir(dir);
            return -1;
        }
        close(fd);
    }
    closedir(dir);
    return 0;
}

/* The server loop: returns only in a copy, which has its request in *r, its limits applied and is
   in its job directory. */
static void serve(struct request *r, char *line, size_t size) {
    char reply[4200], server_dir[4096];
    if (getcwd(server_dir, sizeof server_dir) == NULL) _exit(70);
    fflush(NULL);  /* nothing buffered before the fork may be written twice */
    if (write(replies, "ready\n", 6) != 6) _exit(0);  /* warmed up: the worker waits for this */
    for (;;) {
        if (read_line(requests, line, size) != 0) _exit(0);
        char dir[4096];
        snprintf(dir, sizeof dir, "%.*s", (int)strcspn(line, "\t"), line);
        pid_t pid = fork();
        if (pid == 0) {
            close(requests);
            close(replies);
            if (parse(line, r) != 0) _exit(73);
            if (lower(RLIMIT_CPU, r->cpu, 1) != 0 || lower(RLIMIT_AS, r->as, 0) != 0
                    || lower(RLIMIT_FSIZE, r->fsize, 0) != 0 || lower(RLIMIT_NOFILE, r->nofile, 0) != 0) _exit(74);
            if (chdir(r->dir) != 0) _exit(71);
            if (open_mode && take_over_files(server_dir) != 0) _exit(72);
            return;
        }
        int status = -1;
        struct rusage use;
        memset(&use, 0, sizeof use);
        if (pid > 0) {
            while (wait4(pid, &status, 0, &use) < 0 && errno == EINTR) {}
        }
        long micros = use.ru_utime.tv_sec * 1000000L + use.ru_utime.tv_usec
                      + use.ru_stime.tv_sec * 1000000L + use.ru_stime.tv_usec;
        int len = snprintf(reply, sizeof reply, "%d %ld %s\n", status, micros, dir);
        if (len <= 0 || write(replies, reply, len) != len) _exit(0);
    }
}

FILE *fopen(const char *path, const char *mode) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (open_mode && !served && mode[0] == 'r' && strcmp(base, "body.tex") == 0) {
        static char line[8192];
        struct request r;
        served = 1;
        serve(&r, line, sizeof line);
        return real_fopen("body.tex", mode);
    }
    return real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode) {
    return fopen(path, mode);
}

static int main_server(int argc, char **argv, char **envp) {
    if (!main_mode) return real_main(argc, argv, envp);
    static char line[65536];
    struct request r;
    serve(&r, line, sizeof line);
    int out = open(r.out != NULL ? r.out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    if (out < 0 || dup2(out, 1) < 0) _exit(75);
    close(out);
    r.args[0] = argv[0];
    r.args[r.nargs + 1] = NULL;
    int rc = real_main(r.nargs + 1, r.args, envp);
    fflush(NULL);
    _exit(rc);  /* the process ends here: tearing down the program's objects would only cost time */
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end) {
    int (*real)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *) =
        (int (*)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *))
        dlsym(RTLD_NEXT, "__libc_start_main");
    const char *fds = getenv("RENDERLOOP_FORK_FDS");
    const char *mode = getenv("RENDERLOOP_FORK_MODE");
    if (fds != NULL && mode != NULL && sscanf(fds, "%d,%d", &requests, &replies) == 2) {
        open_mode = strcmp(mode, "open") == 0;
        main_mode = strcmp(mode, "main") == 0;
        fcntl(requests, F_SETFD, FD_CLOEXEC);
        fcntl(replies, F_SETFD, FD_CLOEXEC);
    }
    unsetenv("RENDERLOOP_FORK_FDS");
    unsetenv("RENDERLOOP_FORK_MODE");
    unsetenv("LD_PRELOAD");
    real_main = main;
    return real(main_server, argc, argv, init, fini, rtld_fini, stack_end);
}
"""


DRIVERS = {d.name: d for d in (MatplotlibDriver, ManimDriver, RdkitDriver, TikzDriver)}


def run_module(compiled):
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = SCENE_FILE
    sys.modules[MODULE_NAME] = module
    exec(compiled, module.__dict__)
    return module


# ----------------------------------------------------------------------------------------------
# Per-job isolation: what a job child can reach. The job runs two forks below the warm parent:
# a keeper (trusted code of this file) that builds the job's namespaces and file system, and the
# job process, pid 1 of a new PID namespace, which runs the program. See isolate_job.
# ----------------------------------------------------------------------------------------------

PR_SET_DUMPABLE = 4
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
# Job directories (and their /tmp, /var/tmp, /dev/shm) live in one size-bounded tmpfs per job.
JOB_TMP_DIRS = (("/tmp", ".tmp"), ("/var/tmp", ".var-tmp"), ("/dev/shm", ".shm"))
EXIT_ISOLATION_FAILED = 71


class JobIsolation:
    """Whether jobs get their own namespaces here, probed once at start (the kernel may forbid
    unprivileged user namespaces): `enabled`, and `missing`, a line saying what a job then shares."""

    def __init__(self, jobs_root):
        self.jobs_root = jobs_root
        self.enabled = False
        self.missing = None

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
        return self


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)))


def enter_job_namespaces(isolate_net):
    """New user, mount and PID namespaces (and network, where the launcher gave none), mapping only
    this uid and gid. The PID namespace applies to the next fork: that child is its pid 1."""
    uid, gid = os.getuid(), os.getgid()
    # A non-dumpable process (the parent's setting, inherited) cannot write its own uid_map.
    LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | (CLONE_NEWNET if isolate_net else 0)
    check(LIBC.unshare(flags), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", "%d %d 1" % (uid, uid)), ("gid_map", "%d %d 1" % (gid, gid))):
        with open("/proc/self/" + name, "w") as f:
            f.write(text)
    check(LIBC.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "making mounts private")


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
    scratch = os.path.dirname(jobs_root)
    bind(scratch, scratch, read_only=True)
    mount_tmpfs(jobs_root, size)
    os.mkdir(job_dir, 0o700)
    with open(os.path.join(job_dir, SCENE_FILE), "wb") as f:
        f.write(scene)
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
        prog.append((jeq_k, len(numbers) - i, 0, nr))  # to the deny below
    prog += [(ret_k, 0, 0, allow), (ret_k, 0, 0, deny)]
    return prog


def install_seccomp():
    prog = seccomp_filter()
    if prog is None:
        return ["system call filter unavailable on %s" % os.uname().machine]

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    filters = (SockFilter * len(prog))(*[SockFilter(*f) for f in prog])
    fprog = SockFprog(len(prog), filters)
    check(LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "seccomp")
    return []


def drop_capabilities():
    """The job process holds every capability in its new user namespace (it made it); it keeps
    none, so it cannot undo the mounts (a tmpfs it could unmount would uncover the scratch root)."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)   # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()                  # effective, permitted, inheritable: empty
    check(LIBC.syscall(126 if os.uname().machine == "x86_64" else 91, header, data), "capset")
    check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def isolate_job(driver, job_dir, settings, proto_fd, isolate_net, jobs_root):
    """The keeper: runs in the job child. Builds the namespaces and the file system, forks the job
    process (pid 1 of the new PID namespace: it cannot see or signal the worker), waits for it, copies
    the job directory's regular files back to the real one, and exits as the job process did."""
    os.setsid()
    os.close(proto_fd)
    scene = read_job_file(os.path.join(job_dir, SCENE_FILE), 64 << 20) or b""
    real = os.open(job_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    enter_job_namespaces(isolate_net)
    size = max(int(settings.get("max_output_bytes", 0)), 16 << 20)
    build_job_file_system(job_dir, jobs_root, scene, size)
    # The job process below cannot read this process's memory or descriptors (the real job directory).
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(real)
            notes = []
            try:
                check(LIBC.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "proc")
            except OSError as e:
                notes.append("the job sees the worker's /proc (%s)" % e)
            drop_capabilities()
            notes.extend(install_seccomp())
            child_main(driver, job_dir, settings, None, False, notes)
        except BaseException:  # noqa: B902 - a broken child must never return into the keeper
            try:
                traceback.print_exc()
            finally:
                os._exit(EXIT_NO_RESULT)
        os._exit(EXIT_NO_RESULT)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    copy_back(job_dir, real, size)
    if not os.path.exists(os.path.join(job_dir, RESULT_FILE)):
        space = os.statvfs(jobs_root)
        if space.f_bavail * space.f_frsize < (1 << 20):
            # The job filled its writable space, so it could not even write its result.
            os.close(os.open(RESULT_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600, dir_fd=real))
            with open(os.open(RESULT_FILE, os.O_WRONLY | os.O_NOFOLLOW, dir_fd=real), "w") as f:
                json.dump({"status": "error", "error_kind": "output_too_large",
                           "error": "the program filled its %d-byte writable space (its directory, /tmp, "
                                    "/var/tmp and /dev/shm together)" % size}, f)
            os._exit(EXIT_RESULT_WRITTEN)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else EXIT_NO_RESULT)


def copy_back(job_dir, real_fd, budget):
    """Copies the regular files and directories under job_dir (in the job's tmpfs) into the real job
    directory; links, FIFOs and devices are skipped, and nothing is followed."""
    stack = [("", real_fd)]
    while stack:
        rel, target_fd = stack.pop()
        try:
            entries = list(os.scandir(os.path.join(job_dir, rel)))
        except OSError:
            continue
        for entry in entries:
            if rel == "" and entry.name == SCENE_FILE:
                continue
            source = os.path.join(job_dir, rel, entry.name)
            if entry.is_dir(follow_symlinks=False):
                try:
                    try:
                        os.mkdir(entry.name, 0o700, dir_fd=target_fd)
                    except FileExistsError:
                        pass  # made by the parent before it handed the job to a child (tikz: out/)
                    sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=target_fd)
                except OSError:
                    continue
                stack.append((os.path.join(rel, entry.name), sub))
            elif entry.is_file(follow_symlinks=False):
                try:
                    data = read_job_file(source, budget)
                    if data is None:
                        continue
                    budget -= len(data)
                    out = os.open(entry.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600,
                                  dir_fd=target_fd)
                    with os.fdopen(out, "wb") as f:
                        f.write(data)
                except (OSError, RenderError):
                    continue
        if target_fd != real_fd:
            os.close(target_fd)


# ----------------------------------------------------------------------------------------------
# The child: limits, isolation, run, write the result.
# ----------------------------------------------------------------------------------------------

def child_main(driver, job_dir, settings, proto_fd, isolate_net, notes=None):
    """The job process: runs the program under the limits and writes the result. proto_fd is None
    when a keeper (isolate_job) started it: the keeper closed the protocol and made the session."""
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
    os._exit(EXIT_RESULT_WRITTEN)


def isolate_network():
    """Used only when the launcher could not put the worker in a network namespace (no
    bubblewrap): a new network namespace for this child, as root directly, else inside a new
    user namespace. Returns notes for the result when it is not possible."""
    libc = ctypes.CDLL(None, use_errno=True)
    flags = CLONE_NEWNET if os.geteuid() == 0 else CLONE_NEWUSER | CLONE_NEWNET
    if libc.unshare(flags) != 0:
        return ["network isolation unavailable: unshare failed with errno %d" % ctypes.get_errno()]
    return []


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
    worker_file = os.path.abspath(__file__)
    kept = []
    in_worker_frame = False
    for line in text.splitlines():
        stripped = line.strip()
        if line.startswith("  File "):
            in_worker_frame = worker_file in line
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


# ----------------------------------------------------------------------------------------------
# The parent: wait with a deadline, kill what is left, classify.
# ----------------------------------------------------------------------------------------------

def run_job(driver, request, proto_fd, isolate_net):
    job_dir = request["job_dir"]
    settings = request["settings"]
    timeout = float(settings.get("timeout_seconds", 60))
    started = time.monotonic()
    # A driver that can do a job without running anything of it in this process does it here, with
    # no job child to fork (the tikz driver, whose programs run in copies of its fork servers).
    response = driver.render_in_parent(job_dir, settings, started + timeout) if hasattr(driver, "render_in_parent") else None
    if response is not None:
        response["log_tail"] = ""
    else:
        response = run_job_child(driver, job_dir, settings, proto_fd, isolate_net, started, timeout)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    reaped = kill_descendants()
    if hasattr(driver, "after_job"):
        driver.after_job(job_dir)
    response.update({"type": "result", "id": request.get("id"), "millis": elapsed_ms,
                     "orphans_killed": reaped})
    return response


def run_job_child(driver, job_dir, settings, proto_fd, isolate_net, started, timeout):
    """The job done in a forked child, waited for until the deadline; its result classified."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            # A driver that runs no Python of the job's (tikz: the model's TeX runs in pdflatex with
            # paranoid file access and no shell escape, via the fork servers, which write in the real
            # job directory) keeps the plain job child.
            if ISOLATION.enabled and getattr(driver, "compiles_python", True):
                isolate_job(driver, job_dir, settings, proto_fd, isolate_net, ISOLATION.jobs_root)
            child_main(driver, job_dir, settings, proto_fd, isolate_net)
        except BaseException:  # noqa: B902 - a broken child must never return into the parent loop
            try:
                traceback.print_exc()
            finally:
                os._exit(EXIT_NO_RESULT)
        os._exit(EXIT_NO_RESULT)
    status, timed_out = wait_for(pid, started + timeout)
    try:
        os.killpg(pid, signal.SIGKILL)  # whatever the job started in its own group
    except (ProcessLookupError, PermissionError):
        pass
    return classify(job_dir, status, timed_out, timeout)


def wait_for(pid, deadline):
    """Waits for the child until the deadline; then kills its process group. Returns (status, timed_out)."""
    fd = None
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    import select
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            kill_group(pid)
            _, status = os.waitpid(pid, 0)
            return status, True
        if fd is not None:
            select.select([fd], [], [], remaining)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            if fd is not None:
                os.close(fd)
            return status, False
        if fd is None:
            time.sleep(min(0.01, max(remaining, 0)))


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


def timeout_result(timeout):
    """The result of a job whose deadline passed."""
    return {"status": "error", "error_kind": "timeout",
            "error": "the render did not finish within %g s and was killed" % timeout}


def classify(job_dir, status, timed_out, timeout):
    result = read_result(job_dir)
    log_tail = read_tail(os.path.join(job_dir, LOG_FILE), 4096)
    if timed_out:
        return dict(timeout_result(timeout), log_tail=log_tail)
    if result is not None:
        result["log_tail"] = log_tail
        return result
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return {"status": "error", "error_kind": "timeout",
                    "error": "the program exceeded its CPU-time limit", "log_tail": log_tail}
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
                        help="one of %s, or apidoc:PACKAGE" % ", ".join(sorted(DRIVERS)))
    parser.add_argument("--path", action="append", default=[], help="extra entries for sys.path")
    parser.add_argument("--isolate-net", action="store_true")
    parser.add_argument("--jobs-root", help="the directory that holds the job directories (one level down)")
    args = parser.parse_args(argv)
    global ISOLATION
    ISOLATION = JobIsolation(args.jobs_root).probe()
    for entry in reversed(args.path):
        sys.path.insert(0, entry)
    # Fd 1 belongs to the protocol from here on; stray prints (ours or a library's) go to stderr.
    proto_fd = os.dup(1)
    os.dup2(2, 1)
    proto = os.fdopen(proto_fd, "w", buffering=1)

    def send(message):
        proto.write(json.dumps(message) + "\n")
        proto.flush()

    if args.driver.startswith("apidoc:"):
        driver = ApiDocDriver(args.driver[len("apidoc:"):])
    elif args.driver in DRIVERS:
        driver = DRIVERS[args.driver]()
    else:
        send({"type": "unavailable", "driver": args.driver, "error": "unknown driver %r" % args.driver})
        return 2
    try:
        versions = driver.warm()
    except BaseException as e:  # noqa: B902 - a missing library is reported, not raised
        send({"type": "unavailable", "driver": args.driver,
              "error": "".join(traceback.format_exception_only(type(e), e)).strip()})
        return 3
    subreaper = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    # No process of the same user (a job) may open /proc/<worker>/mem or ptrace this warm parent.
    dumpable_off = LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    versions["python"] = "%d.%d.%d" % sys.version_info[:3]
    send({"type": "ready", "protocol": PROTOCOL_VERSION, "driver": args.driver, "pid": os.getpid(),
          "versions": versions, "subreaper": subreaper, "dumpable_off": dumpable_off,
          "job_isolation": ISOLATION.enabled, "job_isolation_missing": ISOLATION.missing})
    for line in sys.stdin:
        line = line.strip()
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
        elif kind == "ping":
            send({"type": "pong", "id": request.get("id")})
        elif kind == "shutdown":
            break
        else:
            send({"type": "protocol_error", "error": "unknown request type %r" % kind})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
