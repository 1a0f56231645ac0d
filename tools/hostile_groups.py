"""The groups of the hostile corpus (see hostile_corpus.py): each function takes the good files
(``Base``), a seeded generator and the fuzz count, and returns its cases."""
from __future__ import annotations

import base64
import copy
import json
import os
import re

import numpy as np
from hostile_corpus import Case, dae_text, mutate, png_header

LIMITS, OUTPUTS, URIS, CODES, VALID = "2 limits", "3 outputs", "4 glTF URIs", "5 exit codes", "1 validation"


def _solve(b, *extra):
    return ["solve", "--rig", b.rig, "--landmarks", b.npy, "--out", b.out()] + list(extra)


def _micro(b, *extra):
    return ["micro", "--rig", b.rig, "--emotion", "contempt", "--out", b.out()] + list(extra)


def options(b, rng, fuzz):
    c = []
    table = [("solve", _solve, "--reg", ["-1", "nan", "inf"]),
             ("solve", _solve, "--temporal", ["nan", "-1", "inf"]),
             ("solve", _solve, "--fps", ["0", "-3", "nan", "inf", "1e300"]),
             ("solve", _solve, "--neutral-frame", ["-1", "1e30"]),
             ("solve", _solve, "--compensation", ["magic"]),
             ("micro", _micro, "--fps", ["0", "nan", "-60"]),
             ("micro", _micro, "--at", ["-1", "nan", "inf"]),
             ("micro", _micro, "--duration", ["0", "-1", "nan"]),
             ("micro", _micro, "--peak-mm", ["-1", "0", "nan", "inf"]),
             ("micro", _micro, "--seed", ["-1", "x"]),
             ("micro", _micro, "--min-span-ms", ["0", "-5", "nan"]),
             ("micro", _micro, "--max-span-ms", ["0"]),
             ("micro", _micro, "--typical-ms", ["0", "nan"]),
             ("micro", _micro, "--intensity", ["Z"])]
    for cmd, make, opt, values in table:
        for v in values:
            c.append(Case("%s %s %s" % (cmd, opt, v), "options", make(b, opt, v), item=CODES))
    c.append(Case("solve --compensation rigid --neutral-frame 999", "options",
                  _solve(b, "--compensation", "rigid", "--neutral-frame", "999"), item=CODES))
    for v in ["1e7", "1e-9", "1e300"]:
        c.append(Case("micro --fps %s" % v, "options", _micro(b, "--fps", v), item=LIMITS))
    for opt, v in [("--at", "1e9"), ("--at", "1e300"), ("--duration", "1e12")]:
        c.append(Case("micro %s %s" % (opt, v), "options", _micro(b, opt, v), item=LIMITS))
    c.append(Case("micro --aus garbage", "options",
                  ["micro", "--rig", b.rig, "--aus", "99+XX", "--out", b.out()], item=CODES))
    rev = ["review", "--rig", b.rig, "--clip", b.clip]
    for opt, v in [("--ceiling-mm", "-1"), ("--ceiling-mm", "nan"), ("--floor-mm", "-1"),
                   ("--rigid-mm", "nan"), ("--min-span-ms", "0"), ("--max-span-ms", "inf")]:
        c.append(Case("review %s %s" % (opt, v), "options", rev + [opt, v], item=CODES))
    c.append(Case("export --fbx-version 1", "options",
                  ["export", "--rig", b.rig, "--fbx", b.out("a.fbx"), "--fbx-version", "1"], item=CODES))
    c.append(Case("export nothing to write", "options", ["export", "--rig", b.rig], item=CODES))
    c.append(Case("unknown command", "options", ["frobnicate"], item=CODES))
    c.append(Case("solve without --out", "options", ["solve", "--rig", b.rig, "--landmarks", b.npy],
                  item=CODES))
    return c


