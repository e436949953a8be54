"""The manim driver: a Scene rendered to a video, sampled into frames."""

import os
import re
import time

from .base import MODULE_NAME, SCENE_FILE, RenderError, run_module, write_png


# The scene of sample_job: the common mobjects and animations of ManimBench's scenes, no LaTeX (its
# work is in other processes).
SAMPLE_SCENE = """from manim import *

class Sample(Scene):
    def construct(self):
        circle = Circle(color=BLUE).shift(LEFT * 2)
        square = Square(color=GREEN).shift(RIGHT * 2)
        label = Text("sample", font_size=36).to_edge(UP)
        arrow = Arrow(LEFT, RIGHT)
        self.play(Create(circle), FadeIn(square), Write(label))
        self.play(Transform(circle, square.copy()), GrowArrow(arrow), run_time=0.5)
        self.play(square.animate.rotate(PI / 4).scale(0.5), FadeOut(label), run_time=0.5)
        dots = VGroup(*[Dot(RIGHT * i) for i in range(3)]).arrange(RIGHT)
        self.add(dots)
        self.wait(0.2)
"""


class Driver:
    name = "manim"

    def warm(self):
        import manim
        import numpy
        # Pillow registers its format plugins on the first open or save (Image.init, ~40 ms); about
        # half of ManimBench's scenes get there, each job paying it again: paid once here instead.
        import encodings.ascii  # noqa: F401  (likewise: imported by a third of the jobs)
        try:
            from PIL import Image
            Image.init()
        except ImportError:
            pass  # Manim needs Pillow; a stand-in of it may not
        self.encoder = MovieEncoder.probe()
        isolation = getattr(self, "isolation", None)  # set by the core before warm()
        # The format lies in the worker's home, which isolated jobs see read-only; a job that is not
        # isolated could rewrite it for every later job.
        self.tex = (TexShortcuts.build() if isolation is not None and isolation.enabled
                    else TexShortcuts(None, None, "jobs are not isolated here"))
        return {"manim": getattr(manim, "__version__", "unknown"), "numpy": numpy.__version__,
                "manim_encoder": self.encoder.describe(), "manim_tex": self.tex.describe()}

    def sample_job(self):
        """What a typical job does, for the pages it writes (warm_pages): a short scene with shapes, text
        and transforms rendered in reward mode into a scratch directory (run in a forked child)."""
        import shutil
        import tempfile
        out_dir = tempfile.mkdtemp(prefix="renderloop-sample-")
        try:
            self.render(compile(SAMPLE_SCENE, SCENE_FILE, "exec", dont_inherit=True),
                        {"width": 854, "height": 480, "fps": 15, "manim_mode": "reward"}, out_dir)
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)

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
        tex = getattr(self, "tex", None)
        if tex is not None and tex.format is not None:
            tex.attach()
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
                getattr(self, "encoder", MovieEncoder(None, "not probed")).attach(scene.renderer.file_writer)
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
        if tex is not None and tex.counts["format"] + tex.counts["full"]:
            details["manim_tex"] = "format for %d of %d strings, dvisvgm --no-specials for %d of %d" % (
                tex.counts["format"], tex.counts["format"] + tex.counts["full"], tex.counts["no_specials"],
                tex.counts["svg"])
        if mode == "published":
            details["manim_encoder"] = getattr(scene.renderer.file_writer, "renderloop_encoder", "ffmpeg")
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


