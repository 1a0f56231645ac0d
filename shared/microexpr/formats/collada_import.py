"""Read meshes and their blend shapes (morph controllers) from a COLLADA (.dae) file.

``read_collada(path)`` parses the XML with the standard library (ElementTree) and numpy, no
native code. It is hand-written because assimp 5.2, the assimp in reach, never resolves the
``<morph>`` source and targets, and no maintained Python COLLADA reader in reach keeps blend
shapes (pycollada is not in the package index here, and its morph support is marked
experimental and stops at geometry references, computing no offsets).

What is read, COLLADA 1.4 and 1.5:

* ``<geometry><mesh>``: positions from the ``<vertices>`` POSITION source, polygons from
  ``<triangles>``, ``<polylist>`` and ``<polygons>`` (on the POSITION index, so the vertex
  list and its order are exactly the file's position array). Per-corner TEXCOORD / NORMAL
  become per-vertex ``uvs`` / ``normals`` only when every corner of a vertex agrees, else
  they are dropped. Lines are ignored; strips, fans and holes are refused.
* ``<controller><morph source="#base" method="NORMALIZED|RELATIVE">``: targets from the
  MORPH_TARGET IDREF (or Name) array, default weights from MORPH_WEIGHT (kept in
  ``mesh.extras["default_weights"]``). NORMALIZED targets are whole meshes (offset = target
  - base), RELATIVE targets are offsets. A target must have the base's vertex count and
  polygons. Each target becomes a channel named after its geometry (name, else id) without
  DCC prefixes, with one sparse frame at weight 1.0.
* Morphed meshes come first (in controller order), then every other mesh that is not a morph
  target, without channels. Node transforms are not applied (points stay in object space).
* ``<unit meter>`` and ``<up_axis>``: returned in cm, Y up (Z_UP: (x, y, z) -> (x, z, -y);
  X_UP: (x, y, z) -> (-y, x, z)).

Anything else wrong gives a MicroExprError naming the file, the element and a fix.
"""
from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Tuple

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.formats.fbx_import import strip_dcc_prefix
from microexpr.formats.obj import parse_numbers
from microexpr.formats.scene import Scene, SceneMesh, ShapeChannel, ShapeFrame
from microexpr.mesh import Mesh

NAMESPACES = ("http://www.collada.org/2005/11/COLLADASchema",
              "http://www.collada.org/2008/03/COLLADASchema")
AXES = {"Y_UP": np.eye(3),
        "Z_UP": np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]),
        "X_UP": np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])}
REEXPORT = "re-export the file as COLLADA from the DCC tool"


def read_collada(path) -> Scene:
    """Meshes and blend shapes of the COLLADA file ``path``, in cm, Y up."""
    path = os.fspath(path)
    reader = _Reader(path)
    try:
        return reader.read()
    except MicroExprError:
        raise
    except (ValueError, TypeError, IndexError, KeyError, OverflowError) as err:
        raise reader.bad("COLLADA", "malformed content (%s)" % err, REEXPORT) from None


class _Geometry:
    def __init__(self, gid: str, name: str, mesh: Mesh):
        self.id, self.name, self.mesh = gid, name, mesh


