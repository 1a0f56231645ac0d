"""Draw the data-flow picture of docs/architecture.md.

    python tools/draw_architecture.py          # writes docs/images/architecture.png

Each box is one step of the pipeline with the folder (or file) that holds it; the colour is
the step's stage folder. Drawn with matplotlib's Agg back end in a 16.4 x 7 coordinate system.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Dict, Tuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "images", "architecture.png")

#: Fill colour per stage (light, so black text reads on every one).
COLOURS = {
    "capture": "#cfe8f3", "solve": "#ffe0b8", "bridge": "#dcdcf4", "review": "#d6efd4",
    "rig": "#f3d9e6", "micro": "#efe3c4", "unity": "#d9d9d9",
}
W, H = 2.3, 1.25
X = (1.35, 4.1, 6.85, 9.6, 12.35, 15.1)      # the columns

#: name -> (centre x, centre y, stage, title, where, what)
BOXES: Dict[str, Tuple[float, float, str, str, str, str]] = {
    "landmarks": (X[0], 4.3, "capture", "Landmarks", "capture/, solve/tracks",
                  "from video or a tracker"),
    "key_weights": (X[1], 4.3, "solve", "Key weights", "solve/key_weights",
                    "offsets, head motion removed"),
    "solver": (X[2], 4.3, "solve", "Solver", "solve/weight_solver",
               "bounded weights 0-1"),
    "clip": (X[3], 4.3, "bridge", "Clip", "bridge/models",
             "weights per frame"),
    "review": (X[4], 5.45, "review", "Review", "review/",
               "checks in mm, sheet"),
    "export": (X[4], 3.15, "bridge", "Export", "bridge/, formats/",
               "JSON, FBX, glTF"),
    "unity": (X[5], 4.3, "unity", "Unity", "unity_bridge/",
              "same solve in C#"),
    "mesh": (X[0], 1.55, "rig", "Face mesh", "rig/face",
             "68 landmark vertices"),
    "rig": (X[1], 1.55, "rig", "Rig", "rig/build",
            "one target per expression"),
    "micro": (X[3], 1.55, "micro", "Micro-expressions", "micro/",
              "FACS AUs, timing, mm"),
}

#: (from, to, label, from side, to side); sides: l, r, t, b.
ARROWS = [
    ("landmarks", "key_weights", "", "r", "l"),
    ("key_weights", "solver", "", "r", "l"),
    ("solver", "clip", "", "r", "l"),
    ("clip", "review", "", "r", "l"),
    ("clip", "export", "", "r", "l"),
    ("export", "unity", "", "r", "l"),
    ("mesh", "rig", "", "r", "l"),
    ("rig", "key_weights", "landmark offsets\nof each target", "t", "b"),
    ("rig", "micro", "targets", "r", "l"),
    ("micro", "clip", "layered on a clip", "t", "b"),
]


def _anchor(name: str, side: str) -> Tuple[float, float]:
    x, y = BOXES[name][:2]
    dx = {"l": -W / 2, "r": W / 2}.get(side, 0.0)
    dy = {"b": -H / 2, "t": H / 2}.get(side, 0.0)
    return x + dx, y + dy


def _box(ax: Axes, x: float, y: float, stage: str, title: str, where: str, what: str) -> None:
    ax.add_patch(FancyBboxPatch((x - W / 2, y - H / 2), W, H, boxstyle="round,pad=0.02,rounding_size=0.12",
                                facecolor=COLOURS[stage], edgecolor="#333333", linewidth=1.2))
    ax.text(x, y + 0.33, title, ha="center", va="center", fontsize=12.5, weight="bold")
    ax.text(x, y - 0.02, where, ha="center", va="center", fontsize=8.6, family="monospace",
            color="#222222")
    ax.text(x, y - 0.34, what, ha="center", va="center", fontsize=9.2, color="#333333")


def _arrow(ax: Axes, a: str, b: str, label: str, sa: str, sb: str) -> None:
    start, end = _anchor(a, sa), _anchor(b, sb)
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, linewidth=1.5,
                                 color="#333333", shrinkA=2, shrinkB=2))
    if label:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        vertical = abs(end[0] - start[0]) < 1e-6
        ax.text(mx + (0.12 if vertical else 0.0), my + (0.0 if vertical else 0.22), label,
                ha="left" if vertical else "center", va="center", fontsize=9, style="italic",
                color="#444444")


def draw(path: str = OUT) -> str:
    """Draw the picture into ``path`` (PNG) and return the path."""
    fig = plt.figure(figsize=(16.3, 7.0), dpi=90)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 16.4)
    ax.set_ylim(0.0, 7.05)
    ax.axis("off")
    ax.text(0.25, 6.75, "MicroExpr: from landmarks to Unity", fontsize=16, weight="bold", va="center")
    ax.text(0.25, 6.32, "Each box: the step, where it lives (folders of shared/microexpr; unity_bridge/ "
                        "is the Unity package), what it makes. Below every stage: errors, atomicio, "
                        "mesh, landmarks.",
            fontsize=10, va="center", color="#333333")
    for name, (x, y, stage, title, where, what) in BOXES.items():
        _box(ax, x, y, stage, title, where, what)
    for a, b, label, sa, sb in ARROWS:
        _arrow(ax, a, b, label, sa, sb)
    # solve/tracks_to_clip runs key weights and solver: a dashed frame around both
    left, right = X[1] - W / 2 - 0.15, X[2] + W / 2 + 0.15
    ax.add_patch(FancyBboxPatch((left, 4.3 - H / 2 - 0.15), right - left, H + 0.55,
                                boxstyle="round,pad=0,rounding_size=0.15", facecolor="none",
                                edgecolor="#b07020", linewidth=1.1, linestyle="--"))
    ax.text((left + right) / 2, 4.3 + H / 2 + 0.2, "solve/tracks_to_clip: tracks in, clip out",
            ha="center", va="center", fontsize=9.5, family="monospace", color="#7a4a10")
    ax.text(X[5], 3.45, "also live: landmarks from\na tracker, solved per frame", ha="center", va="top",
            fontsize=9, style="italic", color="#444444")
    note = dict(boxstyle="round,pad=0.4", facecolor="white", edgecolor="#999999", linestyle="--")
    ax.text(X[4] + 1.35, 1.55, "cli/: one command per step (microexpr rig,\nsolve, capture, micro, "
                              "review, export, demo)", ha="center", va="center", fontsize=9.5,
            color="#333333", bbox=note)
    ax.text((X[1] + X[3]) / 2, 0.42, "Maya (maya_plugin/): Bind, Generate, Export, Clip, Micro,\n"
                                     "Review call the same core (rig/, bridge/, micro/, review/)",
            ha="center", va="center", fontsize=9.5, color="#333333", bbox=note)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=OUT, help="PNG to write (default: docs/images/architecture.png)")
    print("wrote %s" % os.path.relpath(draw(ap.parse_args().out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