def outputs(b, rng, fuzz):
    c = []
    keep = [b.rig, b.npy, b.clip, b.fbx, b.lm, b.csv]
    link = os.path.join(b.p("links"), "rig_link.json")
    hard = os.path.join(b.p("links"), "rig_hard.json")
    os.makedirs(b.p("links"), exist_ok=True)
    os.symlink(b.rig, link)
    os.link(b.rig, hard)
    afile = b.new("plain.txt", "x")
    for name, out in [("= --rig", b.rig), ("= --landmarks", b.npy), ("symlink to --rig", link),
                      ("hard link to --rig", hard), ("a folder", b.work),
                      ("missing folder", b.p("nowhere/clip.json")), ("file as folder", afile + "/x.json"),
                      ("/proc", "/proc/clip.json"), ("/dev/null", "/dev/null")]:
        c.append(Case("solve --out %s" % name, "outputs",
                      ["solve", "--rig", b.rig, "--landmarks", b.npy, "--out", out], item=OUTPUTS,
                      protect=keep))
    c.append(Case("solve --out = container --rig", "outputs",
                  ["solve", "--rig", b.rig_bin, "--landmarks", b.npy, "--out", b.rig_bin], item=OUTPUTS,
                  protect=keep + [b.rig_bin]))
    c.append(Case("solve --report = --out", "outputs",
                  ["solve", "--rig", b.rig, "--landmarks", b.npy, "--out", b.p("o.json"), "--report",
                   b.p("o.json")], item=OUTPUTS, protect=keep))
    c.append(Case("solve --report = --landmarks", "outputs",
                  ["solve", "--rig", b.rig, "--landmarks", b.csv, "--out", b.out(), "--report", b.csv],
                  item=OUTPUTS, protect=keep))
    c.append(Case("micro --out = --rig", "outputs",
                  ["micro", "--rig", b.rig, "--emotion", "contempt", "--out", b.rig], item=OUTPUTS, protect=keep))
    c.append(Case("micro --out = --base", "outputs",
                  ["micro", "--rig", b.rig, "--emotion", "contempt", "--base", b.clip, "--out", b.clip],
                  item=OUTPUTS, protect=keep))
    c.append(Case("review --json = --clip", "outputs",
                  ["review", "--rig", b.rig, "--clip", b.clip, "--json", b.clip], item=OUTPUTS, protect=keep))
    c.append(Case("review --out = --rig", "outputs",
                  ["review", "--rig", b.rig, "--clip", b.clip, "--out", b.rig], item=OUTPUTS, protect=keep))
    c.append(Case("export --fbx = --rig", "outputs",
                  ["export", "--rig", b.rig, "--fbx", b.rig], item=OUTPUTS, protect=keep))
    c.append(Case("export --fbx = --glb", "outputs",
                  ["export", "--rig", b.rig, "--fbx", b.p("same.bin"), "--glb", b.p("same.bin")],
                  item=OUTPUTS, protect=keep))
    c.append(Case("export --glb = --clip", "outputs",
                  ["export", "--rig", b.rig, "--clip", b.clip, "--glb", b.clip], item=OUTPUTS, protect=keep))
    c.append(Case("rig import --out = --from", "outputs",
                  ["rig", "import", "--from", b.fbx, "--landmark-vertices", b.lm, "--out", b.fbx],
                  item=OUTPUTS, protect=keep))
    c.append(Case("rig import --out = --landmark-vertices", "outputs",
                  ["rig", "import", "--from", b.fbx, "--landmark-vertices", b.lm, "--out", b.lm],
                  item=OUTPUTS, protect=keep))
    c.append(Case("rig build --out = --landmark-vertices", "outputs",
                  ["rig", "build", "--landmark-vertices", b.lm, "--out", b.lm], item=OUTPUTS, protect=keep))
    png = b.new("frame.png", png_header(64, 64))
    c.append(Case("capture --out = INPUT", "outputs",
                  ["capture", png, "--rig", b.rig, "--out", png, "--quiet"], item=OUTPUTS, protect=keep + [png]))
    c.append(Case("capture --landmarks-out = --rig", "outputs",
                  ["capture", png, "--rig", b.rig, "--out", b.out(), "--landmarks-out", b.rig, "--quiet"],
                  item=OUTPUTS, protect=keep))
    return c


