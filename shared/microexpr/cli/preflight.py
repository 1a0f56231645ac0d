"""Checks every command gets before it starts work: its numbers, its input files and its output
paths. Each problem is a MicroExprError naming the option.

- A number option must be finite; frame rates, sizes and weights must also be in range
  (``SIGNS``).
- An output may not be an input (``--out`` = ``--rig`` overwrote the rig), nor another output;
  it must be a regular file or new, in an existing folder MicroExpr can write to.

Options are told apart by their names (``dest``), the same in every command: ``OUTPUTS`` are
files a command writes, ``INPUTS`` files it reads. ``demo --out`` is a folder, checked by the
demo itself.
"""
from __future__ import annotations

import argparse
import math
import os
import tempfile
from typing import Dict, List, Optional, Tuple

from microexpr.errors import MicroExprError
from microexpr.limits import MAX_FPS, MIN_FPS

#: Options naming files a command writes.
OUTPUTS = ("out", "json", "report", "preview", "landmarks_out", "fbx", "glb", "gltf", "record",
           "performer_out")
#: Options naming files (or folders of files) a command reads.
INPUTS = ("rig", "clip", "base", "landmarks", "mapping", "mesh", "neutral", "targets", "source",
          "input", "landmark_vertices", "model", "solve_set", "performer", "video")
#: Commands whose ``--out`` is not a file.
FOLDER_OUT = ("demo",)
#: dest -> (lowest value, whether the lowest is allowed, example): range of number options.
SIGNS: Dict[str, Tuple[float, bool, str]] = {
    "fps": (MIN_FPS, True, "--fps 60"),
    "reg": (0.0, True, "--reg 1e-3"),
    "temporal": (0.0, True, "--temporal 0.1"),
    "tolerance": (0.0, True, "--tolerance 1e-9"),
    "duration": (0.0, False, "--duration 1.0"),
    "peak_mm": (0.0, False, "--peak-mm 1.2"),
    "min_span_ms": (0.0, False, "--min-span-ms 40"),
    "max_span_ms": (0.0, False, "--max-span-ms 500"),
    "typical_ms": (0.0, False, "--typical-ms 200"),
    "ceiling_mm": (0.0, False, "--ceiling-mm 2"),
    "floor_mm": (0.0, True, "--floor-mm 0.3"),
    "rigid_mm": (0.0, True, "--rigid-mm 0.1"),
    "neutral_frame": (0.0, True, "--neutral-frame 0"),
    "seed": (0.0, True, "--seed 7"),
    "bridge": (0.0, True, "--bridge 0.05"),
    "min_face": (0.0, False, "--min-face 64"),
}
#: dest -> the highest value accepted.
HIGHEST = {"fps": MAX_FPS}
LABELS = {"fps": "frame rate", "reg": "the ridge weight", "temporal": "the temporal weight",
          "tolerance": "the tolerance", "duration": "the duration", "seed": "the seed",
          "neutral_frame": "the neutral frame"}


def option_name(parser: Optional[argparse.ArgumentParser], dest: str) -> str:
    """``--peak-mm`` for ``peak_mm`` (the parser's own spelling when it has one)."""
    if parser is not None:
        for action in parser._actions:
            if action.dest == dest and action.option_strings:
                return max(action.option_strings, key=len)
    return "--" + dest.replace("_", "-")


def check_numbers(args: argparse.Namespace, parser: Optional[argparse.ArgumentParser]) -> None:
    """Every number option finite and within ``SIGNS``."""
    for dest, value in sorted(vars(args).items()):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        name = option_name(parser, dest)
        if not math.isfinite(value):
            raise MicroExprError("%r is not a finite number" % value, field=name,
                                 fix="give a number, e.g. %s" % SIGNS.get(dest, (0, 0, name + " 1"))[2])
        if dest in HIGHEST and value > HIGHEST[dest]:
            raise MicroExprError("%s must be at most %g, got %g" % (LABELS.get(dest, "the value"),
                                                                  HIGHEST[dest], value),
                                 field=name, fix="e.g. " + SIGNS[dest][2])
        if dest in SIGNS:
            low, inclusive, example = SIGNS[dest]
            if value < low or (value == low and not inclusive):
                if value <= 0 < low or (low == 0 and not inclusive):
                    what = "positive"
                else:
                    what = ("%g or more" % low) if inclusive else ("more than %g" % low)
                raise MicroExprError("%s must be %s, got %g" % (LABELS.get(dest, "the value"),
                                                                what, value),
                                     field=name, fix="e.g. " + example)


