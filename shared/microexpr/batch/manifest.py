"""The jobs of a batch: a CSV or JSON manifest, or a glob of inputs with shared options.

A job is one take on one rig: ``capture`` (a video, an image folder or one image), ``solve``
(a tracks file) or ``mayapy`` (a Maya scene through the Maya module's batch exporter). Its
kind follows from the input unless a ``kind`` column says otherwise. Paths in a manifest are
relative to the manifest's folder; every path of a job is made absolute here, so workers on
other machines see the same paths (mount the data at the same place on every machine).

    jobs = load_jobs("takes.csv")                                  # a manifest
    jobs = load_jobs("takes/*.mp4", {"rig": "face.microexpr"})     # a glob, options shared
"""
from __future__ import annotations

import csv
import glob
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from microexpr.errors import MicroExprError

KINDS = ("capture", "solve", "mayapy")
#: outputs each kind can write; ``clip`` is always written by capture and solve jobs, and a
#: mayapy job always writes the bridge JSON of every rig in its scene.
OUTPUTS = {"capture": ("clip", "review", "sheet", "fbx", "glb", "tracks"),
           "solve": ("clip", "review", "sheet", "fbx", "glb"),
           "mayapy": ("json", "fbx")}
DEFAULT_OUTPUTS = {"capture": ("clip", "sheet"), "solve": ("clip", "sheet"), "mayapy": ("json",)}
#: setting -> (type, kinds it applies to). Unset settings keep the single commands' defaults.
SETTINGS: Dict[str, Tuple[type, Tuple[str, ...]]] = {
    "compensation": (str, ("capture", "solve")),
    "fps": (float, ("capture", "solve")),
    "neutral_frame": (int, ("capture", "solve")),
    "mirrored": (bool, ("capture", "solve")),
    "reg": (float, ("capture", "solve")),
    "temporal": (float, ("capture", "solve")),
    "calibration_frames": (str, ("capture", "solve")),
    "prior": (float, ("capture", "solve")),
    "speed": (float, ("capture", "solve")),
    "neutral_frames": (int, ("capture",)),
    "face_box": (str, ("capture",)),
    "min_face": (float, ("capture",)),
    "smooth": (bool, ("capture",)),
    "mayapy": (str, ("mayapy",)),
    "maya_batch": (str, ("mayapy",)),
}
#: columns that are not settings
FIELDS = ("name", "kind", "input", "rig", "performer", "outputs")
TRACK_EXTS = (".csv", ".tsv", ".txt", ".npy")
SCENE_EXTS = (".ma", ".mb")
#: file names at the top of the output folder, which a take's folder must not take
RESERVED = ("index.html", "summary.json")


@dataclass
class Job:
    """One take on one rig. ``key`` (the content key) is filled in when the batch is planned."""

    name: str
    kind: str
    input: str
    rig: Optional[str] = None
    performer: Optional[str] = None
    outputs: Tuple[str, ...] = ()
    settings: Dict[str, Any] = field(default_factory=dict)
    where: str = ""          # "takes.csv line 4": for messages
    key: str = ""

    def paths(self) -> List[str]:
        """Every file the job reads."""
        return [p for p in (self.input, self.rig, self.performer) if p]


def kind_of(path: str) -> str:
    """capture (video, image folder, image), solve (tracks) or mayapy (Maya scene)."""
    ext = os.path.splitext(path)[1].lower()
    if ext in TRACK_EXTS:
        return "solve"
    if ext in SCENE_EXTS:
        return "mayapy"
    return "capture"


def _bool(text: Any, where: str, name: str) -> bool:
    if isinstance(text, bool):
        return text
    t = str(text).strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise MicroExprError("%s is not yes or no: %r" % (name, text), file=where, field=name,
                         fix="write 1 or 0 (true/false, yes/no)")


def _value(name: str, raw: Any, where: str) -> Any:
    typ = SETTINGS[name][0]
    if typ is bool:
        return _bool(raw, where, name)
    try:
        value = typ(raw)
    except (TypeError, ValueError):
        raise MicroExprError("%s is not a %s: %r" % (name, "number" if typ is not str else "text",
                                                     raw), file=where, field=name,
                             fix="e.g. %s" % {"fps": "60", "neutral_frame": "0", "reg": "0.001",
                                              "temporal": "0", "neutral_frames": "10",
                                              "min_face": "64"}.get(name, "a value")) from None
    if typ in (int, float) and value < 0 or name in ("fps", "prior") and value == 0:
        raise MicroExprError("%s must not be negative (nor zero for fps and prior): %r" % (name, raw),
                             file=where, field=name, fix="give a positive number")
    return value


