"""The Unity package as Unity and Mono see it: manifest, assembly definitions, .meta files,
the C# 7.2 / no-UnityEngine rules of the runtime core, the compile check of the Unity layer
against the stand-in types, the NUnit tests run for real under Mono, and allocation-free
frames."""
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


def test_assembly_definitions():
    runtime = _json("Runtime/MicroExpr.Runtime.asmdef")
    editor = _json("Editor/MicroExpr.Editor.asmdef")
    tests = _json("Tests/Editor/MicroExpr.Tests.Editor.asmdef")
    assert runtime["name"] == "MicroExpr.Runtime" and runtime["includePlatforms"] == []
    assert editor["includePlatforms"] == ["Editor"] and "MicroExpr.Runtime" in editor["references"]
    assert tests["includePlatforms"] == ["Editor"]
    assert {"MicroExpr.Runtime", "UnityEngine.TestRunner", "UnityEditor.TestRunner"} <= set(tests["references"])
    assert tests["overrideReferences"] and tests["precompiledReferences"] == ["nunit.framework.dll"]
    assert tests["defineConstraints"] == ["UNITY_INCLUDE_TESTS"]
    for a in (runtime, editor, tests):
        assert not (a["includePlatforms"] and a["excludePlatforms"])
    assert sorted(glob.glob(os.path.join(PKG, "**", "*.asmdef"), recursive=True)) == sorted(
        os.path.join(PKG, p) for p in ("Runtime/MicroExpr.Runtime.asmdef", "Editor/MicroExpr.Editor.asmdef",
                                       "Tests/Editor/MicroExpr.Tests.Editor.asmdef"))


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
    assert "compile check only" in readme
    # the Unity layer really is in the build (the define switched it on): type names sit in
    # the assembly's metadata strings
    with open(out["runtime"], "rb") as f:
        data = f.read()
    assert b"MicroExpressionDriver" in data and b"ILandmarkSource" in data
    with open(out["editor"], "rb") as f:
        data = f.read()
    assert b"MicroExprImporter" in data and b"FbxPairing" in data and b"ClipBaker" in data
    with open(build.runtime_dll(), "rb") as f:
        assert b"MicroExpressionDriver" not in f.read(), "without the define, the core only"


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
