"""Which rig targets express each action unit (an AU map), and which AUs a rig cannot express.

Built in: ARKit-style names (``browInnerUp``, ``mouthSmile_L`` ...; ``_L``/``Left`` suffixes
and letter case do not matter) and the paper's Table-1 targets (``table1`` preset), which
express only part of FACS: ``TABLE1_CANNOT`` lists the AUs it has no target for, and
``notes`` say where a target only approximates an AU. A rig matching neither falls back to
the ``aus`` its targets carry in their metadata (``TargetInfo.aus``).

Any rig can be given an AU map file (JSON)::

    {"format": "microexpr.aumap", "replace": false,
     "aus": {"12": [{"target": "smile_L", "side": "L", "gain": 1.0},
                    {"target": "smile_R", "side": "R"}],
             "14": []}}

Each AU lists the targets it drives; ``side`` (L, R or C) defaults to the target's own side
in the rig, ``gain`` (> 0, default 1) scales the target's weight relative to the AU's
activation. An empty list says the rig cannot express that AU. With ``replace`` false the
file's AUs override the built-in map AU by AU; with true only the file counts.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

from microexpr.errors import MicroExprError
from microexpr.micro import facs

_Alt = Tuple[Tuple[str, str, float], ...]      # (target, side, gain)


@dataclass(frozen=True)
class Drive:
    """One target driven by an AU, on the subject's side L, R or C (both/midline)."""

    target: str
    side: str
    gain: float = 1.0


def _lr(name: str, gain: float = 1.0) -> _Alt:
    return ((name + "_L", "L", gain), (name + "_R", "R", gain))


def _c(name: str, gain: float = 1.0) -> _Alt:
    return ((name, "C", gain),)


# AU -> alternatives; the first alternative with a target present in the rig is used.
ARKIT: Dict[str, Tuple[_Alt, ...]] = {
    "1": (_c("browInnerUp"), _lr("browInnerUp")),
    "2": (_lr("browOuterUp"),),
    "4": (_lr("browDown"),),
    "5": (_lr("eyeWide"),),
    "6": (_lr("cheekSquint"),),
    "7": (_lr("eyeSquint"),),
    "9": (_lr("noseSneer"),),
    "10": (_lr("mouthUpperUp"), _c("mouthShrugUpper")),
    "12": (_lr("mouthSmile"),),
    "14": (_lr("mouthDimple"),),
    "15": (_lr("mouthFrown"),),
    "16": (_lr("mouthLowerDown"),),
    "17": (_c("mouthShrugLower"),),
    "18": (_c("mouthPucker"),),
    "20": (_lr("mouthStretch"),),
    "22": (_c("mouthFunnel"),),
    "23": (_lr("mouthPress", 0.5) + _c("mouthRollUpper", 0.4) + _c("mouthRollLower", 0.4),),
    "24": (_lr("mouthPress"),),
    "25": (_lr("mouthLowerDown", 0.5) + _lr("mouthUpperUp", 0.3),),
    "26": (_c("jawOpen"),),
    "27": (_c("jawOpen"),),
    "28": (_c("mouthRollLower") + _c("mouthRollUpper"),),
    "43": (_lr("eyeBlink"),),
    "45": (_lr("eyeBlink"),),
}
ARKIT_NOTES = {
    "23": "approximated by mouthPress with a little lip roll (ARKit has no lip tightener)",
    "25": "approximated by mouthLowerDown + mouthUpperUp (lips part without the jaw)",
    "27": "jawOpen, the same target as AU26",
    "43": "eyeBlink held part-way",
}

TABLE1: Dict[str, Tuple[_Alt, ...]] = {
    "1": (_lr("browInnerUp"),),
    "4": (_lr("browInnerDown"),),
    "5": (_lr("eyeOpen"),),
    "6": (_lr("eyeUp"),),
    "9": (_c("noseUp"),),
    "10": (_c("faceUp"),),
    "12": (_lr("mouthMove"),),
    "15": (_lr("mouthPullDown"),),
    "20": (_lr("mouthMove") + _lr("mouthPullDown", 0.3),),
    "25": (_c("mouthOpen"),),
    "26": (_c("mouthOpen"),),
    "27": (_c("mouthOpen"),),
    "43": (_lr("eyeClose"),),
    "45": (_lr("eyeClose"),),
}
TABLE1_NOTES = {
    "6": "eyeUp lifts the whole eye region, lower lid and cheek top together",
    "9": "noseUp is centred: a one-sided AU9 moves both sides",
    "10": "faceUp lifts the whole mid-face, centred (on the default rig it also moves the "
          "nose bridge, which the review flags)",
    "12": "mouthMove pulls the corner outward only: Table 1 has no corner-up target",
    "20": "mouthMove with a little mouthPullDown",
    "25": "the open-mouth target, also used for AU26/27",
}
#: AUs the Table-1 targets cannot express at all.
TABLE1_CANNOT = tuple(sorted((c for c in facs.CATALOGUE if c not in TABLE1), key=facs.sort_key))