class _Reader:
    def __init__(self, path: str):
        self.path = path

    def bad(self, element: str, problem: str, fix: str = REEXPORT) -> MicroExprError:
        return MicroExprError(problem, file=self.path, field=element, fix=fix)

    # -- document -------------------------------------------------------------------------

    def read(self) -> Scene:
        root = self._parse()
        scale, axes, up = self._units(root)
        geoms: Dict[str, _Geometry] = {}
        order: List[str] = []
        for g in root.iter("geometry"):
            gid = g.get("id")
            if not gid:
                raise self.bad("geometry", "a <geometry> has no id", REEXPORT)
            if gid in geoms:
                raise self.bad("geometry %r" % gid, "two geometries share this id")
            m = g.find("mesh")
            if m is None:
                continue
            name = (g.get("name") or gid).strip() or gid
            mesh = self._mesh(m, "geometry %r" % gid, name)
            if mesh is None:
                continue
            mesh.points = mesh.points @ axes.T * scale
            if mesh.normals is not None:
                mesh.normals = mesh.normals @ axes.T
            geoms[gid] = _Geometry(gid, name, mesh)
            order.append(gid)
        if not geoms:
            raise self.bad("library_geometries", "the file holds no polygon mesh",
                           "export the face mesh (with its blend shapes) as COLLADA")
        morphed: List[SceneMesh] = []
        used = set()
        for c in root.iter("controller"):
            morph = c.find("morph")
            if morph is None:
                continue
            cid = c.get("id") or c.get("name") or "?"
            sm, base, targets = self._morph(morph, "controller %r" % cid,
                                            c.get("name") or cid, geoms)
            if base in used:
                raise self.bad("controller %r" % cid, "geometry %r has a second morph "
                               "controller" % base, "merge its blend shapes into one deformer")
            used.add(base)
            used.update(targets)
            morphed.append(sm)
        if not morphed:
            raise self.bad("library_controllers", "the file has no blend shapes (no <morph> "
                           "controller)", "export the mesh with its blend shapes")
        extra = [SceneMesh(geoms[g].mesh) for g in order if g not in used]
        return Scene(morphed + extra, unit="cm", up_axis="Y",
                     name=os.path.splitext(os.path.basename(self.path))[0] or "MicroExprFace")

    def _parse(self) -> ET.Element:
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError as err:
            raise self.bad("file", "cannot be read (%s)" % err.strerror, "check the path")
        if not data.strip():
            raise self.bad("file", "the file is empty", REEXPORT)
        if b"<!ENTITY" in data:
            raise self.bad("file", "declares XML entities, which COLLADA files never need",
                           REEXPORT)
        try:
            root = ET.fromstring(data)
        except ET.ParseError as err:
            raise self.bad("file", "is not well-formed XML (%s), truncated or not COLLADA"
                           % err, REEXPORT) from None
        except (ValueError, LookupError) as err:
            raise self.bad("file", "is not readable XML (%s)" % err, REEXPORT) from None
        ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
        if local != "COLLADA" or (ns and ns not in NAMESPACES):
            raise self.bad("file", "is XML but not COLLADA (root <%s>)" % local[:40],
                           "pass a .dae file exported as COLLADA 1.4 or 1.5")
        for el in root.iter():
            if isinstance(el.tag, str) and el.tag.startswith("{"):
                el.tag = el.tag.split("}", 1)[1]
        return root

    def _units(self, root: ET.Element) -> Tuple[float, np.ndarray, str]:
        asset = root.find("asset")
        meter, up = 1.0, "Y_UP"
        if asset is not None:
            unit = asset.find("unit")
            if unit is not None and unit.get("meter") is not None:
                meter = self._float(unit.get("meter"), "asset/unit meter")
            if not (math.isfinite(meter) and meter > 0):
                raise self.bad("asset/unit", "meter=%r is not a positive length" % meter,
                               "set <unit meter=\"0.01\"/> for centimetres")
            ax = asset.find("up_axis")
            axis = "" if ax is None else (ax.text or "").strip()
            if axis:
                up = axis
        if up not in AXES:
            raise self.bad("asset/up_axis", "unknown up axis %r" % up[:20],
                           "use Y_UP, Z_UP or X_UP")
        return meter * 100.0, AXES[up], up

    # -- numbers ----------------------------------------------------------------------------

    def _float(self, text, where: str) -> float:
        try:
            return float(text)
        except (TypeError, ValueError):
            raise self.bad(where, "%r is not a number" % str(text)[:20]) from None

    def _int(self, text, where: str) -> int:
        try:
            return int(str(text).strip())
        except (TypeError, ValueError):
            raise self.bad(where, "%r is not a whole number" % str(text)[:20]) from None

    def _ints(self, el: Optional[ET.Element], where: str) -> np.ndarray:
        if el is None:
            raise self.bad(where, "is missing")
        try:
            a = parse_numbers(el.text or "", np.int64)
        except (ValueError, OverflowError):
            raise self.bad(where, "holds something that is not a whole number") from None
        if a.size and a.min() < 0:
            raise self.bad(where, "holds a negative index")
        return a

    def _source(self, src: ET.Element, where: str, width: int) -> np.ndarray:
        """The (count, width) values of a float <source> through its accessor."""
        fa = src.find("float_array")
        if fa is None:
            raise self.bad(where, "has no <float_array>")
        try:
            data = parse_numbers(fa.text or "", np.float64)
        except ValueError:
            raise self.bad(where + "/float_array", "holds something that is not a number") from None
        declared = fa.get("count")
        if declared is not None and self._int(declared, where) != data.size:
            raise self.bad(where + "/float_array", "count=%s but %d values"
                           % (declared[:20], data.size))
        if not np.all(np.isfinite(data)):
            raise self.bad(where + "/float_array", "holds NaN or infinite values")
        acc = src.find("technique_common/accessor")
        if acc is None:
            raise self.bad(where, "has no <technique_common><accessor>")
        count = self._int(acc.get("count"), where + "/accessor count")
        stride = self._int(acc.get("stride", "1"), where + "/accessor stride")
        offset = self._int(acc.get("offset", "0"), where + "/accessor offset")
        if stride < width or count < 0 or offset < 0 or offset + count * stride > data.size:
            raise self.bad(where + "/accessor", "count=%d stride=%d does not fit %d values "
                           "(%d per item needed)" % (count, stride, data.size, width))
        return data[offset:offset + count * stride].reshape(count, stride)[:, :width].copy()

    # -- meshes -----------------------------------------------------------------------------

    def _mesh(self, m: ET.Element, where: str, name: str) -> Optional[Mesh]:
        sources = {s.get("id", ""): s for s in m.findall("source") if s.get("id")}
        vert = m.find("vertices")
        vert_id = "" if vert is None else vert.get("id", "")
        if vert is None or not vert_id:
            raise self.bad(where + "/mesh", "has no <vertices> with an id")
        per_vertex: Dict[str, np.ndarray] = {}
        for inp in vert.findall("input"):
            sem = inp.get("semantic")
            if sem in ("POSITION", "NORMAL", "TEXCOORD") and sem not in per_vertex:
                per_vertex[sem] = self._ref(inp, sources, where, 2 if sem == "TEXCOORD" else 3)
        if "POSITION" not in per_vertex:
            raise self.bad(where + "/vertices", "has no POSITION input",
                           "export the mesh with its vertex positions")
        points = per_vertex["POSITION"]
        n = len(points)
        counts: List[np.ndarray] = []
        corners: List[np.ndarray] = []
        corner_attr: Dict[str, List[Optional[np.ndarray]]] = {"TEXCOORD": [], "NORMAL": []}
        for prim in m:
            kind = prim.tag
            if kind in ("lines", "linestrips"):
                continue
            if kind in ("tristrips", "trifans"):
                raise self.bad("%s/%s" % (where, kind), "strips and fans are not read",
                               "export polygons as triangles or polylist")
            if kind not in ("triangles", "polylist", "polygons"):
                continue
            pw = "%s/%s" % (where, kind)
            fc, idx = self._primitive(prim, pw, vert_id, sources)
            vidx, attrs = idx
            if vidx.size and vidx.max() >= n:
                raise self.bad(pw, "vertex index %d but only %d positions" % (vidx.max(), n))
            counts.append(fc)
            corners.append(vidx)
            for sem in corner_attr:
                corner_attr[sem].append(attrs.get(sem))
        if not counts:
            return None
        face_counts, face_indices = np.concatenate(counts), np.concatenate(corners)
        uvs, normals = per_vertex.get("TEXCOORD"), per_vertex.get("NORMAL")
        if uvs is None:
            uvs = self._per_vertex(n, corners, corner_attr["TEXCOORD"])
        if normals is None:
            normals = self._per_vertex(n, corners, corner_attr["NORMAL"])
        return Mesh(name, points, face_counts, face_indices, uvs=uvs, normals=normals,
                    extras={"vertex_order": "file"})

    def _ref(self, inp: ET.Element, sources: Dict[str, ET.Element], where: str,
             width: int) -> np.ndarray:
        ref = inp.get("source") or ""
        src = sources.get(ref[1:]) if ref.startswith("#") else None
        if src is None:
            raise self.bad("%s/input %s" % (where, inp.get("semantic")),
                           "source %r not found in the mesh" % ref[:60],
                           "point source=\"#id\" at a <source> of the same mesh")
        return self._source(src, "%s/source %r" % (where, ref[1:]), width)

    def _primitive(self, prim: ET.Element, where: str, vert_id: str,
                   sources: Dict[str, ET.Element]):
        inputs = prim.findall("input")
        stride, vofs, attrs_src = 0, None, {}
        for inp in inputs:
            off = self._int(inp.get("offset"), where + "/input offset")
            if off < 0 or off > 64:
                raise self.bad(where + "/input", "offset %d is out of range" % off)
            stride = max(stride, off + 1)
            sem = inp.get("semantic")
            if sem == "VERTEX":
                if (inp.get("source") or "") != "#" + vert_id:
                    raise self.bad(where + "/input VERTEX", "source %r is not the mesh's "
                                   "<vertices> #%s" % ((inp.get("source") or "")[:60], vert_id))
                vofs = off
            elif sem in ("TEXCOORD", "NORMAL") and sem not in attrs_src:
                attrs_src[sem] = (inp, off)
        if vofs is None:
            raise self.bad(where, "has no VERTEX input", "reference the mesh's <vertices>")
        count = self._int(prim.get("count"), where + " count")
        if prim.tag == "polygons":
            if prim.find("ph") is not None:
                raise self.bad(where + "/ph", "polygons with holes are not read",
                               "fill the holes or triangulate before export")
            ps = [self._ints(p, where + "/p") for p in prim.findall("p")]
            fc = np.array([p.size // stride for p in ps], dtype=np.int64)
            if any(p.size % stride for p in ps):
                raise self.bad(where + "/p", "a <p> length is not a multiple of %d inputs" % stride)
            p = np.concatenate(ps) if ps else np.zeros(0, dtype=np.int64)
        elif prim.tag == "polylist":
            fc = self._ints(prim.find("vcount"), where + "/vcount")
            p = self._ints(prim.find("p"), where + "/p")
        else:
            p = self._ints(prim.find("p"), where + "/p") if count else np.zeros(0, np.int64)
            if not 0 <= count * 3 * stride <= p.size:      # before allocating count corners
                raise self.bad(where, "count=%d triangles but <p> holds %d indices (%d per "
                               "corner)" % (count, p.size, stride))
            fc = np.full(count, 3, dtype=np.int64)
        if len(fc) != count:
            raise self.bad(where, "count=%d but %d polygons" % (count, len(fc)))
        if fc.size and fc.min() < 3:
            raise self.bad(where, "a polygon has fewer than 3 corners")
        if p.size != int(fc.sum()) * stride:
            raise self.bad(where + "/p", "%d indices but %d corners x %d inputs need %d"
                           % (p.size, int(fc.sum()), stride, int(fc.sum()) * stride))
        table = p.reshape(-1, stride)
        attrs = {}
        for sem, (inp, off) in attrs_src.items():
            vals = self._ref(inp, sources, where, 2 if sem == "TEXCOORD" else 3)
            ix = table[:, off]
            if ix.size and ix.max() >= len(vals):
                raise self.bad("%s/input %s" % (where, sem), "index %d but only %d values"
                               % (ix.max(), len(vals)))
            attrs[sem] = vals[ix]
        return fc, (table[:, vofs].copy(), attrs)

    @staticmethod
    def _per_vertex(n: int, corners: List[np.ndarray],
                    values: List[Optional[np.ndarray]]) -> Optional[np.ndarray]:
        """Per-corner values as per-vertex values, or None if missing or inconsistent."""
        present = [v for v in values if v is not None]
        if not values or len(present) < len(values):
            return None
        vidx, vals = np.concatenate(corners), np.concatenate(present)
        out = np.zeros((n, vals.shape[1]))
        out[vidx] = vals
        return out if np.array_equal(out[vidx], vals) else None

    # -- morphs -----------------------------------------------------------------------------

    def _morph(self, morph: ET.Element, where: str, deformer: str,
               geoms: Dict[str, _Geometry]) -> Tuple[SceneMesh, str, List[str]]:
        ref = morph.get("source") or ""
        base = geoms.get(ref[1:]) if ref.startswith("#") else None
        if base is None:
            raise self.bad(where + "/morph source", "base mesh %r not found among the "
                           "polygon meshes" % ref[:60], "point source=\"#id\" at a <geometry>")
        method = (morph.get("method") or "NORMALIZED").strip()
        if method not in ("NORMALIZED", "RELATIVE"):
            raise self.bad(where + "/morph method", "unknown method %r" % method[:20],
                           "use NORMALIZED or RELATIVE")
        sources = {s.get("id"): s for s in morph.findall("source") if s.get("id")}
        ins = {i.get("semantic"): i.get("source") or "" for i in morph.findall("targets/input")}
        tref = ins.get("MORPH_TARGET", "")
        tsrc = sources.get(tref[1:]) if tref.startswith("#") else None
        arr = None if tsrc is None else (tsrc.find("IDREF_array") if tsrc.find("IDREF_array")
                                         is not None else tsrc.find("Name_array"))
        if arr is None:
            raise self.bad(where + "/targets", "no MORPH_TARGET input with an IDREF_array "
                           "source", "list the target geometries in an IDREF_array")
        target_ids = (arr.text or "").split()
        declared = arr.get("count")
        if declared is not None and self._int(declared, where) != len(target_ids):
            raise self.bad(where + "/IDREF_array", "count=%s but %d targets"
                           % (declared[:20], len(target_ids)))
        weights = np.zeros(len(target_ids))
        wref = ins.get("MORPH_WEIGHT", "")
        if wref:
            wsrc = sources.get(wref[1:]) if wref.startswith("#") else None
            if wsrc is None:
                raise self.bad(where + "/targets", "MORPH_WEIGHT source %r not found" % wref[:60])
            weights = self._source(wsrc, where + "/source %r" % wref[1:], 1)[:, 0]
            if len(weights) != len(target_ids):
                raise self.bad(where + "/MORPH_WEIGHT", "%d weights for %d targets"
                               % (len(weights), len(target_ids)))
        bm = base.mesh
        channels: List[ShapeChannel] = []
        names = set()
        for tid in target_ids:
            tw = "%s/target %r" % (where, tid)
            tg = geoms.get(tid)
            if tg is None:
                raise self.bad(tw, "target geometry not found among the polygon meshes",
                               "export the target meshes with the morph")
            tm = tg.mesh
            if tm.vertex_count != bm.vertex_count or not (
                    np.array_equal(tm.face_counts, bm.face_counts)
                    and np.array_equal(tm.face_indices, bm.face_indices)):
                raise self.bad(tw, "target %r has %d vertices / other polygons than base %r "
                               "(%d vertices)" % (tg.name, tm.vertex_count, bm.name,
                                                  bm.vertex_count),
                               "rebuild the target from a copy of the base mesh")
            delta = tm.points - bm.points if method == "NORMALIZED" else tm.points.copy()
            name = strip_dcc_prefix(tg.name, deformer)
            if not name:
                raise self.bad(tw, "the target has an empty name", "name every target")
            if name in names:
                raise self.bad(tw, "two targets are named %r" % name,
                               "give every target a unique name")
            names.add(name)
            idx = np.flatnonzero(np.any(delta != 0.0, axis=1))
            channels.append(ShapeChannel(name, [ShapeFrame(1.0, idx.astype(np.int64),
                                                           delta[idx])]))
        if not channels:
            raise self.bad(where + "/targets", "the morph has no targets",
                           "export the mesh with its blend shapes")
        mesh = Mesh(bm.name, bm.points, bm.face_counts, bm.face_indices, uvs=bm.uvs,
                    normals=bm.normals, extras=dict(bm.extras, default_weights={
                        c.name: float(w) for c, w in zip(channels, weights)}))
        return SceneMesh(mesh, channels), base.id, target_ids
