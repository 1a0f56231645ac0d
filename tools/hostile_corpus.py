"""The hostile corpus of issue #14, made by seeded generators (no stored files).

``cases(work, seed, fuzz)`` writes a few good files into ``work`` (a small rig, tracks, a clip,
the rig as FBX, GLB, glTF and Collada, a landmark-vertex file), then returns the cases: each a
command line run against broken copies of them, bad options or bad output paths, with what
must happen (``expect``: "reject" = exit 2 with a clear message; "any" = anything but an
internal error, a crash or an unbounded run) and the item of #14 that covers it (``item``).
``fuzz`` is how many seeded byte mutations each file format gets.
"""
from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass, field
from typing import Callable, List

import numpy as np


@dataclass
class Case:
    name: str
    group: str
    argv: List[str]
    expect: str = "reject"
    item: str = "1 validation"
    protect: List[str] = field(default_factory=list)


class Base:
    """The good files every case starts from."""

    def __init__(self, work: str) -> None:
        from microexpr import bridge
        from microexpr.landmarks import write_landmark_vertices
        from microexpr.micro.synthesizer import micro_expression
        from microexpr.rig.build import build_rig
        from microexpr.rig.convert import export_rig
        from microexpr.rig.face import default_face
        from microexpr.solve.synthetic_tracks import image_tracks
        from microexpr.solve.tracks import write_tracks_csv

        self.work = work
        os.makedirs(work, exist_ok=True)
        face = default_face(resolution=0.4)
        rig = build_rig(face.skin, face.landmark_vertices, "table1")
        self.rig = self.p("rig.json")
        bridge.save_rig(rig, self.rig)
        self.rig_bin = self.p("rig.microexpr")
        bridge.save_rig(rig, self.rig_bin)
        w = np.zeros((30, len(rig.targets)))
        w[5:20, 0] = 0.4
        tracks = image_tracks(rig, w)
        xy = tracks.points.copy()
        xy[:, :, 1] *= -1
        self.npy = self.p("tracks.npy")
        np.save(self.npy, xy)
        self.csv = self.p("tracks.csv")
        write_tracks_csv(self.csv, tracks)
        self.clip = self.p("clip.json")
        bridge.save_clip(micro_expression(rig, emotion="contempt", seed=7), self.clip)
        self.lm = self.p("lm.txt")
        write_landmark_vertices(self.lm, face.landmark_vertices)
        self.fbx, self.glb, self.gltf = self.p("face.fbx"), self.p("face.glb"), self.p("face.gltf")
        export_rig(rig, None, fbx=self.fbx, glb=self.glb)
        export_rig(rig, None, gltf=self.gltf)
        self.dae = self.p("face.dae")
        with open(self.dae, "w", encoding="utf-8") as f:
            f.write(dae_text(8, 8, 3))
        self.rig_doc = json.load(open(self.rig, encoding="utf-8"))
        self.clip_doc = json.load(open(self.clip, encoding="utf-8"))
        self.n = 0

    def p(self, name: str) -> str:
        return os.path.join(self.work, name)

    def new(self, name: str, data) -> str:
        """A fresh file (each case gets its own folder); bytes, text or a JSON document."""
        self.n += 1
        folder = self.p("c%04d" % self.n)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, name)
        if not isinstance(data, (bytes, str)):
            data = json.dumps(data)
        with open(path, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def out(self, name: str = "out.json") -> str:
        self.n += 1
        folder = self.p("o%04d" % self.n)
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, name)


def dae_text(nx: int, ny: int, targets: int, tri_count=None) -> str:
    """A small Collada grid with ``targets`` morph targets (valid unless ``tri_count``)."""
    xs, ys = np.meshgrid(np.arange(nx, dtype=float), np.arange(ny, dtype=float))
    pts = np.column_stack([xs.ravel(), ys.ravel(), np.zeros(nx * ny)])
    tris = []
    for j in range(ny - 1):
        for i in range(nx - 1):
            a = j * nx + i
            tris += [a, a + 1, a + nx + 1, a, a + nx + 1, a + nx]

    def geo(gid, p):
        vals = " ".join("%g" % v for v in p.ravel())
        count = len(tris) // 3 if tri_count is None else tri_count
        return ('<geometry id="%s" name="%s"><mesh><source id="%s-p"><float_array id="%s-a" '
                'count="%d">%s</float_array><technique_common><accessor source="#%s-a" '
                'count="%d" stride="3"><param name="X" type="float"/><param name="Y" '
                'type="float"/><param name="Z" type="float"/></accessor></technique_common>'
                '</source><vertices id="%s-v"><input semantic="POSITION" source="#%s-p"/>'
                '</vertices><triangles count="%d"><input semantic="VERTEX" source="#%s-v" '
                'offset="0"/><p>%s</p></triangles></mesh></geometry>'
                % (gid, gid, gid, gid, p.size, vals, gid, len(p), gid, gid, count, gid,
                   " ".join(map(str, tris))))

    rng = np.random.default_rng(5)
    geos = [geo("base", pts)] + [geo("t%d" % k, pts + rng.normal(0, 0.1, pts.shape))
                                 for k in range(targets)]
    ids = " ".join("t%d" % k for k in range(targets))
    ws = " ".join("0" for _ in range(targets))
    return ('<?xml version="1.0" encoding="utf-8"?><COLLADA xmlns="http://www.collada.org/2005/'
            '11/COLLADASchema" version="1.4.1"><asset><unit meter="0.01"/><up_axis>Y_UP'
            '</up_axis></asset><library_geometries>%s</library_geometries>'
            '<library_controllers><controller id="m"><morph source="#base" method="RELATIVE">'
            '<source id="mt"><IDREF_array id="mt-a" count="%d">%s</IDREF_array>'
            '<technique_common><accessor source="#mt-a" count="%d" stride="1"><param '
            'type="IDREF"/></accessor></technique_common></source><source id="mw">'
            '<float_array id="mw-a" count="%d">%s</float_array><technique_common><accessor '
            'source="#mw-a" count="%d" stride="1"><param type="float"/></accessor>'
            '</technique_common></source><targets><input semantic="MORPH_TARGET" source="#mt"/>'
            '<input semantic="MORPH_WEIGHT" source="#mw"/></targets></morph></controller>'
            '</library_controllers></COLLADA>'
            % ("".join(geos), targets, ids, targets, targets, ws, targets))


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` (its data is a few rows)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = zlib.compress(b"\0" * (width + 1) * 4)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """``data`` with 1-6 seeded byte flips, cuts and insertions."""
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 7))):
        kind = rng.integers(0, 3)
        pos = int(rng.integers(0, max(len(out), 1)))
        if kind == 0 and out:
            out[pos] = int(rng.integers(0, 256))
        elif kind == 1:
            del out[pos:pos + int(rng.integers(1, 65))]
        else:
            out[pos:pos] = bytes(rng.integers(0, 256, int(rng.integers(1, 17))).astype(np.uint8))
    return bytes(out) or b"\0"


def cases(work: str, seed: int = 14, fuzz: int = 20) -> List[Case]:
    from hostile_groups import GROUPS

    base = Base(work)
    rng = np.random.default_rng(seed)
    out: List[Case] = []
    make: Callable
    for make in GROUPS:
        out += make(base, rng, fuzz)
    return out
