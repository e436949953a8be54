"""The tikz driver: LaTeX/TikZ typeset with pdflatex and rasterised with pdftoppm, both served by
warm fork servers (fork_server.c) where a C compiler is available."""

import os
import re
import resource
import signal
import struct
import time
import zlib

from .base import PROTECTED_PIDS, SCENE_FILE, RenderError, read_job_file, timeout_result
from .isolation import seccomp_program_bytes, writable_space

FORK_SERVER_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fork_server.c")


class Driver:
    """LaTeX/TikZ: pdflatex (standalone class; a bare snippet is wrapped) then the first page
    rasterised with pdftoppm. The warm parent precompiles a format with the standard preamble, so
    a job whose preamble is covered by it skips loading TikZ; any other document compiles with
    plain pdflatex. No shell escape; kpathsea's paranoid mode forbids reading or writing outside
    the job directory; the job's limits and group kill cover pdflatex.

    A covered job does not even start pdflatex: a warm pdflatex (a fork server, fork_server.c) has
    loaded the format, fonts and TikZ, and forks a copy of itself for each job, as this worker forks
    its own job children; the copy reads the job's body and exits. Loading the format and warming up
    cost ~90 ms of CPU per pdflatex, the body itself ~12 ms. pdftoppm is a fork server too: its
    start (loading and linking poppler) was half of a 300 dpi rasterisation. A covered job needs no
    job child either (render_in_parent): it runs nothing in this process.

    Where jobs are isolated (the worker's JobIsolation), each copy of a fork server jails the job as
    a Python job is isolated (fork_server.c: new user, mount and PID namespaces, one bounded tmpfs for
    its directory, /tmp, /var/tmp and /dev/shm, the seccomp filter, no capabilities), and a job child
    is isolated like any other; inside one, the job starts its own pdflatex and pdftoppm (the servers,
    outside its namespaces, would see another job directory)."""
    name = "tikz"
    compiles_python = False
    isolation = None  # set by the core before warm()
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
    jail_env = {}

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
        self.jail_env = self.fork_jail(fmt_dir)
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
            fork_note += ("; copies NOT jailed: no per-job namespaces here" if not self.jail_env
                          else "; copies jailed" if "RENDERLOOP_FORK_SECCOMP" in self.jail_env
                          else "; copies jailed without a system-call filter (none for %s)" % os.uname().machine)
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
        source = FORK_SERVER_SOURCE
        library = os.path.join(fmt_dir, "fork_server.so")
        env = dict(os.environ, TMPDIR=fmt_dir)
        done = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", library, source, "-ldl"], cwd=fmt_dir,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, env=env)
        if done.returncode != 0 or not os.path.isfile(library):
            return None, "unavailable: %s failed: %s" % (cc, done.stderr.strip()[-500:])
        return library, "on"

    def fork_jail(self, fmt_dir):
        """The servers' environment that makes each copy jail its job (see fork_server.c): the jobs
        root and the seccomp program. Empty where jobs are not isolated here."""
        if self.isolation is None or not self.isolation.enabled:
            return {}
        env = {"RENDERLOOP_FORK_JAIL": self.isolation.jobs_root}
        program = seccomp_program_bytes()
        if program is not None:
            path = os.path.join(fmt_dir, "seccomp.bpf")
            with open(path, "wb") as f:
                f.write(program)
            env["RENDERLOOP_FORK_SECCOMP"] = path
        return env

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
        env.update(self.jail_env)
        return ForkServer("tex", self.fork_library, "open",
                          [self.pdflatex, "-fmt=" + self.format[:-4], "-no-shell-escape", "-interaction=nonstopmode",
                           "-halt-on-error", "-file-line-error", "-jobname=doc", "wait.tex"], server_dir, env)

    def start_raster_server(self):
        server_dir = self.server_dir("raster")
        return ForkServer("raster", self.fork_library, "main", [self.pdftoppm], server_dir, dict(os.environ, **self.jail_env))

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
        if self.isolation is not None and self.isolation.enabled:
            # This child has its own namespaces and job directory; a server's copy would see the real one.
            self.tex_server = self.raster_server = None
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
        # Whether the job's programs ran in namespaces of their own: the servers' jailed copies (in the
        # parent), or this isolated job child (whose programs are its own).
        jailed = bool(self.jail_env) if in_parent else self.isolation is not None and self.isolation.enabled
        return {"frames": [path], "media": path, "last_frame": path, "scene": None,
                "details": {"format": mode, "page_size_from": size_from, "raster": raster_mode,
                            "job": "parent" if in_parent else "child", "jail": "namespaces" if jailed else "none",
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
    """A warm program that serves each request in a fresh copy of itself (fork_server.c preloaded
    into it): the program is started, linked and warmed up once, and every request starts from that
    same pristine state. Usable from the parent and from a job child (which inherits the pipes).

    The server runs in a session of its own under fixed limits; each copy applies the job's limits
    on top. A request whose reply never came (the job was killed or timed out) is remembered (by the
    parent in memory, by a job child as a pending file in its job directory), so that the parent
    replaces the server before the next job: the late reply must not be taken for the next job's."""

    READY_TIMEOUT = 30

    def __init__(self, name, library, mode, command, cwd, env):
        """Starts the server and waits until it is warm; `ready` says whether it got there (if not, it
        is stopped already). With RENDERLOOP_FORK_JAIL in env, every copy jails its job."""
        import subprocess
        self.name = name
        self.jailed = "RENDERLOOP_FORK_JAIL" in env
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
                  str(int(settings.get("max_file_bytes", 0))), str(int(settings.get("max_open_files", 0))),
                  str(writable_space(settings) if self.jailed else 0)]
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


EXIT_JAIL_FAILED = 76  # fork_server.c: the copy could not build the job's jail
EXIT_JAIL_FULL = 79    # fork_server.c: the job filled its writable space


def copy_signal(program, status):
    """Raises the error kind of a fork-server copy killed by one of its limits, or whose jail failed."""
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == EXIT_JAIL_FULL:
        raise RenderError("output_too_large", "%s filled the job's writable space (its directory, /tmp, /var/tmp "
                                              "and /dev/shm together)" % program)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == EXIT_JAIL_FAILED:
        raise RenderError("renderer_crashed", "the %s copy could not isolate the job (namespaces or mounts refused)"
                          % program)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            raise RenderError("timeout", "%s exceeded its CPU-time limit" % program)
        if sig == signal.SIGXFSZ:
            raise RenderError("output_too_large", "%s exceeded the output file-size limit" % program)


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