BUILT_IN = {"arkit": (ARKIT, ARKIT_NOTES), "table1": (TABLE1, TABLE1_NOTES)}


def norm_name(name: str) -> str:
    """Target names compared loosely: case, '_', '.', '-' and Left/Right spelling ignored."""
    n = re.sub(r"[^0-9a-z]", "", name.lower())
    if n.endswith("left"):
        n = n[:-4] + "l"
    elif n.endswith("right"):
        n = n[:-5] + "r"
    return n


@dataclass
class AUMap:
    """AU -> drives for one rig (target names as the rig spells them)."""

    source: str
    drives: Dict[str, Tuple[Drive, ...]]
    notes: Dict[str, str] = field(default_factory=dict)

    def drives_for(self, code: str, side: Optional[str]) -> Tuple[Tuple[Drive, ...], bool]:
        """Drives of AU ``code`` on ``side`` (None: both sides). The flag is True when a
        one-sided request can only be met by a centred target (both sides move)."""
        drives = self.drives.get(code, ())
        if side is None:
            return drives, False
        own = tuple(d for d in drives if d.side == side)
        if own:
            return own, False
        centre = tuple(d for d in drives if d.side == "C")
        return centre, bool(centre)

    def expressible(self, code: str) -> bool:
        return bool(self.drives.get(code))

    def target_aus(self) -> Dict[str, List[Tuple[str, str]]]:
        """Target -> [(AU, side)] it stands for, used to read AUs back from a clip: the AUs
        that drive it at the highest gain (mouthPress reads as AU24, not as AU23 which
        borrows it at half gain)."""
        found: Dict[str, List[Tuple[float, str, str]]] = {}
        for code, drives in self.drives.items():
            for d in drives:
                found.setdefault(d.target, []).append((d.gain, code, d.side))
        out = {}
        for target, items in found.items():
            top = max(g for g, _, _ in items)
            out[target] = [(c, s) for g, c, s in items if g >= top - 1e-12]
        return out

    def coverage(self) -> List[dict]:
        """One row per catalogue AU: status yes / approximate / one side / no, and targets."""
        rows = []
        for code in sorted(facs.CATALOGUE, key=facs.sort_key):
            drives = self.drives.get(code, ())
            sides = {d.side for d in drives}
            if not drives:
                status = "no"
            elif facs.CATALOGUE[code].sided and sides in ({"L"}, {"R"}):
                status = "one side"
            elif code in self.notes:
                status = "approximate"
            else:
                status = "yes"
            rows.append({"au": code, "name": facs.CATALOGUE[code].name, "status": status,
                         "targets": [d.target for d in drives], "note": self.notes.get(code, "")})
        return rows

    def cannot(self) -> List[str]:
        return [r["au"] for r in self.coverage() if r["status"] == "no"]


def _rig_sides(rig) -> Dict[str, str]:
    return {t.name: (t.info.side or "C") for t in rig.targets}


def _from_table(table, notes, names: Sequence[str]) -> Tuple[Dict[str, Tuple[Drive, ...]], int]:
    lookup = {norm_name(n): n for n in names}
    drives: Dict[str, Tuple[Drive, ...]] = {}
    hits = 0
    for code, alternatives in table.items():
        for alt in alternatives:
            found = tuple(Drive(lookup[norm_name(t)], s, g) for t, s, g in alt
                          if norm_name(t) in lookup)
            if found:
                drives[code] = found
                hits += len(found)
                break
    return drives, hits


def _from_metadata(rig) -> Dict[str, Tuple[Drive, ...]]:
    out: Dict[str, List[Drive]] = {}
    for t in rig.targets:
        for code in t.info.aus:
            if code in facs.CATALOGUE:
                out.setdefault(code, []).append(Drive(t.name, t.info.side or "C", 1.0))
    return {k: tuple(v) for k, v in out.items()}