def _outputs(raw: Any, kind: str, where: str) -> Tuple[str, ...]:
    if raw is None or raw == "" or raw == []:
        return DEFAULT_OUTPUTS[kind]
    words = raw if isinstance(raw, (list, tuple)) else re.split(r"[\s,;+|]+", str(raw).strip())
    out: List[str] = []
    for w in (str(w).strip().lower() for w in words):
        if w and w not in OUTPUTS[kind]:
            raise MicroExprError("a %s job cannot write %r" % (kind, w), file=where, field="outputs",
                                 fix="choose from: " + ", ".join(OUTPUTS[kind]))
        if w and w not in out:
            out.append(w)
    first = "json" if kind == "mayapy" else "clip"
    return tuple([first] + [w for w in out if w != first])


def _path(raw: Any, base: str) -> Optional[str]:
    if raw is None or str(raw).strip() == "":
        return None
    p = os.path.expanduser(str(raw).strip())
    return os.path.normpath(p if os.path.isabs(p) else os.path.join(base, p))


def _clean(row: Dict[str, Any]) -> Dict[str, Any]:
    row = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    return {k: v for k, v in row.items() if not (v is None or (isinstance(v, str) and not v.strip()))}


def resolve_defaults(defaults: Optional[Dict[str, Any]], base: str) -> Dict[str, Any]:
    """Defaults with their paths made absolute against ``base``."""
    out = _clean(defaults or {})
    for k in ("rig", "performer", "maya_batch"):
        if k in out:
            out[k] = _path(out[k], base)
    return out


def _apply_defaults(row: Dict[str, Any], defaults: Dict[str, Any], kind: str) -> Dict[str, Any]:
    """Fill what the row leaves empty with the defaults that apply to its kind."""
    out = dict(row)
    for k, v in defaults.items():
        if k in out or k in ("input", "name", "kind"):
            continue
        if k in SETTINGS and kind not in SETTINGS[k][1]:
            continue
        if k in ("rig", "performer") and kind == "mayapy":
            continue
        if k == "outputs":
            words = v if isinstance(v, (list, tuple)) else re.split(r"[\s,;+|]+", str(v).strip())
            v = [w for w in words if str(w).strip().lower() in OUTPUTS[kind]]
        out[k] = v
    return out


def make_job(row: Dict[str, Any], base: str, where: str,
             defaults: Optional[Dict[str, Any]] = None) -> Job:
    """A job from one manifest row (column -> value; empty values are unset). ``defaults``
    (paths already absolute) fill what the row leaves empty, where they apply to its kind."""
    row = _clean(row)
    unknown = sorted((set(row) | set(defaults or {})) - set(FIELDS) - set(SETTINGS))
    if unknown:
        raise MicroExprError("unknown column(s) or setting(s) %s" % ", ".join(unknown), file=where,
                             field=unknown[0],
                             fix="columns are: " + ", ".join(FIELDS + tuple(SETTINGS)))
    if "input" not in row:
        raise MicroExprError("no input", file=where, field="input",
                             fix="give the video, image folder, tracks file or Maya scene")
    inp = _path(row["input"], base) or ""
    kind = str(row.get("kind") or kind_of(inp)).strip().lower()
    if kind not in KINDS:
        raise MicroExprError("unknown kind %r" % kind, file=where, field="kind",
                             fix="use one of: " + ", ".join(KINDS))
    for name in SETTINGS:
        if name in row and kind not in SETTINGS[name][1]:
            raise MicroExprError("%s does not apply to a %s job" % (name, kind), file=where,
                                 field=name, fix="leave it empty for this row")
    row = {k: _path(v, base) if k in ("rig", "performer", "maya_batch") else v
           for k, v in row.items()}
    row = _apply_defaults(row, defaults or {}, kind)
    rig = row.get("rig")
    if kind != "mayapy" and not rig:
        raise MicroExprError("no rig for %s" % os.path.basename(inp), file=where, field="rig",
                             fix="add a rig column, or pass --rig RIG for every job")
    settings = {k: _value(k, row[k], where) for k in SETTINGS if k in row}
    return Job(name=str(row.get("name") or "").strip(), kind=kind, input=inp,
               rig=rig if kind != "mayapy" else None, performer=row.get("performer"),
               outputs=_outputs(row.get("outputs"), kind, where), settings=settings, where=where)


def safe_name(text: str) -> str:
    """A take name usable as a folder on every system."""
    out = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "take"
    return out + "_take" if out.lower() in RESERVED else out


