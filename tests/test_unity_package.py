"""The Unity package as Unity and Mono see it: manifest, assembly definitions (MicroExpr.Core
without UnityEngine, each layer depending only downward), .meta files, the C# 7.2 /
no-UnityEngine rules of the runtime core, each assembly compiled with only its references
against the stand-in Unity, the NUnit tests run for real under Mono, the Unity glue run on the
stand-in, the smoke test's sample files, and allocation-free frames."""
from __future__ import annotations

import glob
import json
import os
import re

import pytest

import unity_metas as metas
from microexpr.unity import build

PKG = build.package_dir()


def _need(tool_reason):
    gate = build.test_gate(tool_reason)
    if gate:
        getattr(pytest, gate[0])(gate[1])


@pytest.fixture(scope="module")
def mono():
    _need(build.missing_mono())


@pytest.fixture(scope="module")
def nunit(mono):
    _need(build.missing_nunit())


def _json(path):
    with open(os.path.join(PKG, path), "r", encoding="utf-8") as f:
        return json.load(f)


def test_missing_mono_fails_under_ci_and_skips_locally(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert build.test_gate("'mcs' is not installed")[0] == "fail"
    monkeypatch.delenv("CI")
    kind, why = build.test_gate("'mcs' is not installed")
    assert kind == "skip" and "mcs" in why
    assert build.test_gate(None) is None
    monkeypatch.setenv("PATH", "/nonexistent")
    assert "mcs" in build.missing_mono()


def test_manifest():
    m = _json("package.json")
    assert m["name"] == "com.microexpr.bridge"
    assert re.fullmatch(r"\d+\.\d+\.\d+", m["version"])
    major, minor = (int(x) for x in m["unity"].split("."))
    assert (major, minor) >= (2021, 3)
    assert m["dependencies"] == {}, "the package needs nothing but Unity (own JSON reader)"
    readme = open(os.path.join(PKG, "README.md"), encoding="utf-8").read()
    assert "Add package from disk" in readme and "package.json" in readme


ASMDEFS = {"MicroExpr.Core": "Runtime/Core/MicroExpr.Core.asmdef",
           "MicroExpr.Runtime": "Runtime/MicroExpr.Runtime.asmdef",
           "MicroExpr.Editor": "Editor/MicroExpr.Editor.asmdef",
           "MicroExpr.Tests.Editor": "Tests/Editor/MicroExpr.Tests.Editor.asmdef"}
LAYERS = ["MicroExpr.Core", "MicroExpr.Runtime", "MicroExpr.Editor", "MicroExpr.Tests.Editor"]


def test_assembly_definitions():
    a = {name: _json(path) for name, path in ASMDEFS.items()}
    core, runtime, editor, tests = (a[n] for n in LAYERS)
    for name, asm in a.items():
        assert asm["name"] == name
        assert not (asm["includePlatforms"] and asm["excludePlatforms"])
    # the plain C# core: its own assembly (a nested asmdef makes Runtime/Core one), no UnityEngine
    assert core["noEngineReferences"] is True and core["references"] == [] and core["includePlatforms"] == []
    assert not any(a[n]["noEngineReferences"] for n in LAYERS[1:])
    assert runtime["includePlatforms"] == [] and runtime["references"] == ["MicroExpr.Core"]
    assert editor["includePlatforms"] == ["Editor"] and editor["references"] == ["MicroExpr.Core", "MicroExpr.Runtime"]
    assert tests["includePlatforms"] == ["Editor"]
    assert {"MicroExpr.Core", "MicroExpr.Runtime", "UnityEngine.TestRunner", "UnityEditor.TestRunner"} <= set(tests["references"])
    assert tests["overrideReferences"] and tests["precompiledReferences"] == ["nunit.framework.dll"]
    assert tests["defineConstraints"] == ["UNITY_INCLUDE_TESTS"]
    # each layer references only layers below it (UniVRM style): Core < Runtime < Editor < Tests
    for i, name in enumerate(LAYERS):
        ours = [r for r in a[name]["references"] if r.startswith("MicroExpr.")]
        assert all(LAYERS.index(r) < i for r in ours), (name, ours)
    assert sorted(glob.glob(os.path.join(PKG, "**", "*.asmdef"), recursive=True)) == sorted(
        os.path.join(PKG, p) for p in ASMDEFS.values())


def test_meta_files_are_complete_and_stable():
    assert metas.problems(PKG) == []
    guids = [metas.guid(rel) for rel, _ in metas.assets(PKG)]
    assert len(set(guids)) == len(guids)
    assert not glob.glob(os.path.join(PKG, "Tests", "CompileStandIn~", "*.meta"))
    assert metas.guid("Runtime/Core/Json.cs") == metas.guid("Runtime/Core/Json.cs")
    assert "guid: %s" % metas.guid("Runtime") in open(os.path.join(PKG, "Runtime.meta")).read()


def test_nothing_built_inside_the_package():
    built = [p for ext in ("dll", "exe", "mdb", "pdb") for p in
             glob.glob(os.path.join(PKG, "**", "*." + ext), recursive=True)]
    assert built == [], "Unity would load these beside the sources"


def test_runtime_core_is_plain_csharp_and_the_unity_layer_is_guarded():
    core = build.sources("Runtime", "Core")
    assert len(core) >= 10
    for path in core:
        code = "\n".join(ln for ln in open(path, encoding="utf-8").read().splitlines()
                         if not ln.lstrip().startswith("//"))
        assert "UnityEngine" not in code and "UnityEditor" not in code, path
        assert not re.search(r"\bunsafe\b", code), path
    for path in build.sources("Runtime", "Unity") + build.sources("Editor"):
        code = [ln for ln in open(path, encoding="utf-8").read().splitlines()
                if ln.strip() and not ln.lstrip().startswith("//")]
        assert code[0].strip() == "#if UNITY_5_3_OR_NEWER" and code[-1].strip() == "#endif", path


def test_runtime_compiles_with_csharp_72_and_is_cached_outside_the_package(mono, tmp_path, monkeypatch):
    dll = build.runtime_dll()
    assert not os.path.abspath(dll).startswith(os.path.abspath(PKG))
    assert build.runtime_dll() == dll, "cached by a hash of the sources"
    monkeypatch.setenv(build.CACHE_ENV, str(tmp_path))
    moved = build.runtime_dll()
    assert moved.startswith(str(tmp_path)) and os.path.isfile(moved)
    # C# 8 is refused by the same compiler settings (so the package stays within 7.2)
    bad = tmp_path / "Bad.cs"
    bad.write_text("static class Bad { static int F(object o) => o switch { int i => i, _ => 0 }; }\n")
    from microexpr.errors import MicroExprError
    with pytest.raises(MicroExprError, match="mcs could not compile"):
        build.compile_cs("Bad", [str(bad)])


def test_unity_layer_compiles_against_the_stand_in(mono):
    out = build.unity_layer_check()
    assert all(os.path.isfile(p) for p in out.values())
    readme = open(os.path.join(PKG, "Tests", "CompileStandIn~", "README.md"), encoding="utf-8").read()
    assert "stand-in, not Unity" in readme and "API.md" in readme
    # the Unity layer really is in the build (the define switched it on): type names sit in
    # the assembly's metadata strings
    with open(out["runtime"], "rb") as f:
        data = f.read()
    assert b"MicroExpressionDriver" in data and b"RendererWeights" in data
    with open(out["editor"], "rb") as f:
        data = f.read()
    assert b"MicroExprImporter" in data and b"FbxPairing" in data and b"ClipBaker" in data
    with open(out["core"], "rb") as f:
        data = f.read()
    assert b"WeightDriver" in data and b"ILandmarkSource" in data and b"UnityEngine" not in data
    with open(build.runtime_dll(), "rb") as f:
        assert b"MicroExpressionDriver" not in f.read(), "without the define, the core only"


def test_each_assembly_sees_only_what_its_asmdef_references(mono, tmp_path, monkeypatch):
    """The compile check follows the asmdefs: Core code using UnityEngine, or Runtime code using
    the editor, fails to compile, as in Unity."""
    import shutil

    from microexpr.errors import MicroExprError

    pkg = tmp_path / "pkg"
    shutil.copytree(PKG, str(pkg))
    monkeypatch.setenv(build.PACKAGE_ENV, str(pkg))
    (pkg / "Runtime" / "Core" / "Leak.cs").write_text("class Leak { UnityEngine.Mesh m; }\n")
    with pytest.raises(MicroExprError, match="MicroExpr.Core"):
        build.unity_layer_check()
    (pkg / "Runtime" / "Core" / "Leak.cs").unlink()
    (pkg / "Runtime" / "Unity" / "Leak.cs").write_text(
        "#if UNITY_5_3_OR_NEWER\nclass Leak { UnityEditor.ModelImporter m; }\n#endif\n")
    with pytest.raises(MicroExprError, match="MicroExpr.Runtime"):
        build.unity_layer_check()


def standin_tests_dll() -> str:
    """The glue tests of Tests/StandInTests~ and the smoke test's checks, built with
    UNITY_5_3_OR_NEWER against the stand-in and the package's three assemblies."""
    out = build.unity_layer_check()
    srcs = sorted(glob.glob(os.path.join(PKG, "Tests", "StandInTests~", "*.cs")))
    srcs.append(os.path.join(PKG, "Tests", "Editor", "UnitySmokeTest.cs"))
    refs = [out[k] for k in ("UnityEngine", "UnityEditor", "core", "runtime", "editor")] + [build.nunit_framework()]
    return build.compile_cs("MicroExpr.StandInTests", srcs, refs=refs, defines=["UNITY_5_3_OR_NEWER"])


def test_importer_baker_pairing_and_driver_run_on_the_stand_in(nunit):
    """The Unity glue (importer, baker, pairing, driver) on the sample files, through the
    stand-in's asset pipeline; and the stand-in's public API equals its sourced list (API.md).
    The smoke test's fixture (category RealUnity: it needs Unity's FBX importer) is compiled
    but not run; its checks run on a stand-in model."""
    from nunit_runner import run_nunit

    dll = standin_tests_dll()
    with open(dll, "rb") as f:
        assert b"UnitySmokeTest" in f.read()
    r = run_nunit(dll, {build.PACKAGE_ENV: PKG}, exclude="RealUnity")
    assert r.ok, "NUnit failures: %s\n%s" % (r.failed, r.output[-4000:])
    assert r.total >= 12 and r.ignored == 0


def test_smoke_test_sample_files(tmp_path):
    """SmokeData~: a rig whose every target moves, an FBX of it with every target as a blend
    shape, a clip on its targets (both .microexpr containers); what tools/make_unity_smoke.py
    writes."""
    import make_unity_smoke as smoke
    import numpy as np

    from microexpr import bridge
    from microexpr.formats.fbx_import import read_fbx_ufbx

    data = os.path.join(PKG, "Tests", "Editor", "SmokeData~")
    assert sorted(os.listdir(data)) == sorted(smoke.FILES)
    for name in ("face.microexpr", "smile.microexpr"):      # the importer is smoke-tested on bridge v3
        with open(os.path.join(data, name), "rb") as f:
            assert f.read(4) == b"MXPR", name
    rig = bridge.load_rig(os.path.join(data, "face.microexpr"))
    moves = np.abs(rig.landmark_delta_matrix()).max(axis=(0, 1))
    assert len(moves) == 10 and moves.min() > 0.1, "an FBX importer may drop a shape that moves nothing"
    scene = read_fbx_ufbx(os.path.join(data, "face.fbx"))
    assert [c.name for c in scene.meshes[0].channels] == rig.target_names()
    clip = bridge.load_clip(os.path.join(data, "smile.microexpr"))
    assert clip.targets == rig.target_names() and clip.rig_fingerprint == rig.mesh().fingerprint
    assert np.asarray(clip.weights).max() == pytest.approx(0.8)
    # the generator gives the same files
    smoke.write_all(str(tmp_path))
    again = bridge.load_rig(str(tmp_path / "face.microexpr"))
    assert again.target_names() == rig.target_names()
    np.testing.assert_allclose(again.landmark_delta_matrix(), rig.landmark_delta_matrix(), rtol=0, atol=1e-9)
    assert np.array_equal(np.asarray(bridge.load_clip(str(tmp_path / "smile.microexpr")).weights),
                          np.asarray(clip.weights))
    assert [c.name for c in read_fbx_ufbx(str(tmp_path / "face.fbx")).meshes[0].channels] == rig.target_names()


def test_nunit_tests_pass_under_mono(nunit):
    from nunit_runner import run_nunit
    from unity_golden import golden_dir

    r = run_nunit(build.tests_dll(), {"MICROEXPR_GOLDEN": golden_dir(), "MICROEXPR_GOLDEN_REQUIRED": "1"})
    assert r.ok, "NUnit failures: %s\n%s" % (r.failed, r.output[-3000:])
    assert r.total >= 50 and r.ignored == 0 and r.not_run == 0


def test_nunit_runner_reports_failures(nunit, tmp_path):
    from nunit_runner import run_nunit

    src = tmp_path / "Failing.cs"
    src.write_text("using NUnit.Framework;\n[TestFixture] public class Failing {\n"
                   "  [Test] public void Passes() { Assert.AreEqual(1, 1); }\n"
                   "  [Test] public void Fails() { Assert.That(1.0, Is.EqualTo(2.0).Within(0.1)); } }\n")
    dll = build.compile_cs("Failing", [str(src)], refs=[build.nunit_framework()])
    r = run_nunit(dll)
    assert not r.ok and r.failures == 1 and r.total == 2 and r.returncode != 0
    assert any(name.endswith("Fails") for name in r.failed)


def test_frames_allocate_nothing(mono, tmp_path):
    """The benchmark harness (same process model as Unity's Mono) over a few thousand frames."""
    import importlib.util

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = importlib.util.spec_from_file_location("unity_runtime", os.path.join(here, "benchmarks", "unity_runtime.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    r = bench.run_case(tmp_path, bench.bench_rig(), "rigid", 2, True, frames=4000, warmup=500)
    assert r["allocated_bytes"] == 0 and r["gc0_collections"] == 0
    assert r["frames"] == 4000