def _nest(depth: int) -> str:
    return "[" * depth + "]" * depth


def _doc_text(doc, **replace) -> str:
    text = json.dumps(doc)
    for key, value in replace.items():
        text = re.sub(r'"%s": [^,}\]]+' % key, '"%s": %s' % (key, value), text, count=1)
    return text


def _clip_users(b, path, item, name, group, expect="reject"):
    return [Case("review %s" % name, group, ["review", "--rig", b.rig, "--clip", path], expect, item),
            Case("export %s" % name, group, ["export", "--rig", b.rig, "--clip", path, "--glb",
                                              b.out("x.glb")], expect, item),
            Case("micro --base %s" % name, group, ["micro", "--rig", b.rig, "--aus", "12", "--base",
                                                   path, "--out", b.out()], expect, item)]


def _rig_users(b, path, item, name, group, expect="reject"):
    return [Case("solve --rig %s" % name, group, ["solve", "--rig", path, "--landmarks", b.npy,
                                                   "--out", b.out()], expect, item),
            Case("review --rig %s" % name, group, ["review", "--rig", path, "--clip", b.clip], expect, item),
            Case("export --rig %s" % name, group, ["export", "--rig", path, "--fbx", b.out("x.fbx")],
                 expect, item)]


def json_files(b, rng, fuzz):
    c = []
    deep = _nest(100000)
    c += _rig_users(b, b.new("deep.json", deep), LIMITS, "nested 100000 deep", "json")
    c += _clip_users(b, b.new("deep.json", '{"format": "microexpr.clip", "extras": %s}' % _nest(50000)),
                     LIMITS, "nested 50000 deep", "json")
    digits = "9" * 5000
    c += _rig_users(b, b.new("int.json", _doc_text(b.rig_doc, version=digits)), LIMITS, "5000-digit int", "json")
    c += _clip_users(b, b.new("int.json", _doc_text(b.clip_doc, fps=digits)), LIMITS, "5000-digit fps", "json")
    c += _clip_users(b, b.new("big.json", _doc_text(b.clip_doc, fps="1e400")), VALID, "fps 1e400", "json")
    for name, text in [("empty", ""), ("spaces", "   \n"), ("list", "[]"), ("null", "null"),
                       ("utf16", json.dumps(b.clip_doc).encode("utf-16")), ("garbage", bytes(range(256)))]:
        c += _clip_users(b, b.new("x.json", text), VALID, name, "json")
    raw = json.dumps(b.clip_doc).encode()
    for k in range(max(fuzz // 4, 1)):
        cut = int(rng.integers(1, len(raw) - 1))
        c.append(Case("review truncated clip at %d" % cut, "json",
                      ["review", "--rig", b.rig, "--clip", b.new("cut.json", raw[:cut])], "reject", VALID))
    for k in range(fuzz):
        c.append(Case("review mutated clip #%d" % k, "json",
                      ["review", "--rig", b.rig, "--clip", b.new("m.json", mutate(raw, rng)), "--no-fail"],
                      "any", VALID))
    rraw = open(b.rig_bin, "rb").read()
    for k in range(fuzz):
        c.append(Case("solve mutated container rig #%d" % k, "json",
                      ["solve", "--rig", b.new("m.microexpr", mutate(rraw, rng)), "--landmarks", b.npy,
                       "--out", b.out()], "any", VALID))
    return c


def semantic(b, rng, fuzz):
    c = []
    nan = float("nan")

    def rig(name, edit):
        doc = copy.deepcopy(b.rig_doc)
        edit(doc)
        return _rig_users(b, b.new("rig.json", json.dumps(doc)), VALID, name, "rig")

    def at(doc, *path):
        for p in path[:-1]:
            doc = doc[p]
        return doc, path[-1]

    def setter(*path, value):
        def edit(doc):
            d, k = at(doc, *path)
            d[k] = value
        return edit

    c += rig("NaN landmark delta", setter("landmark_deltas", "deltas", 0, 0, 0, value=nan))
    c += rig("Infinity landmark delta", setter("landmark_deltas", "deltas", 0, 0, 0, value=float("inf")))
    c += rig("landmark vertex 99999999", setter("landmarks", "points", 0, "vertex", value=99999999))
    c += rig("rigid [-1]", setter("landmarks", "rigid", value=[-1]))
    c += rig("reference point 9999", setter("landmarks", "reference_points", value=[9999]))
    c += rig("negative face count", setter("meshes", 0, "face_counts", 0, value=-3))
    c += rig("weight_scale 0", setter("units", "weight_scale", value=0))
    c += rig("weight_scale NaN", setter("units", "weight_scale", value=nan))
    c += rig("symmetry map 500", setter("symmetry", "landmark_map", 0, value=500))
    c += rig("NaN neutral", setter("landmarks", "neutral", 0, 0, value=nan))

    def no_targets(doc):
        doc["targets"] = []
        doc["landmark_deltas"] = {"targets": [], "deltas": []}
        doc["symmetry"]["target_pairs"] = []
    c += rig("0 targets", no_targets)

    def twice(doc):
        doc["targets"][1]["name"] = doc["targets"][0]["name"]
    c += rig("the same target twice", twice)

    def clip(name, edit):
        doc = copy.deepcopy(b.clip_doc)
        edit(doc)
        return _clip_users(b, b.new("clip.json", json.dumps(doc)), VALID, name, "clip")

    c += clip("empty clip", lambda d: d.update(weights=[], valid=[], events=[]))
    c += clip("NaN start_time", lambda d: d.update(start_time=nan))
    c += clip("fps as a string", lambda d: d.update(fps="60"))
    c += clip("fps 0", lambda d: d.update(fps=0))
    c += clip("fps 1e-9", lambda d: d.update(fps=1e-9))
    c += clip("weights as strings", lambda d: d.update(weights=[["0.5"] * len(d["targets"])] * 3,
                                                       valid=[True] * 3, events=[]))
    c += clip("a weight true", lambda d: d["weights"][0].__setitem__(0, True))
    c += clip("made for another rig", lambda d: d.update(rig_fingerprint="topo-sha256:" + "0" * 32))
    c += clip("a target the rig lacks", lambda d: d["targets"].__setitem__(0, "noSuchTarget"))
    return c


def _gltf_doc(b):
    return json.load(open(b.gltf, encoding="utf-8"))


def scenes(b, rng, fuzz):
    c = []

    def imp(path, name, item=LIMITS, expect="reject"):
        c.append(Case("rig import %s" % name, "scene", ["rig", "import", "--from", path,
                                                        "--landmark-vertices", b.lm, "--out", b.out()],
                      expect, item))

    data = open(b.fbx, "rb").read()
    at = data.index(b"Vertices") + len(b"Vertices")
    assert data[at:at + 1] == b"d"
    for count in (300_000_000, 2 ** 31):
        bomb = bytearray(data)
        struct_pos = at + 1
        bomb[struct_pos:struct_pos + 4] = int(count % 2 ** 32).to_bytes(4, "little")
        imp(b.new("bomb.fbx", bytes(bomb)), "FBX declaring %d vertices" % count)
    imp(b.new("bomb.fbx", "; FBX 7.4.0 project file\nObjects: {\n  Geometry: 1, \"Geometry::\", "
                          "\"Mesh\" {\n    Vertices: *999999999 {\n      a: 0,0,0\n    }\n  }\n}\n"),
        "ASCII FBX declaring 999999999 values")
    doc = _gltf_doc(b)
    payload = base64.b64decode(doc["buffers"][0]["uri"].split(",", 1)[1])
    outside = b.p("outside.bin")
    with open(outside, "wb") as f:
        f.write(payload)
    for name, uri in [("../outside.bin", "../outside.bin"), ("absolute path", outside),
                      ("file:// URL", "file://" + outside), ("%2E%2E/outside.bin", "%2E%2E/outside.bin"),
                      ("http URL", "http://example.com/x.bin")]:
        d = copy.deepcopy(doc)
        d["buffers"][0]["uri"] = uri
        imp(b.new("esc.gltf", json.dumps(d)), "glTF buffer uri %s" % name, URIS)
    d = copy.deepcopy(doc)
    d["buffers"][0]["uri"] = "inside.bin"
    path = b.new("link.gltf", json.dumps(d))
    os.symlink(outside, os.path.join(os.path.dirname(path), "inside.bin"))
    imp(path, "glTF buffer uri: a symlink out of the folder", URIS)
    d = copy.deepcopy(doc)
    d["buffers"][0]["uri"] = "face.bin"
    path = b.new("ext.gltf", json.dumps(d))
    with open(os.path.join(os.path.dirname(path), "face.bin"), "wb") as f:
        f.write(payload)
    imp(path, "glTF with its .bin beside it (control)", URIS, expect="ok")
    d = copy.deepcopy(doc)
    d["images"] = [{"uri": "../../../../etc/passwd"}]
    imp(b.new("img.gltf", json.dumps(d)), "glTF image uri ../../../../etc/passwd", URIS)
    for name, edit in [("accessor count 1e9", lambda d: d["accessors"][0].update(count=10 ** 9)),
                       ("accessor count 1e9 without a view",
                        lambda d: (d["accessors"][0].update(count=10 ** 9), d["accessors"][0].pop("bufferView"))),
                       ("buffer byteLength 1e12", lambda d: d["buffers"][0].update(byteLength=10 ** 12)),
                       ("negative view length", lambda d: d["bufferViews"][0].update(byteLength=-5))]:
        d = copy.deepcopy(doc)
        edit(d)
        imp(b.new("size.gltf", json.dumps(d)), "glTF %s" % name)
    glb = bytearray(open(b.glb, "rb").read())
    jlen = int.from_bytes(glb[12:16], "little")
    glb[20 + jlen:24 + jlen] = (2 ** 31).to_bytes(4, "little")
    imp(b.new("bin.glb", bytes(glb)), "GLB BIN chunk longer than the file")
    imp(b.new("tri.dae", dae_text(8, 8, 2, tri_count=10 ** 12)), "Collada 1e12 triangles")
    imp(b.new("tri.dae", dae_text(8, 8, 2, tri_count=-4)), "Collada -4 triangles")
    for src, ext in [(b.fbx, "fbx"), (b.glb, "glb"), (b.gltf, "gltf"), (b.dae, "dae")]:
        raw = open(src, "rb").read()
        for k in range(fuzz):
            imp(b.new("m." + ext, mutate(raw, rng)), "mutated %s #%d" % (ext, k), LIMITS, "any")
    return c


def tracks(b, rng, fuzz):
    c = []

    def solve(path, name, item=VALID, expect="reject"):
        c.append(Case("solve --landmarks %s" % name, "tracks",
                      ["solve", "--rig", b.rig, "--landmarks", path, "--out", b.out()], expect, item))

    good = np.load(b.npy)
    solve(b.new("nan.npy", _npy(np.full_like(good, np.nan))), "all NaN")
    solve(b.new("zero.npy", _npy(np.zeros_like(good))), "all zero")
    solve(b.new("inf.npy", _npy(np.full_like(good, np.inf))), "all infinite")
    solve(b.new("obj.npy", _npy(np.array([{"a": 1}], dtype=object))), "pickled objects")
    solve(b.new("shape.npy", _npy(np.zeros((10, 5, 2)))), "10x5x2")
    solve(b.new("empty.npy", _npy(np.zeros((0, 68, 2)))), "0 frames")
    solve(b.new("flat.npy", _npy(np.zeros(68 * 2))), "1-D")
    holes = good.copy()
    holes[1:] = np.nan
    c.append(Case("solve --report with one usable frame", "tracks",
                  ["solve", "--rig", b.rig, "--landmarks", b.new("holes.npy", _npy(holes)), "--out",
                   b.out(), "--report", b.out("report.json")], "any", VALID))
    holes = good.copy()
    holes[:, :30] = np.nan
    c.append(Case("solve --report with half the landmarks missing", "tracks",
                  ["solve", "--rig", b.rig, "--landmarks", b.new("half.npy", _npy(holes)), "--out",
                   b.out(), "--report", b.out("report.json")], "any", VALID))
    head = _npy(np.zeros((2, 68, 2)))
    solve(b.new("huge.npy", head.replace(b"(2, 68, 2)", b"(999999999, 68, 2)")), "declaring 1e9 frames",
          "2 limits (tracks.py, item 1)")
    csv = open(b.csv, encoding="utf-8").read()
    lines = csv.splitlines()
    solve(b.new("head.csv", lines[0] + "\n"), "header only")
    solve(b.new("empty.csv", ""), "empty CSV")
    solve(b.new("junk.csv", bytes(rng.integers(0, 256, 4096).astype(np.uint8))), "random bytes")
    cells = lines[1].split(",")
    cells[1] = '"1\n2"'
    solve(b.new("quoted.csv", "\n".join([lines[0], ",".join(cells)] + lines[2:]) + "\n"), 'a quoted "1\\n2"')
    cells = lines[1].split(",")
    cells[2] = "abc"
    solve(b.new("text.csv", "\n".join([lines[0], ",".join(cells)] + lines[2:]) + "\n"), "a text cell")
    if "time" in lines[0].split(","):
        col = lines[0].split(",").index("time")
        rows = [r.split(",") for r in lines[1:]]
        times = [r[col] for r in rows][::-1]
        for r, t in zip(rows, times):
            r[col] = t
        solve(b.new("rev.csv", "\n".join([lines[0]] + [",".join(r) for r in rows]) + "\n"),
              "reversed timestamps")
    for k in range(fuzz):
        solve(b.new("m.csv", mutate(csv.encode(), rng)), "mutated CSV #%d" % k, VALID, "any")
    return c


def _npy(arr) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


def images(b, rng, fuzz):
    c = []

    def cap(path, name, item=LIMITS, expect="reject"):
        c.append(Case("capture %s" % name, "image", ["capture", path, "--rig", b.rig, "--out", b.out(),
                                                     "--quiet"], expect, item))

    cap(b.new("big.png", png_header(20000, 20000)), "20000x20000 PNG")
    bmp = b"BM" + bytes(16) + (30000).to_bytes(4, "little") + (30000).to_bytes(4, "little") + bytes(64)
    cap(b.new("big.bmp", bmp), "30000x30000 BMP header")
    jpg = b"\xff\xd8\xff\xc0\x00\x11\x08" + (60000).to_bytes(2, "big") + (60000).to_bytes(2, "big") + bytes(12)
    cap(b.new("big.jpg", jpg), "60000x60000 JPEG header")
    cap(b.new("zero.png", b""), "0-byte PNG", VALID)
    cap(b.new("junk.png", bytes(rng.integers(0, 256, 2048).astype(np.uint8))), "random bytes", VALID)
    cap(b.new("cut.png", png_header(64, 64)[:40]), "truncated PNG", VALID)
    folder = os.path.dirname(b.new("readme.txt", "no images here"))
    cap(folder, "a folder without images", VALID)
    return c


GROUPS = [options, outputs, json_files, semantic, scenes, tracks, images]
