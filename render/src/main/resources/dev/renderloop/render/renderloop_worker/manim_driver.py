"""The manim driver: a Scene rendered to a video, sampled into frames."""

import os
import time

from .base import MODULE_NAME, RenderError, run_module


class Driver:
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


def write_png(frame, path):
    """frame's RGB (an HxWx3 or HxWx4 uint8 array; alpha dropped) as an 8-bit RGB PNG: every row
    unfiltered, deflated at level 1. The pixels are exactly the array's; the file is somewhat larger
    than Pillow's at compress_level=1, but Pillow tries every row filter per row, and the reward mode
    writes one PNG per sampled frame (`perf render --domain manim` prints the png stage: 176 ms per
    render with Pillow, 86-131 ms with this)."""
    import struct
    import zlib

    import numpy
    if frame.dtype != numpy.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4):
        from PIL import Image
        Image.fromarray(frame[:, :, :3]).save(path, compress_level=1)
        return
    height, width = frame.shape[:2]
    rows = numpy.empty((height, width * 3 + 1), numpy.uint8)
    rows[:, 0] = 0  # filter type 0 (None)
    rows[:, 1:] = frame[:, :, :3].reshape(height, width * 3)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, deflate, no interlace
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
                + chunk(b"IEND", b""))


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