class MovieEncoder:
    """Manim 0.18's partial movies encoded in this process with PyAV instead of one ffmpeg process per
    animation (each costs a process start, ~0.1-0.15 s, and a pipe of raw frames). Each animation is
    still its own encoder session writing its own partial file, as Manim's pipe does, and the
    partials are joined by packet copy through libavformat's concat demuxer, as Manim's ffmpeg concat
    command does, so the video is made of the same packets.

    Used only where it was shown to make the same packets: `probe` encodes two short clips both ways
    (Manim's ffmpeg command lines, and this class) in the warm parent, joins them both ways, and
    compares every packet (bytes and timestamps); any difference, another Manim version, or a setting
    this class does not reproduce (another format, transparency, OpenGL, odd frame sizes, which
    yuv420p cannot hold) leaves Manim's own pipe in place. Several libx264 sessions in one process
    are only repeatable with freshly allocated memory zeroed (`zeroed_allocations`), which the probe
    and every job that encodes here turn on. The choice is reported: in the worker's versions
    (`manim_encoder`) and in each published result's details."""

    VERSIONS = ("0.18.",)  # Manim 0.19 encodes with PyAV itself; its writer has no ffmpeg pipe

    def __init__(self, av, reason):
        self.av = av
        self.reason = reason

    def describe(self):
        return "pyav" if self.av is not None else "ffmpeg (%s)" % self.reason

    @classmethod
    def probe(cls):
        import manim
        version = getattr(manim, "__version__", "")
        if not version.startswith(cls.VERSIONS):
            return cls(None, "manim %s: only %s are checked" % (version, ", ".join(v + "x" for v in cls.VERSIONS)))
        try:
            import av
        except ImportError as e:
            return cls(None, "no PyAV: %s" % e)
        import gc
        import shutil
        import subprocess
        import tempfile

        from manim import config
        candidate = cls(av, None)
        if not zeroed_allocations(True):
            return cls(None, "mallopt(M_PERTURB) is not available (not glibc?)")
        work = tempfile.mkdtemp(prefix="manim-encoder-probe-")
        try:
            clips = cls.probe_clips()
            theirs, ours = [], []
            for i, frames in enumerate(clips):
                height, width = frames[0].shape[:2]
                theirs.append(os.path.join(work, "ffmpeg_%d.mp4" % i))
                # Manim 0.18.1's open_movie_pipe command line, Cairo renderer, mp4.
                command = [config.ffmpeg_executable, "-y", "-f", "rawvideo", "-s", "%dx%d" % (width, height),
                           "-pix_fmt", "rgba", "-r", "15", "-i", "-", "-an", "-loglevel", "error",
                           "-metadata", "comment=probe", "-vcodec", "libx264", "-pix_fmt", "yuv420p", theirs[-1]]
                done = subprocess.run(command, input=b"".join(f.tobytes() for f in frames),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
                if done.returncode != 0:
                    return cls(None, "ffmpeg failed on the probe clip: %s" % done.stderr.decode(errors="replace")[-200:])
                ours.append(os.path.join(work, "pyav_%d.mp4" % i))
                expected = cls.packets(av, theirs[-1])
                # Encoded three times in this process: later sessions of libx264 in one process are
                # where its output was seen to vary (see above).
                for attempt in range(3):
                    candidate.encode(ours[-1], frames, 15, "probe")
                    if cls.packets(av, ours[-1]) != expected:
                        return cls(None, "PyAV %s did not make ffmpeg's packets on probe clip %d, session %d"
                                   % (av.__version__, i, attempt + 1))
            # Manim 0.18.1's combine_files command line.
            listed = cls.write_file_list(os.path.join(work, "ffmpeg.txt"), theirs)
            joined = os.path.join(work, "ffmpeg.mp4")
            done = subprocess.run([config.ffmpeg_executable, "-y", "-f", "concat", "-safe", "0", "-i", listed,
                                   "-loglevel", "error", "-metadata", "comment=probe", "-nostdin", "-c", "copy", "-an",
                                   joined], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
            if done.returncode != 0:
                return cls(None, "ffmpeg concat failed on the probe clips: %s" % done.stderr.decode(errors="replace")[-200:])
            mine = os.path.join(work, "pyav.mp4")
            candidate.join(ours, os.path.join(work, "pyav.txt"), mine, "probe")
            if cls.packets(av, mine) != cls.packets(av, joined):
                return cls(None, "PyAV %s did not join the probe clips into ffmpeg's packets" % av.__version__)
            return candidate
        except Exception as e:  # noqa: B902 - any failure keeps Manim's own pipe, with the reason
            return cls(None, "probe failed: %s: %s" % (type(e).__name__, e))
        finally:
            zeroed_allocations(False)
            shutil.rmtree(work, ignore_errors=True)
            # The encoder's threads end with its context: the warm parent must be single-threaded
            # again before it clones jobs.
            gc.collect()

    @staticmethod
    def probe_clips():
        """Two short rgba clips, 98x64 (an even width that is no multiple of 16, as 854 is): moving
        shapes on black, as Manim's frames are, and a band of noise that leaves x264 real decisions
        to make. Without zeroed allocations, repeated sessions on the first differed from ffmpeg in
        38 of 150 encodes."""
        import numpy
        rng = numpy.random.default_rng(7)
        clips = []
        for length in (12, 7):
            frames = []
            for i in range(length):
                a = numpy.zeros((64, 98, 4), numpy.uint8)
                a[..., 3] = 255
                a[8 + i:30 + i, 10 + 3 * i:40 + 3 * i, :3] = (230, 80 + 10 * i, 40 + length)
                a[42:60, :, :3] = rng.integers(0, 256, (18, 98, 3), dtype=numpy.uint8)
                frames.append(a)
            clips.append(frames)
        return clips

    @staticmethod
    def write_file_list(path, files):
        """The concat list Manim 0.18.1's combine_files writes."""
        from pathlib import Path
        with open(path, "w", encoding="utf-8") as fp:
            fp.write("# This file is used internally by FFMPEG.\n")
            for f in files:
                fp.write("file 'file:%s'\n" % Path(f).as_posix())
        return path

    def join(self, files, list_path, output, comment):
        """files (partial movies) as one movie by packet copy, as ffmpeg's concat demuxer and
        `-c copy` do: the same demuxer, the first file's stream parameters and time base."""
        import warnings
        list_path = str(list_path)  # PyAV takes anything but a str for a file object
        self.write_file_list(list_path, files)
        av = self.av
        with av.open(list_path, format="concat", options={"safe": "0"}) as source, \
                av.open(str(output), "w", format="mp4") as target:
            target.metadata["comment"] = comment
            source_stream = source.streams.video[0]
            stream = target.add_stream(template=source_stream)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PyAV 10 warns on reading a decoder's time base
                stream.time_base = source_stream.time_base
            for packet in source.demux(source_stream):
                if packet.dts is None:  # the demuxer's end-of-stream marker
                    continue
                packet.stream = stream
                target.mux(packet)

    @staticmethod
    def packets(av, path):
        with av.open(path) as container:
            stream = container.streams.video[0]
            return [(bytes(p), p.pts, p.dts, p.is_keyframe) for p in container.demux(stream) if p.size]

    def open(self, path, width, height, fps, comment):
        return EncodedMovie(self.av, path, width, height, fps, comment)

    def encode(self, path, frames, fps, comment):
        """frames (HxWx4 uint8 arrays) as one movie; the encoder is unreferenced on return."""
        height, width = frames[0].shape[:2]
        movie = self.open(path, width, height, fps, comment)
        for frame in frames:
            movie.write(frame)
        movie.close()

    def attach(self, writer):
        """Replaces writer's ffmpeg pipe with this encoder for every animation whose settings it
        reproduces; the others keep Manim's pipe."""
        if self.av is None:
            writer.renderloop_encoder = self.describe()
            return
        import manim
        from manim import config
        from manim.constants import RendererType
        # This job process (a clone of the warm parent) is the only one affected.
        zeroed_allocations(True)
        original_open = writer.open_movie_pipe
        original_write = writer.write_frame
        original_close = writer.close_movie_pipe
        encoder = self
        state = {"movie": None}
        written = set()  # the partial movies encoded here: only those are joined here
        writer.renderloop_encoder = "pyav"

        def open_movie_pipe(file_path=None):
            width, height = int(config["pixel_width"]), int(config["pixel_height"])
            fps = config["frame_rate"]
            path = file_path if file_path is not None else writer.partial_movie_files[writer.renderer.num_plays]
            if (config.renderer != RendererType.CAIRO or config["format"] != "mp4" or config["transparent"]
                    or width % 2 or height % 2 or not str(path).endswith(".mp4")):
                writer.renderloop_encoder = "ffmpeg (a setting PyAV is not checked for)"
                state["movie"] = None
                return original_open(file_path=file_path)
            writer.partial_movie_file_path = path
            state["movie"] = encoder.open(str(path), width, height, int(fps) if fps == int(fps) else fps,
                                          "Rendered with Manim Community v%s" % manim.__version__)

        def write_frame(frame_or_renderer):
            movie = state["movie"]
            if movie is None:
                return original_write(frame_or_renderer)
            movie.write(frame_or_renderer)

        def close_movie_pipe():
            movie = state["movie"]
            if movie is None:
                return original_close()
            state["movie"] = None
            movie.close()
            written.add(str(writer.partial_movie_file_path))

        original_combine = writer.combine_files

        def combine_files(input_files, output_file, create_gif=False, includes_sound=False):
            if create_gif or includes_sound or not input_files or any(str(f) not in written for f in input_files):
                if writer.renderloop_encoder == "pyav":
                    writer.renderloop_encoder = "pyav, joined by ffmpeg"
                return original_combine(input_files, output_file, create_gif, includes_sound)
            encoder.join([str(f) for f in input_files], writer.partial_movie_directory / "partial_movie_file_list.txt",
                         output_file, "Rendered with Manim Community v%s" % manim.__version__)

        writer.open_movie_pipe = open_movie_pipe
        writer.write_frame = write_frame
        writer.close_movie_pipe = close_movie_pipe
        writer.combine_files = combine_files


class TexShortcuts:
    """Manim 0.18's LaTeX step (latex, then dvisvgm, for every Tex/MathTex string; most of a
    render's time where a scene has any) made cheaper without changing what is drawn:

    - latex starts from a format dumped (mylatexformat) after the preamble of Manim's default
      TexTemplate, built in the warm parent into its own directory, which jobs see read-only. A file
      whose preamble is exactly that one is compiled with it; the DVI is the same after its comment
      (which holds the time). Any other preamble (a custom TexTemplate), compiler or output format
      takes Manim's own command. 0.33 -> 0.24 s a string here (measured once, by hand).
    - dvisvgm starts Ghostscript for PostScript specials (0.15-0.2 s a string, measured once by hand). Every page of the
      default template carries the preview package's specials: constant PostScript headers and a
      tightpage box, which dvisvgm uses for --bbox=preview only (Manim leaves the default, min). A
      DVI holding those and no other special (every DVI command read; anything unexpected counts as
      another special) is converted with --no-specials. The SVG draws the same glyphs at the same
      places, but its glyph definitions can come in another order: dvisvgm orders them by incidental
      state (the same DVI under a path of another length changes the order too, so Manim's own SVGs
      differ that way between media directories). ManimPublishedModeIT compares Manim's parsed
      mobjects point for point on typical and special-holding strings, and whole videos (packets)
      against the manim CLI."""

    def __init__(self, format_path, prefix, reason, known_specials=None):
        self.format = format_path
        self.prefix = prefix
        self.reason = reason
        self.known_specials = known_specials
        self.counts = {"format": 0, "full": 0, "no_specials": 0, "svg": 0}

    def describe(self):
        if self.format is None:
            return "off (%s)" % self.reason
        return "format" + (", dvisvgm --no-specials where only the template's" if self.known_specials
                           else "; dvisvgm as Manim runs it (no reference specials)")

    @classmethod
    def build(cls):
        import shutil
        import subprocess
        import manim
        from manim import config
        if not getattr(manim, "__version__", "").startswith(MovieEncoder.VERSIONS):
            return cls(None, None, "manim %s not checked" % getattr(manim, "__version__", "?"))
        template = config.tex_template
        marker = "\\begin{document}"
        code = template.get_texcode_for_expression("RENDERLOOP")
        if marker not in code or not shutil.which("latex") or not shutil.which("pdftex"):
            return cls(None, None, "no latex/pdftex or an unexpected default template")
        prefix = code.split(marker, 1)[0]
        directory = os.path.join(os.environ.get("HOME", "/tmp"), "manim-tex-format")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "preamble.tex"), "w", encoding="utf-8") as f:
            f.write(prefix + marker + "\n\\end{document}\n")
        env = dict(os.environ, openin_any="p", openout_any="p", shell_escape="f", TEXMFOUTPUT=directory)
        try:
            done = subprocess.run(["pdftex", "-ini", "-interaction=nonstopmode", "-jobname=manim-default",
                                   "&latex", "mylatexformat.ltx", "preamble.tex"], cwd=directory,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  timeout=120, env=env)
        except (OSError, subprocess.SubprocessError) as e:
            return cls(None, None, "format build failed: %s" % e)
        path = os.path.join(directory, "manim-default.fmt")
        if done.returncode != 0 or not os.path.isfile(path):
            return cls(None, None, "format build failed (pdftex -ini exit %d)" % done.returncode)
        # The specials every page of this template carries, from one expression compiled the usual way.
        with open(os.path.join(directory, "reference.tex"), "w", encoding="utf-8") as f:
            f.write(template.get_texcode_for_expression_in_env("x^2", "align*"))
        try:
            done = subprocess.run(["latex", "-interaction=batchmode", "-output-format=dvi", "-halt-on-error",
                                   "reference.tex"], cwd=directory, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, env=env)
        except (OSError, subprocess.SubprocessError):
            done = None  # (a hung latex, say) dvisvgm then runs as Manim runs it; the format stays on
        specials = dvi_specials(os.path.join(directory, "reference.dvi")) if done and done.returncode == 0 else None
        known = frozenset(x for x in specials if not TIGHTPAGE.fullmatch(x)) if specials else None
        return cls(path, prefix, None, known)

    def only_known_specials(self, dvi_file):
        """Whether every special in the DVI is one the default template writes into every page: the
        preview package's headers seen at warm-up, and its tightpage box."""
        if not self.known_specials:
            return False
        specials = dvi_specials(dvi_file)
        return specials is not None and all(x in self.known_specials or TIGHTPAGE.fullmatch(x) for x in specials)

    def attach(self):
        """Replaces compile_tex and convert_to_svg in this job process (tex_to_svg_file calls them
        by their module names)."""
        import subprocess
        from manim.utils import tex_file_writing as writing
        original_compile = writing.compile_tex
        original_convert = writing.convert_to_svg
        shortcuts = self

        def compile_tex(tex_file, tex_compiler, output_format):
            result = tex_file.with_suffix(output_format)
            if result.exists() or tex_compiler != "latex" or output_format != ".dvi":
                return original_compile(tex_file, tex_compiler, output_format)
            with open(tex_file, encoding="utf-8") as f:
                preamble, document, _ = f.read().partition("\\begin{document}")
            if not document or preamble != shortcuts.prefix:
                shortcuts.counts["full"] += 1
                return original_compile(tex_file, tex_compiler, output_format)
            shortcuts.counts["format"] += 1
            from manim import config
            tex_dir = config.get_dir("tex_dir")
            done = subprocess.run(["latex", "-fmt=" + shortcuts.format[:-4], "-interaction=batchmode",
                                   "-output-format=dvi", "-halt-on-error", "-output-directory=" + tex_dir.as_posix(),
                                   tex_file.as_posix()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            if done.returncode != 0:
                writing.print_all_tex_errors(tex_file.with_suffix(".log"), tex_compiler, tex_file)
                raise ValueError(
                    f"{tex_compiler} error converting to"
                    f" {output_format[1:]}. See log output above or"
                    f" the log file: {tex_file.with_suffix('.log')}",
                )
            return result

        def convert_to_svg(dvi_file, extension, page=1):
            result = dvi_file.with_suffix(".svg")
            if result.exists() or extension != ".dvi" or page != 1:
                return original_convert(dvi_file, extension, page)
            shortcuts.counts["svg"] += 1
            if not shortcuts.only_known_specials(dvi_file):
                return original_convert(dvi_file, extension, page)
            shortcuts.counts["no_specials"] += 1
            subprocess.run(["dvisvgm", "-p", "1", dvi_file.as_posix(), "--no-specials", "-n", "-v", "0",
                            "-o", result.as_posix()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            if not result.exists():
                return original_convert(dvi_file, extension, page)  # with Manim's own error
            return result

        writing.compile_tex = compile_tex
        writing.convert_to_svg = convert_to_svg


TIGHTPAGE = re.compile(rb"ps::-?\d+( -?\d+){6}")  # the preview package's tightpage box


def dvi_specials(path):
    """Every \\special (xxx1-xxx4) of the DVI file, as bytes, in order; None where the file is
    anything this reader does not expect. Every command of every page is read, as the DVI format
    defines them."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    # Parameter bytes after each opcode, for the fixed-size ones among 128..170 and 235..238.
    fixed = {132: 8, 137: 8, 138: 0, 139: 44, 140: 0, 141: 0, 142: 0, 147: 0, 152: 0, 161: 0, 166: 0}
    for first in (128, 133, 143, 148, 153, 157, 162, 167, 235):
        fixed.update({first + n: n + 1 for n in range(4)})
    if len(data) < 15 or data[0] != 247:
        return None
    specials = []
    i = 15 + data[14]  # pre: i[1] num[4] den[4] mag[4] k[1] x[k]
    while i < len(data):
        op = data[i]
        i += 1
        if op < 128 or 171 <= op <= 234:  # set_char_i, fnt_num_i
            continue
        if op in fixed:
            i += fixed[op]
        elif 239 <= op <= 242:  # xxx: k[n] x[k]
            n = op - 238
            length = int.from_bytes(data[i:i + n], "big")
            specials.append(bytes(data[i + n:i + n + length]))
            i += n + length
        elif 243 <= op <= 246:  # fnt_def: k[n] c[4] s[4] d[4] a[1] l[1] n[a+l]
            i += op - 242 + 12
            if i + 2 > len(data):
                return None
            i += 2 + data[i] + data[i + 1]
        elif op == 248:  # post: the pages are over (specials only occur in pages)
            return specials
        else:
            return None
    return None


def zeroed_allocations(on):
    """glibc's M_PERTURB: with it on, malloc returns memory filled with zeros (the complement of
    0xff) and free fills with 0xff; returns whether mallopt accepted it. libx264 (as linked by
    ffmpeg 5.1) lets memory it did not write reach its output: several encoder sessions in one
    process made different packets for the same frames now and then (2 of 20 probes; from run to
    run at 96x66), while a fresh ffmpeg process per animation, as Manim runs it, always makes the
    same ones. With freshly allocated memory zeroed, as a fresh process's pages are, every session
    made ffmpeg's packets (20 of 20 probes, and repeated encodes of the probe clips)."""
    import ctypes
    try:
        return ctypes.CDLL(None).mallopt(-6, 0xFF if on else 0) == 1  # M_PERTURB = -6
    except (OSError, AttributeError):
        return False


class EncodedMovie:
    """One partial movie, encoded as Manim 0.18's ffmpeg command line encodes it: rgba frames at the
    scene's frame rate, converted to yuv420p by the same swscale path ffmpeg's CLI inserts (a filter
    graph scale -> format; `VideoFrame.reformat` picks other flags and differs in low bits), libx264
    with its defaults (crf 23, no bit rate, frame threads), an mp4 with Manim's comment."""

    def __init__(self, av, path, width, height, fps, comment):
        from fractions import Fraction
        self.av = av
        self.time_base = Fraction(str(fps))
        self.container = av.open(path, "w", format="mp4")
        try:
            self.container.metadata["comment"] = comment
            stream = self.container.add_stream("libx264", rate=self.time_base)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            context = stream.codec_context
            context.thread_type = "FRAME"
            context.thread_count = 0
            context.bit_rate = 0
            context.options = {"crf": "23"}
            graph = av.filter.Graph()
            source = graph.add_buffer(width=width, height=height, format="rgba", time_base=1 / self.time_base)
            scale = graph.add("scale", "w=%d:h=%d" % (width, height))
            to_yuv = graph.add("format", "yuv420p")
            sink = graph.add("buffersink")
            source.link_to(scale)
            scale.link_to(to_yuv)
            to_yuv.link_to(sink)
            graph.configure()
        except BaseException:
            self.container.close()
            raise
        self.stream = stream
        self.graph = graph
        self.size = (height, width)
        self.count = 0

    def write(self, frame):
        import numpy
        pixels = numpy.ascontiguousarray(frame)
        if pixels.shape[:2] != self.size or pixels.ndim != 3 or pixels.shape[2] != 4:
            raise RenderError("runtime_error", "a frame of shape %s for a %dx%d rgba movie"
                              % (pixels.shape, self.size[1], self.size[0]))
        video_frame = self.av.VideoFrame.from_ndarray(pixels, format="rgba")
        video_frame.pts = self.count
        video_frame.time_base = 1 / self.time_base
        self.count += 1
        self.graph.push(video_frame)
        for packet in self.stream.encode(self.graph.pull()):
            self.container.mux(packet)

    def close(self):
        try:
            for packet in self.stream.encode():
                self.container.mux(packet)
        finally:
            self.container.close()


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
        start = time.perf_counter()
        if self.saved is not None and self.saved[0] is frame:
            # A held frame (wait, freeze) is one array written many times: encode it once.
            import shutil
            shutil.copyfile(self.saved[1], path)
        else:
            # Opaque RGBA from Cairo; the encoder drops alpha too.
            write_png(frame, path)
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
    sample_fps)) as in the published VS, plus the last frame. Returns (frame paths, last frame).
    Every frame is decoded (the codec needs them), but only the kept ones are converted to RGB
    (as av's to_image does) and written (write_png)."""
    import av

    sample_fps = float(settings.get("sample_fps", 5))
    max_frames = int(settings.get("max_frames", 300))
    frames = []
    last_frame = None
    index = 0
    with av.open(movie) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or settings["fps"])
        step = max(1, int(fps / sample_fps)) if sample_fps > 0 else 1
        for frame in container.decode(stream):
            if index % step == 0 and len(frames) < max_frames:
                path = os.path.join(frames_dir, "frame_%05d.png" % index)
                write_png(frame.to_ndarray(format="rgb24"), path)
                frames.append(path)
            last_frame = frame
            index += 1
        if last_frame is None:
            raise RenderError("no_scene", "the video has no frames")
        last = os.path.join(frames_dir, "last.png")
        write_png(last_frame.to_ndarray(format="rgb24"), last)
    return frames, last
