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
    def __init__(self, name):
        self.movie_file_path = os.path.join(config.media_dir, "videos", name + ".mp4")
        self.image_file_path = os.path.join(config.media_dir, "images", name + ".png")


class CairoRenderer:
    def __init__(self, name):
        self.num_plays = 0
        self.file_writer = SceneFileWriter(name)


class Scene:
    def __init__(self):
        self.mobjects = []
        self.frames = []
        self.renderer = CairoRenderer(type(self).__name__)

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
        for i in range(count):
            for a in animations:
                a.interpolate((i + 1) / count)
            self.frames.append(self.snapshot())
        self.renderer.num_plays += 1

    def wait(self, duration=1.0):
        self.play(Animation(Mobject(), duration))
        self.mobjects = [m for m in self.mobjects if type(m) is not Mobject]

    def render(self):
        self.construct()
        if self.renderer.num_plays:
            import av
            path = self.renderer.file_writer.movie_file_path
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
        else:
            path = self.renderer.file_writer.image_file_path
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self.snapshot().save(path)