def _paths(value) -> List[str]:
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]
    if isinstance(value, (list, tuple)):
        return [os.fspath(v) for v in value if isinstance(v, (str, os.PathLike))]
    return []


def input_files(args: argparse.Namespace) -> List[Tuple[str, str]]:
    """(option, file) for every existing input file, folders opened one level, a container's
    ``.bin`` beside it included."""
    out: List[Tuple[str, str]] = []
    for dest in INPUTS:
        for path in _paths(getattr(args, dest, None)):
            if os.path.isdir(path):
                try:
                    names = sorted(os.listdir(path))
                except OSError:
                    continue
                out += [(dest, os.path.join(path, n)) for n in names
                        if os.path.isfile(os.path.join(path, n))]
            elif os.path.isfile(path):
                out.append((dest, path))
                side = os.path.splitext(path)[0] + ".bin"
                if path.lower().endswith(".microexpr") and os.path.isfile(side):
                    out.append((dest, side))
    return out


def output_files(args: argparse.Namespace, command: Optional[str]) -> List[Tuple[str, str]]:
    """(option, file) for every output named on the command line (with a ``.bin`` beside a
    ``--format microexpr-bin`` output)."""
    out: List[Tuple[str, str]] = []
    for dest in OUTPUTS:
        if dest == "out" and command in FOLDER_OUT:
            continue
        for path in _paths(getattr(args, dest, None)):
            out.append((dest, path))
            if dest == "out" and getattr(args, "format", None) == "microexpr-bin":
                out.append((dest, os.path.splitext(path)[0] + ".bin"))
    return out


def _same(a: str, b: str) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(args: argparse.Namespace, parser: Optional[argparse.ArgumentParser],
                  command: Optional[str]) -> None:
    """Refuse outputs that are inputs, that repeat, or that cannot be written."""
    outputs = output_files(args, command)
    inputs = input_files(args)
    for n, (dest, path) in enumerate(outputs):
        name = option_name(parser, dest)
        for idest, ipath in inputs:
            if _same(path, ipath):
                raise MicroExprError("is the input %s %s: writing it would overwrite the input"
                                     % (option_name(parser, idest), ipath), file=path, field=name,
                                     fix="write to another file")
        for odest, opath in outputs[:n]:
            if _same(path, opath):
                raise MicroExprError("is also the output %s" % option_name(parser, odest),
                                     file=path, field=name, fix="give each output its own file")
        check_writable(path, name)


def check_writable(path: str, field: str) -> None:
    """``path`` can be replaced by a new file: it is new or a regular file, in an existing
    folder where a file can be created."""
    if os.path.isdir(path):
        raise MicroExprError("is a folder", file=path, field=field,
                             fix="give a file name, e.g. %s" % os.path.join(path, "out" + _ext(field)))
    if os.path.lexists(path) and not os.path.isfile(path):
        raise MicroExprError("is not a regular file (a device, a pipe or a broken link)",
                             file=path, field=field, fix="write to a regular file")
    if os.path.isfile(path) and not os.access(path, os.W_OK):
        raise MicroExprError("is read-only", file=path, field=field,
                             fix="make it writable (chmod u+w) or write to another file")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        above = _existing(folder)
        if not os.path.isdir(above):
            raise MicroExprError("%s is a file, not a folder" % above, file=path, field=field,
                                 fix="check the path")
        raise MicroExprError("its folder %s does not exist" % folder, file=path, field=field,
                             fix="create the folder first (mkdir -p %s)" % folder)
    try:
        fd, probe = tempfile.mkstemp(prefix=".microexpr-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise MicroExprError("cannot create a file in %s (%s)" % (folder, exc.strerror or exc),
                             file=path, field=field,
                             fix="write to a folder you can write to") from None


def _existing(folder: str) -> str:
    """The nearest part of ``folder`` that exists."""
    while not os.path.exists(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    return folder


def _ext(field: str) -> str:
    return {"--fbx": ".fbx", "--glb": ".glb", "--gltf": ".gltf", "--preview": ".png"}.get(field, ".json")
