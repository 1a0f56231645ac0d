"""The public API of ``microexpr`` and what importing each module costs.

- ``microexpr.__all__`` is pinned: changing the public API means editing ``PUBLIC`` here.
- Every public name resolves, lazily, to the object defined in the module ``microexpr.API``
  names.
- Importing a module pulls in only the heavy packages it needs at import time (``IMPORTS``):
  each module is imported in a fresh interpreter and ``sys.modules`` is read afterwards. A
  package needed by one function is imported inside that function. ``import microexpr``
  imports nothing outside the standard library, and the Maya deformer's core
  (``rig.falloff``, ``rig.softmod``) loads on numpy alone.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

import microexpr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "shared")

#: The public API. A change here is a change of the API: update docs/architecture.md,
#: the README and CHANGELOG.md with it.
PUBLIC = [
    "__version__",
    "Clip", "MicroExprError", "PerformerStream", "Rig", "Synthesizer",
    "build_rig", "calibrate_performer", "capture_video", "default_face", "export_rig",
    "head_motion", "image_tracks", "import_rig", "load_clip", "load_performer", "load_rig",
    "load_tracks", "micro_expression", "review_clip", "save_clip", "save_performer", "save_rig",
    "solve_tracks", "write_sheet",
]

#: Heavy optional or compiled packages watched in sys.modules ("clr" is pythonnet's module).
HEAVY = ("pydantic", "scipy", "matplotlib", "cv2", "dlib", "numba", "pygltflib", "pyassimp", "ufbx",
         "clr", "pythonnet", "skimage", "imageio_ffmpeg", "face_recognition_models", "moderngl",
         "mediapipe")

#: module -> the heavy packages it may import at import time, and why. Everything else a
#: module needs (matplotlib for sheets, dlib/cv2 for capture, the FBX/glTF libraries,
#: pythonnet) is imported inside the function that uses it. What a listed package imports
#: by itself (numba imports scipy) is allowed with it. numpy is allowed everywhere.
IMPORTS = {
    "microexpr": (),
    "microexpr._lazy": (),
    "microexpr._version": (),
    "microexpr.atomicio": (),
    "microexpr.errors": (),
    "microexpr.limits": (),                           # resource limits: the standard library
    "microexpr.landmarks": (),
    "microexpr.mesh": (),
    # bridge: the files are pydantic models
    "microexpr.bridge": (),
    "microexpr.bridge.arrays": (),                    # array fields: numpy (pydantic on use)
    "microexpr.bridge.clip_stream": ("pydantic",),    # a clip written in chunks: the Clip model
    "microexpr.bridge.container": (),                 # the binary container: numpy only
    "microexpr.bridge.performer_file": ("pydantic",),
    "microexpr.bridge.payload": (),                   # which arrays go to the payload: numpy only
    "microexpr.bridge.io": ("pydantic",),
    "microexpr.bridge.migrate": ("pydantic",),        # FORMAT_VERSION lives in models
    "microexpr.bridge.models": ("pydantic",),
    "microexpr.bridge.schema": ("pydantic",),
    "microexpr.bridge.strict_json": (),               # JSON text read as C# reads it: stdlib
    "microexpr.bridge.validate": (),                  # rules between fields: numpy only
    # formats: pygltflib, pyassimp and ufbx only inside the readers and writers
    "microexpr.formats": (),
    "microexpr.formats.assimp_import": (),
    "microexpr.formats.collada_import": (),
    "microexpr.formats.fbx_binary": (),
    "microexpr.formats.fbx_check": (),                # declared array sizes before ufbx
    "microexpr.formats.fbx_export": (),
    "microexpr.formats.fbx_import": (),
    "microexpr.formats.gltf_check": (),               # URIs and sizes before assimp
    "microexpr.formats.gltf_export": (),
    "microexpr.formats.obj": (),
    "microexpr.formats.readers": (),
    "microexpr.formats.safe_read": (),
    "microexpr.formats.scene": (),
    # rig: the Maya deformer uses falloff and softmod, so they stay numpy-only
    "microexpr.rig": (),
    "microexpr.rig._face_shape": ("scipy",),          # module-level PCHIP profiles of the face
    "microexpr.rig.build": (),
    "microexpr.rig.curves": (),
    "microexpr.rig.convert": (),
    "microexpr.rig.face": ("scipy",),                 # Delaunay and k-d trees build the face
    "microexpr.rig.falloff": (),                      # numpy + heapq: no scipy anywhere
    "microexpr.rig.film": (),                         # Maya film fit: numpy
    "microexpr.rig.presets": (),
    "microexpr.rig.render": (),                       # moderngl only inside the render call
    "microexpr.rig.shaded": (),                       # sheet pictures: render, moderngl on use
    "microexpr.rig.softmod": (),
    # solve: numba compiles the solver loops at definition (optional)
    "microexpr.solve": (),
    "microexpr.solve.aot": (),                        # numba.pycc only inside build()
    "microexpr.solve.jit": ("numba",),                # picks the cache folder, then imports numba
    "microexpr.solve.key_weights": (),
    "microexpr.solve.projected_solver": ("numba",),
    "microexpr.solve.refine": ("numba",),
    "microexpr.solve.refine_coefs": ("numba",),       # the loops through solve.jit
    "microexpr.solve.performer": (),                  # calibration: numpy (pydantic on save/load)
    "microexpr.solve.performer_solve": ("numba",),    # the per-frame solve
    "microexpr.solve.pose_filter": ("numba",),
    "microexpr.solve.performer_fits": ("numba",),
    "microexpr.solve.camera_model": (),
    "microexpr.solve.long_take": ("numba", "pydantic"),
    "microexpr.solve.performer_stream": ("numba",),
    "microexpr.solve.refine_numpy": ("numba",),       # box_qp comes from weight_solver
    "microexpr.solve.solve_set": (),
    "microexpr.solve.synthetic_tracks": ("pydantic",),  # Rig, used in annotations only
    "microexpr.solve.track_chunks": (),                # numpy and the standard library
    "microexpr.solve.tracks": (),
    "microexpr.solve.tracks_to_clip": ("numba", "pydantic"),
    "microexpr.solve.warm": (),                       # the solvers only once it runs
    "microexpr.solve.weight_solver": ("numba",),
    # micro
    "microexpr.micro": (),
    "microexpr.micro.amplitude": (),
    "microexpr.micro.emotions": (),
    "microexpr.micro.envelope": (),
    "microexpr.micro.facs": (),
    "microexpr.micro.mapping": (),
    "microexpr.micro.plausibility": (),
    "microexpr.micro.rig_deltas": (),
    "microexpr.micro.synthesizer": ("pydantic",),     # builds Clip and MicroEvent
    "microexpr.micro.timing": (),
    # review: face regions are k-d tree queries; matplotlib only inside the sheet
    "microexpr.review": (),
    "microexpr.review.checks": ("pydantic", "scipy"),
    "microexpr.review.measure": ("pydantic", "scipy"),
    "microexpr.review.regions": ("scipy",),
    "microexpr.review.report": ("pydantic", "scipy"),
    "microexpr.review.sheet": ("pydantic", "scipy"),
    # capture: dlib, OpenCV, imageio-ffmpeg and matplotlib only inside functions
    "microexpr.capture": (),
    "microexpr.capture.bind_preview": (),
    "microexpr.capture.binding": (),                  # scipy k-d trees inside functions
    "microexpr.capture.canonical": (),                # OpenCV inside its methods
    "microexpr.capture.detect": (),
    "microexpr.capture.frame_size": (),               # Pillow (if any) inside the function
    "microexpr.capture.landmarks_to_clip": ("pydantic",),   # builds Clip
    "microexpr.capture.live": (),
    "microexpr.capture.live_packet": (),              # numpy and struct only
    "microexpr.capture.mediapipe_tracker": (),        # mediapipe inside MeshTracker only
    "microexpr.capture.image_binding": (),            # scipy, moderngl inside functions
    "microexpr.capture.markerless": (),
    "microexpr.capture.pipeline": ("pydantic",),
    "microexpr.capture.prefetch": (),
    "microexpr.capture.preview": (),
    "microexpr.capture.skin": (),
    "microexpr.capture.smooth": (),
    "microexpr.capture.testvideo": (),
    "microexpr.capture.video": (),
    # unity: pythonnet only once the runtime is loaded
    "microexpr.unity": (),
    "microexpr.unity.build": (),
    "microexpr.unity.net": (),
    "microexpr.unity.parity": (),
    "microexpr.unity.clip_parity": (),
    "microexpr.unity.long_parity": (),
    "microexpr.unity.live_check": (),                 # the C# live receiver checked: numpy only
    # batch: Dask, matplotlib and the stages' heavy packages only inside the jobs and engines
    "microexpr.batch": (),
    "microexpr.batch.engines": (),
    "microexpr.batch.index": (),
    "microexpr.batch.jobs": (),
    "microexpr.batch.keys": (),
    "microexpr.batch.manifest": (),
    "microexpr.batch.mayapy": (),
    "microexpr.batch.progress": (),
    "microexpr.batch.records": (),
    "microexpr.batch.run": (),
    # cli: every subcommand imports its work inside run()
    "microexpr.cli": (),
    "microexpr.cli.batch": (),
    "microexpr.cli.capture": (),
    "microexpr.cli.demo": (),
    "microexpr.cli.demo_job": (),
    "microexpr.cli.export": (),
    "microexpr.cli.guard": (),                        # exit codes, transactions: standard library
    "microexpr.cli.landmarks": (),
    "microexpr.cli.live": (),
    "microexpr.cli.main": (),
    "microexpr.cli.micro": (),
    "microexpr.cli.preflight": (),
    "microexpr.cli.review": (),
    "microexpr.cli.rig": (),
    "microexpr.cli.solve": (),
    "microexpr.cli.calibrate": (),
    "microexpr.cli.performer_options": (),
    "microexpr.cli.verify_unity": (),
}

#: Run in a fresh interpreter: import one module, print the heavy packages and the
#: third-party packages (top folders of site-packages, whatever name their extension modules
#: register under) it brought in.
_PROBE = r"""
import importlib, json, os, sys, sysconfig
site = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}
before = set(sys.modules)
importlib.import_module(sys.argv[1])
heavy = sorted(h for h in json.loads(sys.argv[2]) if h in sys.modules)
def root(module):
    path = os.path.realpath(getattr(module, "__file__", None) or "")
    for s in site:
        if path.startswith(s + os.sep):
            return os.path.relpath(path, s).split(os.sep)[0].split(".")[0]
