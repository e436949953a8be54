"""The matplotlib driver: the figures a program draws, captured at a fixed size and DPI."""

import os

from .base import RenderError, run_module, write_png


class Driver:
    name = "matplotlib"
    job_spares = 4

    def warm(self):
        import matplotlib
        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot  # noqa: F401  (the import is the warm-up)
        import numpy
        # Build the font cache in the parent so no child pays for it.
        from matplotlib import font_manager
        font_manager.findfont("DejaVu Sans")
        self.draw_once()
        return {"matplotlib": matplotlib.__version__, "numpy": numpy.__version__}

    def sample_job(self):
        """What a typical job does, for the pages it writes (warm_pages): a figure drawn and saved."""
        self.draw_once()

    @staticmethod
    def draw_once():
        """Draws and saves one figure with the common artists, then closes it: what matplotlib builds
        lazily on a process's first draw (text layout and glyph caches, tick machinery, the Agg
        canvas code paths) is then built once here instead of in every job child (part of the
        matplotlib figure in the README's sandbox section). Only caches stay behind: figure numbering, rcParams and every setting are as
        before, and a job's frames are byte-identical to a fresh interpreter's (MatplotlibRendererIT)."""
        import io
        import matplotlib.pyplot as plt
        fig, (left, right) = plt.subplots(1, 2)
        left.bar(["a", "b"], [1, 2], label="bars")
        left.plot([0, 1], [1, 0], "o-", label="line")
        left.scatter([0.5], [0.5])
        left.set_title("title $x^2$")
        left.set_xlabel("x")
        left.legend()
        left.grid(True)
        right.imshow([[0, 1], [1, 0]])
        right.text(0.5, 0.5, "text")
        fig.suptitle("warm-up")
        from matplotlib.figure import Figure
        save_png(Figure.savefig, fig, io.BytesIO(), 100)  # as a job saves, so its code paths are warm too
        plt.close("all")

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

        original_show, original_plt_savefig = plt.show, plt.savefig
        Figure.savefig = redirected_savefig
        plt.show = lambda *args, **kwargs: None
        plt.savefig = lambda *args, **kwargs: redirected_savefig(plt.gcf())
        try:
            run_module(compiled)
        finally:
            # A job's process ends after it; a caller that renders twice in one process (a test, a
            # profile) would otherwise save nothing the second time.
            Figure.savefig, plt.show, plt.savefig = original_savefig, original_show, original_plt_savefig
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
            save_png(original_savefig, fig, path, dpi)
            frames.append(path)
        return {"frames": frames, "media": frames[-1], "last_frame": frames[-1], "scene": None}


def save_png(savefig, fig, path, dpi):
    """savefig(fig, path, format="png") with matplotlib's own drawing and pixels, the file written by
    base.write_png instead of Pillow (a fifth of the time, and a file the Java side inflates faster).

    matplotlib's Agg canvas draws, then hands its RGBA buffer to matplotlib.image.imsave, which gives
    it to Pillow unchanged (matplotlib 3.x, FigureCanvasAgg._print_pil). That one call is taken over,
    for this figure's file only and only in the form the canvas makes it (a 3-d memoryview of bytes,
    top row first); every other call, and every matplotlib whose canvas does not call imsave so, goes
    to Pillow as before. The pixels are the buffer's either way: MatplotlibRendererIT compares them
    with plain savefig's in a fresh interpreter, tight bounding boxes and transparency included."""
    import matplotlib.image

    original_imsave = matplotlib.image.imsave

    def imsave(fname, arr, *args, **kwargs):
        if (fname == path and not args and isinstance(arr, memoryview) and arr.format == "B" and arr.ndim == 3
                and arr.shape[2] == 4 and kwargs.get("origin") == "upper" and kwargs.get("format") == "png"
                and set(kwargs) <= {"format", "origin", "dpi", "metadata", "pil_kwargs"}):
            write_png(arr, path, alpha=True)
        else:
            original_imsave(fname, arr, *args, **kwargs)

    matplotlib.image.imsave = imsave
    try:
        savefig(fig, path, dpi=dpi, facecolor="white", format="png")
    finally:
        matplotlib.image.imsave = original_imsave
