"""The manim driver: a Scene rendered to a video, sampled into frames."""

import os

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
        # The module runs *inside* tempconfig so that its own module-level config.* assignments
        # win over ours, as they do with the manim CLI.
        with tempconfig(options):
            module = run_module(compiled)
            scene_class = pick_scene_class(module, Scene, settings.get("scene"))
            scene = scene_class()
            scene.render()
            renderer = scene.renderer
            writer = renderer.file_writer
            played = getattr(renderer, "num_plays", 0)
            movie = str(getattr(writer, "movie_file_path", "") or "")
            image = str(getattr(writer, "image_file_path", "") or "")
        frames_dir = os.path.join(out_dir, "frames")
        os.makedirs(frames_dir, exist_ok=True)
        if played and movie and os.path.isfile(movie):
            frames, last = sample_video(movie, frames_dir, settings)
            return {"frames": frames, "media": movie, "last_frame": last, "scene": scene_class.__name__}
        if image and os.path.isfile(image):
            return {"frames": [image], "media": image, "last_frame": image, "scene": scene_class.__name__}
        raise RenderError("no_scene", "scene %s rendered but manim wrote no video or image" % scene_class.__name__)


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
