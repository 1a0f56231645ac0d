"""Draw the MicroExpr shelf icons: 32x32 PNGs, one per shelf button.

    python shelf_icons/draw_icons.py            # writes shelf_icons/microexpr_*.png

One style for all: a dark rounded tile, a white face-related glyph with a 2.2 px stroke,
and one orange accent that marks what the tool does. Drawn with matplotlib's Agg back end
in a 32-unit coordinate system (1 unit = 1 pixel, y up) straight at the final size.
"""
from __future__ import annotations

import os
import sys
from typing import Callable, Dict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import patches  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

SIZE = 32
TILE = "#23394a"
EDGE = "#5f8fae"
INK = "#ffffff"
ACCENT = "#ff9e2c"
STROKE = 2.2  # pixels
HERE = os.path.dirname(os.path.abspath(__file__))

# matplotlib line widths are in points; at dpi 32 one pixel is 72/32 points.
PT = 72.0 / SIZE


def _line(ax: Axes, xs, ys, color: str = INK, width: float = STROKE) -> None:
    ax.plot(xs, ys, color=color, lw=width * PT, solid_capstyle="round",
            solid_joinstyle="round", zorder=3)


def _dot(ax: Axes, x: float, y: float, r: float = 1.9, color: str = ACCENT) -> None:
    ax.add_patch(patches.Circle((x, y), r, facecolor=color, edgecolor="none",
                                zorder=4))


def _face(ax: Axes, cx: float = 16, cy: float = 16, w: float = 15, h: float = 19,
          color: str = INK) -> None:
    ax.add_patch(patches.Ellipse((cx, cy), w, h, fill=False, edgecolor=color,
                                 lw=STROKE * PT))


def _smile(ax: Axes, cx: float, cy: float, w: float, depth: float,
           color: str = INK) -> None:
    xs = [cx - w / 2 + w * i / 10 for i in range(11)]
    ys = [cy - depth * (1 - ((x - cx) / (w / 2)) ** 2) for x in xs]
    _line(ax, xs, ys, color)


def draw_bind(ax: Axes) -> None:
    """Key points pinned on a face."""
    _face(ax)
    for x, y in ((12.5, 19), (19.5, 19), (16, 15), (11.5, 11.5), (20.5, 11.5), (16, 10)):
        _dot(ax, x, y, 1.6)


def draw_generate(ax: Axes) -> None:
    """A face with a plus: new blend-shape targets."""
    _face(ax, 13.5, 15, 13, 17)
    _dot(ax, 11, 17.5, 1.1, INK)
    _dot(ax, 16, 17.5, 1.1, INK)
    _smile(ax, 13.5, 12.5, 6, 1.8)
    _line(ax, [24.5, 24.5], [20, 29], ACCENT, 2.6)
    _line(ax, [20, 29], [24.5, 24.5], ACCENT, 2.6)


def draw_panel(ax: Axes) -> None:
    """A face beside three sliders: the key-point panel."""
    _face(ax, 11, 16, 11, 15)
    _dot(ax, 9, 18, 1.0, INK)
    _dot(ax, 13, 18, 1.0, INK)
    for y, knob in ((23, 25), (16, 21.5), (9, 24)):
        _line(ax, [19.5, 27], [y, y], INK, 1.8)
        _dot(ax, knob, y, 2.2)


def draw_export(ax: Axes) -> None:
    """A face with an arrow leaving it: export the rig."""
    _face(ax, 12.5, 15, 12, 16)
    _dot(ax, 10.3, 17, 1.1, INK)
    _dot(ax, 14.7, 17, 1.1, INK)
    _line(ax, [18.5, 28], [15, 15], ACCENT, 2.6)
    _line(ax, [24, 28, 24], [19, 15, 11], ACCENT, 2.6)


def draw_apply_clip(ax: Axes) -> None:
    """A face with a play mark: apply an animation clip."""
    _face(ax, 12.5, 16, 12, 16)
    _dot(ax, 10.3, 18, 1.1, INK)
    _dot(ax, 14.7, 18, 1.1, INK)
    _line(ax, [10.5, 14.5], [12.5, 12.5], INK, 1.8)
    ax.add_patch(patches.Polygon([(20, 9.5), (20, 22.5), (29, 16)], closed=True,
                                 facecolor=ACCENT, edgecolor="none", zorder=3))


def draw_micro(ax: Axes) -> None:
    """A fleeting expression: one raised brow and a one-sided smile."""
    _face(ax, 16, 16, 19, 24)
    _dot(ax, 12.5, 17.5, 1.2, INK)
    _dot(ax, 19.5, 17.5, 1.2, INK)
    _line(ax, [10.5, 14.5], [21, 23], ACCENT, 2.0)
    _line(ax, [17.5, 21.5], [21.5, 21.5], INK, 2.0)
    _line(ax, [12, 16, 19, 21], [10.5, 10, 10.5, 12.5], ACCENT, 2.0)


def draw_review(ax: Axes) -> None:
    """A magnifier over a face: review the result."""
    _face(ax, 14, 17, 15, 17)
    ax.add_patch(patches.Circle((17.5, 14.5), 5.2, fill=False, edgecolor=ACCENT,
                                lw=2.4 * PT))
    _line(ax, [21.5, 27], [10.5, 5], ACCENT, 3.0)


ICONS: Dict[str, Callable[[Axes], None]] = {
    "microexpr_bind": draw_bind,
    "microexpr_generate": draw_generate,
    "microexpr_panel": draw_panel,
    "microexpr_export": draw_export,
    "microexpr_apply_clip": draw_apply_clip,
    "microexpr_micro": draw_micro,
    "microexpr_review": draw_review,
}


def render(name: str, out_dir: str = HERE) -> str:
    """Draw one icon to ``out_dir/name.png``; returns the path."""
    fig = plt.figure(figsize=(1, 1), dpi=SIZE)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, SIZE)
    ax.set_ylim(0, SIZE)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.add_patch(patches.FancyBboxPatch((1.5, 1.5), 29, 29, boxstyle="round,pad=0,rounding_size=5",
                                        facecolor=TILE, edgecolor=EDGE, lw=1.0 * PT))
    ICONS[name](ax)
    path = os.path.join(out_dir, name + ".png")
    fig.savefig(path, dpi=SIZE, transparent=True, metadata={"Software": None})
    plt.close(fig)
    return path


def main() -> int:
    for name in ICONS:
        print(render(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
