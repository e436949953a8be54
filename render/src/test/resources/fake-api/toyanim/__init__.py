"""A tiny package shaped like Manim, for the API-documentation tests: classes with methods,
numpy-style docstrings with an Examples section, a Scene base with play/wait, animations."""

__version__ = "0.3.1"

UP = (0, 1, 0)


class Mobject:
    """Base class of everything drawn.

    Parameters
    ----------
    color
        The colour.

    Examples
    --------
    .. this part must be cut::

        Mobject().shift(UP)
    """

    def __init__(self, color="WHITE"):
        self.color = color

    def shift(self, vector):
        """Move the object by ``vector``.

        Examples
        --------
        circle.shift(UP)
        """
        return self

    def set_color(self, color):
        """Change the colour."""
        self.color = color
        return self


class Circle(Mobject):
    """A circle.

    Parameters
    ----------
    radius
        The radius.

    Examples
    --------
    Circle(radius=2)
    """

    def __init__(self, radius=1.0, **kwargs):
        super().__init__(**kwargs)
        self.radius = radius


class Square(Mobject):
    """A square with sides of ``side_length``."""

    def __init__(self, side_length=2.0, **kwargs):
        super().__init__(**kwargs)


class Animation:
    """Base class of animations."""

    def __init__(self, mobject, run_time=1.0):
        self.mobject = mobject


class Create(Animation):
    """Draw a mobject stroke by stroke."""


class FadeOut(Animation):
    """Fade a mobject out."""


class Scene:
    """A scene: override ``construct``."""

    def play(self, *animations, run_time=None):
        """Play animations.

        Examples
        --------
        self.play(Create(Circle()))
        """

    def wait(self, duration=1.0):
        """Do nothing for ``duration`` seconds."""

    def add(self, *mobjects):
        """Add mobjects without animation."""