third = {root(sys.modules[n]) for n in set(sys.modules) - before if sys.modules.get(n)}
print(json.dumps({"heavy": heavy, "third_party": sorted(t for t in third if t)}))
"""


def _modules():
    names = ["microexpr"]
    names += [m.name for m in pkgutil.walk_packages(microexpr.__path__, "microexpr.")]
    return sorted(names)


def _probe(module):
    # numba's path (the ahead-of-time module, when built, imports no numba: tests/test_aot.py)
    env = dict(os.environ, PYTHONPATH=SHARED, MPLBACKEND="Agg", MICROEXPR_AOT="0")
    r = subprocess.run([sys.executable, "-c", _PROBE, module, json.dumps(HEAVY)],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert r.returncode == 0, "importing %s failed:\n%s" % (module, r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def imported():
    """{module or "import:PKG": probe result}, every module in its own interpreter, in parallel."""
    extra = sorted({p for allowed in IMPORTS.values() for p in allowed})
    extra = [p for p in extra if importlib.util.find_spec(p) is not None]
    jobs = _modules() + extra
    with ThreadPoolExecutor(max_workers=max(4, 2 * (os.cpu_count() or 2))) as pool:
        results = list(pool.map(_probe, jobs))
    out = dict(zip(jobs, results))
    return {("import:" + k if k in extra else k): v for k, v in out.items()}


def test_all_is_pinned():
    assert microexpr.__all__ == PUBLIC, (
        "microexpr.__all__ changed; if that is deliberate, update PUBLIC in this test "
        "(and the README, docs/architecture.md and CHANGELOG.md)")


def test_public_names_resolve_to_their_defining_module():
    assert set(microexpr.API) == set(PUBLIC) - {"__version__"}
    for name, where in sorted(microexpr.API.items()):
        module, _, attr = where.partition(":")
        value = getattr(microexpr, name)
        assert value is getattr(importlib.import_module(module), attr or name), name
        assert getattr(value, "__module__", module) == module, (
            "microexpr.%s is defined in %s, but API says %s" % (name, value.__module__, module))
    assert set(PUBLIC) <= set(dir(microexpr))
    # a public name equal to a subpackage's would be replaced by it once the subpackage loads
    import pkgutil
    subpackages = {m.name for m in pkgutil.iter_modules(microexpr.__path__)}
    assert not set(PUBLIC) & subpackages, set(PUBLIC) & subpackages
    with pytest.raises(AttributeError, match="no_such_name"):
        microexpr.no_such_name  # noqa: B018


@pytest.mark.parametrize("package", ["microexpr.bridge", "microexpr.micro", "microexpr.review"])
def test_subpackage_exports_resolve(package):
    pkg = importlib.import_module(package)
    assert pkg.__all__, package
    for name in pkg.__all__:
        value = getattr(pkg, name)
        if isinstance(value, type) or inspect.isfunction(value):
            assert value.__module__.startswith(package + "."), (
                "%s.%s comes from %s" % (package, name, value.__module__))
    with pytest.raises(AttributeError):
        getattr(pkg, "no_such_name")


def test_every_module_has_an_entry():
    found = set(_modules())
    assert not found - set(IMPORTS), (
        "new modules: add them to IMPORTS with the heavy packages they need at import time: %s"
        % sorted(found - set(IMPORTS)))
    assert not set(IMPORTS) - found, "IMPORTS lists modules that no longer exist: %s" % sorted(
        set(IMPORTS) - found)
    assert all(set(v) <= set(HEAVY) for v in IMPORTS.values())


def _expected(module, imported):
    """The heavy packages ``module`` should import on this machine."""
    heavy = set()
    for pkg in IMPORTS[module]:
        probe = imported.get("import:" + pkg)
        if probe is not None:        # else not installed here
            heavy |= set(probe["heavy"])
    return heavy


def test_modules_import_only_what_they_need(imported):
    wrong = []
    for module in sorted(IMPORTS):
        if module not in imported:
            continue
        got, want = set(imported[module]["heavy"]), _expected(module, imported)
        if got != want:
            wrong.append("%s imports %s at import time; IMPORTS says %s" % (
                module, sorted(got) or "nothing heavy", sorted(want) or "nothing heavy"))
    assert not wrong, "\n".join(wrong) + (
        "\nImport a package inside the function that needs it; if the whole module needs it, "
        "add it to IMPORTS with the reason.")


def test_import_microexpr_is_free(imported):
    assert imported["microexpr"] == {"heavy": [], "third_party": []}


@pytest.mark.parametrize("module", ["microexpr.rig.falloff", "microexpr.rig.softmod"])
def test_maya_deformer_core_needs_numpy_alone(module, imported):
    assert imported[module]["third_party"] == ["numpy"], imported[module]


def test_the_probe_sees_a_heavy_import(imported):
    if "import:scipy" not in imported:
        pytest.skip("scipy is not installed")
    assert "scipy" in imported["import:scipy"]["heavy"]
    assert "scipy" in imported["microexpr.rig.face"]["heavy"]
