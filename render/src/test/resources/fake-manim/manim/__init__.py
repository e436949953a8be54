"""A TEST DOUBLE of the small part of Manim Community Edition's public surface that RenderLoop's
manim driver relies on: `config`, `tempconfig`, `Scene` (construct/add/play/wait/render, and
`renderer.num_plays` / `renderer.file_writer.movie_file_path|image_file_path`), a few mobjects and
animations. It is NOT Manim: it draws flat shapes with Pillow and encodes mp4 with PyAV, so the
driver's real code paths (tempconfig ordering, scene detection, video sampling, still images,
class-default isolation, seeding) can be tested where Manim cannot be installed. Written for
RenderLoop's tests."""

import contextlib
import os

import numpy as np
from PIL import Image, ImageDraw

__version__ = "0.0.0+renderloop-test-double"

RED, GREEN, BLUE, YELLOW, ORANGE, WHITE, BLACK = "#FC6255", "#83C167", "#58C4DD", "#FFFF00", "#FF862F", "#FFFFFF", "#000000"
ORIGIN, LEFT, RIGHT, UP, DOWN = (np.array(v, dtype=float) for v in ((0, 0), (-1, 0), (1, 0), (0, 1), (0, -1)))


class ManimConfig(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value


config = ManimConfig(pixel_width=1920, pixel_height=1080, frame_rate=60.0, media_dir="./media", format="mp4",
                     write_to_movie=True, save_last_frame=False, disable_caching=False, preview=False,
                     progress_bar="display", verbosity="INFO", background_color=BLACK)


@contextlib.contextmanager
def tempconfig(temp):
    original = dict(config)
    config.update({k: v for k, v in temp.items() if k in config})
    try:
        yield
    finally:
        config.clear()
        config.update(original)


class Mobject:
    defaults = {}

    def __init__(self, color=None, radius=1.0):
        self.color = color or self.defaults.get("color", BLUE)
        self.radius = radius
        self.center = ORIGIN.copy()
        self.opacity = 1.0

    @classmethod
    def set_default(cls, **kwargs):
        cls.defaults = dict(kwargs)

    def shift(self, vector):
        self.center = self.center + np.asarray(vector, dtype=float)
        return self

    def shape(self, canvas, box, fill):
        pass  # a bare Mobject (wait's placeholder) draws nothing

    def draw(self, canvas, width, height):
        unit = height / 8.0
        cx, cy = width / 2 + self.center[0] * unit, height / 2 - self.center[1] * unit
        r = self.radius * unit
        rgb = tuple(int(self.color[i:i + 2], 16) for i in (1, 3, 5))
        fill = tuple(int(c * self.opacity) for c in rgb)
        self.shape(canvas, (cx - r, cy - r, cx + r, cy + r), fill)


class Circle(Mobject):
    def shape(self, canvas, box, fill):
        canvas.ellipse(box, fill=fill)


class Square(Mobject):
    def shape(self, canvas, box, fill):
        canvas.rectangle(box, fill=fill)


class Animation:
    def __init__(self, mobject, run_time=1.0):
        self.mobject = mobject
        self.run_time = run_time

    def interpolate(self, alpha):
        pass


class FadeIn(Animation):
    def interpolate(self, alpha):
        self.mobject.opacity = alpha


class Shift(Animation):
    def __init__(self, mobject, vector, run_time=1.0):
        super().__init__(mobject, run_time)
        self.start = mobject.center.copy()
        self.vector = np.asarray(vector, dtype=float)

    def interpolate(self, alpha):
        self.mobject.center = self.start + alpha * self.vector


class SceneFileWriter:
    """Collects the frames of each play and encodes the movie at finish(), with the method names of
    Manim's writer (begin_animation, write_frame, end_animation, finish) that the driver hooks."""

    def __init__(self, name):
        self.movie_file_path = os.path.join(config.media_dir, "videos", name + ".mp4")
        self.image_file_path = os.path.join(config.media_dir, "images", name + ".png")
        self.frames = []

    def begin_animation(self, allow_write=False):
        pass

    def write_frame(self, frame):
        self.frames.append(Image.fromarray(frame))

    def end_animation(self, allow_write=False):
        pass

    def finish(self):
        import av
        path = self.movie_file_path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with av.open(path, "w") as container:
            stream = container.add_stream("libx264", rate=int(config.frame_rate))
            stream.width, stream.height = int(config.pixel_width), int(config.pixel_height)
            stream.pix_fmt = "yuv420p"
            for image in self.frames:
                for packet in stream.encode(av.VideoFrame.from_image(image)):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)


class TimeProgression:
    """Stands for Manim's tqdm progress bar: `iterable` holds the frame times of one play."""

    def __init__(self, times):
        self.iterable = times

    def __iter__(self):
        return iter(self.iterable)


class CairoRenderer:
    """Draws a frame only in update_frame (the expensive call in Manim), as Manim's renderer does:
    render() = update_frame + add_frame(get_frame()); add_frame hands frames to the file writer."""

    def __init__(self, name):
        self.num_plays = 0
        self.time = 0.0
        self.pixels = None
        self.file_writer = SceneFileWriter(name)

    def update_frame(self, scene):
        self.pixels = np.asarray(scene.snapshot())

    def get_frame(self):
        return np.array(self.pixels)

    def render(self, scene, time, moving_mobjects):
        self.update_frame(scene)
        self.add_frame(self.get_frame())

    def add_frame(self, frame, num_frames=1):
        self.time += num_frames / float(config.frame_rate)
        for _ in range(num_frames):
            self.file_writer.write_frame(frame)


class Scene:
    def __init__(self):
        self.mobjects = []
        self.renderer = CairoRenderer(type(self).__name__)
        self.stop_condition = None
        self.time_progression = None

    def construct(self):
        pass

    def add(self, *mobjects):
        self.mobjects.extend(m for m in mobjects if m not in self.mobjects)

    def snapshot(self):
        width, height = int(config.pixel_width), int(config.pixel_height)
        image = Image.new("RGB", (width, height), config.background_color)
        canvas = ImageDraw.Draw(image)
        for m in self.mobjects:
            m.draw(canvas, width, height)
        return image

    def play(self, *animations, run_time=None):
        for a in animations:
            self.add(a.mobject)
        duration = run_time or max(a.run_time for a in animations)
        count = max(1, int(round(duration * float(config.frame_rate))))
        self.renderer.file_writer.begin_animation(True)
        self.time_progression = TimeProgression(np.arange(count) / float(config.frame_rate))
        for i, t in enumerate(self.time_progression):
            for a in animations:
                a.interpolate((i + 1) / count)
            self.renderer.render(self, t, self.mobjects)
        self.renderer.file_writer.end_animation(True)
        self.renderer.num_plays += 1

    def wait(self, duration=1.0):
        self.play(Animation(Mobject(), duration))
        self.mobjects = [m for m in self.mobjects if type(m) is not Mobject]

    def render(self):
        self.construct()
        if self.renderer.num_plays:
            self.renderer.file_writer.finish()
        else:
            path = self.renderer.file_writer.image_file_path
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self.snapshot().save(path)