def built_in_map(rig) -> AUMap:
    """The built-in map that fits the rig's target names best, filled in from metadata."""
    names = rig.target_names()
    best: Optional[Tuple[str, Dict[str, Tuple[Drive, ...]], int]] = None
    for key, (table, _notes) in BUILT_IN.items():
        drives, hits = _from_table(table, _notes, names)
        if best is None or hits > best[2]:
            best = (key, drives, hits)
    assert best is not None
    source, drives, hits = best
    notes = dict(BUILT_IN[source][1]) if hits else {}
    if not hits:
        source, drives = "metadata", {}
    for code, d in _from_metadata(rig).items():
        if code not in drives:
            drives[code] = d
            notes.setdefault(code, "from the targets' AU metadata")
    notes = {k: v for k, v in notes.items() if k in drives}
    return AUMap(source, drives, notes)


def load_mapping_file(path: Union[str, "os.PathLike[str]"]) -> dict:
    path = os.fspath(path)
    try:
        with open(path, "r", encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise MicroExprError("cannot read the AU map (%s)" % (exc.strerror or exc), file=path,
                             fix="check the path") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise MicroExprError("is not valid JSON (%s)" % exc, file=path,
                             fix="write the AU map as JSON (see docs/micro-expressions.md)") from None
    if not isinstance(data, dict):
        raise MicroExprError("top level must be an object", file=path,
                             fix='use {"format": "microexpr.aumap", "aus": {...}}')
    return data


def _entries(code: str, items, sides: Mapping[str, str], where: str) -> Tuple[Drive, ...]:
    if not isinstance(items, list):
        raise MicroExprError("must be a list of targets", file=where, field="aus." + code,
                             fix='e.g. [{"target": "smile_L", "side": "L"}] or [] for none')
    out = []
    for k, item in enumerate(items):
        fld = "aus.%s[%d]" % (code, k)
        if isinstance(item, str):
            item = {"target": item}
        if not isinstance(item, dict) or not isinstance(item.get("target"), str):
            raise MicroExprError("needs a 'target' name", file=where, field=fld,
                                 fix='write {"target": "NAME"}')
        extra = set(item) - {"target", "side", "gain"}
        if extra:
            raise MicroExprError("unknown key(s) %s" % ", ".join(sorted(extra)), file=where,
                                 field=fld, fix="use only target, side and gain")
        name = item["target"]
        if name not in sides:
            raise MicroExprError("the rig has no target %r" % name, file=where, field=fld,
                                 fix="use one of the rig's targets: " + ", ".join(list(sides)[:12])
                                 + (" ..." if len(sides) > 12 else ""))
        side = item.get("side", sides[name])
        if side not in ("L", "R", "C"):
            raise MicroExprError("side must be L, R or C, got %r" % (side,), file=where,
                                 field=fld + ".side", fix="L and R are the subject's own sides")
        gain = item.get("gain", 1.0)
        if not isinstance(gain, (int, float)) or isinstance(gain, bool) or not gain > 0:
            raise MicroExprError("gain must be a positive number, got %r" % (gain,), file=where,
                                 field=fld + ".gain", fix="e.g. 1.0")
        out.append(Drive(name, side, float(gain)))
    return tuple(out)


def au_map(rig, mapping: Union[None, str, "os.PathLike[str]", dict, AUMap] = None) -> AUMap:
    """The AU map for ``rig``: built in, or from a mapping file / dict (see module doc)."""
    if isinstance(mapping, AUMap):
        return mapping
    base = built_in_map(rig)
    if mapping is None:
        return base
    where = "<AU map>" if isinstance(mapping, dict) else os.fspath(mapping)
    data = mapping if isinstance(mapping, dict) else load_mapping_file(mapping)
    fmt = data.get("format", "microexpr.aumap")
    if fmt != "microexpr.aumap":
        raise MicroExprError("is a %r file, not an AU map" % (fmt,), file=where, field="format",
                             fix='set "format": "microexpr.aumap"')
    aus = data.get("aus")
    if not isinstance(aus, dict):
        raise MicroExprError("needs an 'aus' object", file=where, field="aus",
                             fix='e.g. "aus": {"12": [{"target": "smile_L", "side": "L"}]}')
    replace = bool(data.get("replace", False))
    drives = {} if replace else dict(base.drives)
    notes = {} if replace else dict(base.notes)
    sides = _rig_sides(rig)
    for code, items in aus.items():
        code = str(code).upper().lstrip("AU") or str(code)
        if code not in facs.CATALOGUE:
            raise MicroExprError("unknown action unit %r" % code, file=where, field="aus." + code,
                                 fix="use one of " + ", ".join(sorted(facs.CATALOGUE, key=facs.sort_key)))
        drives[code] = _entries(code, items, sides, where)
        notes.pop(code, None)
    drives = {k: v for k, v in drives.items() if v}
    return AUMap("file:" + where if not isinstance(mapping, dict) else "dict", drives, notes)