def name_jobs(jobs: List[Job]) -> List[Job]:
    """Give every job a unique folder name: its own, else the input's stem (with the rig's
    stem when one input goes onto several rigs, then a number)."""
    stems = [safe_name(os.path.splitext(os.path.basename(j.input.rstrip(os.sep)))[0]) for j in jobs]
    count: Dict[str, int] = {}
    for j, s in zip(jobs, stems):
        if not j.name:
            count[s] = count.get(s, 0) + 1
    used: Dict[str, str] = {}
    for j, s in zip(jobs, stems):
        given = bool(j.name)
        name = safe_name(j.name) if given else s
        if not given and count[s] > 1 and j.rig:
            name = "%s_%s" % (s, safe_name(os.path.splitext(os.path.basename(j.rig))[0]))
        if name.lower() in used:
            if given:
                raise MicroExprError("take name %r is used twice (%s and %s)" % (
                    name, used[name.lower()], j.where), file=j.where, field="name",
                    fix="give every row its own name")
            n = 2
            while ("%s_%d" % (name, n)).lower() in used:
                n += 1
            name = "%s_%d" % (name, n)
        used[name.lower()] = j.where
        j.name = name
    return jobs


def _rows_csv(path: str) -> List[Tuple[Dict[str, Any], str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        lines = [ln for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    if not reader.fieldnames or "input" not in [h.strip().lower() for h in reader.fieldnames]:
        raise MicroExprError("the first line must name the columns, one of them 'input'",
                             file=path, field="input",
                             fix="e.g. 'name,input,rig,outputs' then one line per take")
    rows = []
    for i, row in enumerate(reader, start=2):
        extra = row.pop(None, None)
        if extra and any(str(v).strip() for v in extra):
            raise MicroExprError("more values than columns", file="%s line %d" % (path, i),
                                 field="outputs", fix="quote a value that holds commas, or "
                                 "separate outputs with spaces or ';'")
        rows.append((row, "%s line %d" % (path, i)))
    return rows


def _rows_json(path: str) -> Tuple[List[Tuple[Dict[str, Any], str]], Dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except ValueError as exc:
        raise MicroExprError("not valid JSON (%s)" % exc, file=path,
                             fix="a list of jobs, or {\"defaults\": {...}, \"jobs\": [...]}") from None
    defaults: Dict[str, Any] = {}
    if isinstance(doc, dict):
        defaults = doc.get("defaults") or {}
        doc = doc.get("jobs")
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc) or not isinstance(
            defaults, dict):
        raise MicroExprError("expected a list of jobs (objects)", file=path, field="jobs",
                             fix="[{\"input\": \"take1.mp4\", \"rig\": \"face.microexpr\"}, ...]")
    return [(r, "%s job %d" % (path, i + 1)) for i, r in enumerate(doc)], defaults


def read_manifest(path: str, defaults: Optional[Dict[str, Any]] = None) -> List[Job]:
    """Jobs of a CSV or JSON manifest. ``defaults`` (paths relative to the current folder)
    fill the columns a row leaves empty; a JSON manifest's own ``defaults`` come first."""
    if not os.path.isfile(path):
        raise MicroExprError("no such manifest", file=path, fix="give a .csv or .json manifest, or a "
                             "glob of inputs such as 'takes/*.mp4' with --rig")
    base = os.path.dirname(os.path.abspath(path))
    given = resolve_defaults(defaults, os.getcwd())
    if path.lower().endswith(".json"):
        rows, own = _rows_json(path)
        given.update(resolve_defaults(own, base))
    else:
        rows = _rows_csv(path)
    if not rows:
        raise MicroExprError("the manifest lists no job", file=path, fix="add one line per take")
    return name_jobs([make_job(row, base, where, given) for row, where in rows])


def from_glob(pattern: str, defaults: Optional[Dict[str, Any]] = None) -> List[Job]:
    """One job per input matching ``pattern`` (sorted), each with ``defaults``."""
    found = sorted(glob.glob(os.path.expanduser(pattern)))
    if not found:
        raise MicroExprError("nothing matches %r" % pattern, field="MANIFEST",
                             fix="quote the pattern ('takes/*.mp4') and check the folder")
    cwd = os.getcwd()
    given = resolve_defaults(defaults, cwd)
    jobs = [make_job({"input": p}, cwd, "%s (%s)" % (p, pattern), given) for p in found]
    return name_jobs(jobs)


def is_manifest(path: str) -> bool:
    """A .json file, or a .csv file whose first line names an ``input`` column (a tracks
    CSV starts with ``frame,x0,...``)."""
    if path.lower().endswith(".json"):
        return True
    if not path.lower().endswith(".csv"):
        return False
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for line in f:
            if line.strip() and not line.lstrip().startswith("#"):
                return "input" in [c.strip().strip('"').lower() for c in line.split(",")]
    return True


def load_jobs(source: str, defaults: Optional[Dict[str, Any]] = None) -> List[Job]:
    """A manifest (.csv/.json file), a glob of inputs, or one input."""
    if os.path.isfile(source) and is_manifest(source):
        return read_manifest(source, defaults)
    if any(c in source for c in "*?["):
        return from_glob(source, defaults)
    if os.path.exists(source):                      # one input, e.g. a single video
        return from_glob(glob.escape(source), defaults)
    return read_manifest(source, defaults)
