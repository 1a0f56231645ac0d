"""Review and micro-expression sizing on rigs with in-betweens and correctives: displacement
measured as ``rig.build.evaluate`` shapes the mesh (every mesh, each with its own in-between
weights), not as linear targets."""
from __future__ import annotations

import numpy as np
import pytest
from nonlinear_rig import activations, nonlinear_rig

from microexpr import bridge as B
from microexpr.micro import envelope
from microexpr.micro.rig_deltas import RigDeltas
from microexpr.micro.synthesizer import Synthesizer
from microexpr.review.measure import Measurer
from microexpr.rig.build import dense_deltas, evaluate, sparse_frame

F = 50


@pytest.fixture(scope="module")
def rig(arkit_rig, face):
    """In-betweens on every other target and a corrective on the skin; the eyes mesh moved by
    three targets with in-betweens at other weights than the skin's (0.3; 0.2 and 0.7)."""
    base = nonlinear_rig(arkit_rig, face.landmark_vertices, every=2)
    doc = base.model_dump()
    from microexpr.rig.build import mesh_data

    doc["meshes"].append(mesh_data(face.eyes, "eyes").model_dump())
    n = face.eyes.vertex_count
    rng = np.random.default_rng(4)
    for t, weights in ((0, [0.3]), (1, [0.2, 0.7]), (5, [])):
        full = rng.normal(0.0, 0.05, (n, 3))
        frames = [sparse_frame(rng.normal(0.0, 0.05, (n, 3)) * w, w).model_dump() for w in weights]
        doc["targets"][t]["shapes"].append({"mesh": face.eyes.name,
                                            "frames": frames + [sparse_frame(full).model_dump()]})
    return B.Rig.model_validate(doc)


def _displacement_mm(rig, W, base=None):
    """(F,) the largest offset of any vertex of any mesh, evaluated shape by shape (mm)."""
    out = np.zeros(len(W))
    for m in rig.meshes:
        for f, w in enumerate(W):
            ref = np.asarray(m.points) if base is None else evaluate(rig, base[f], m.name)
            d = np.linalg.norm(evaluate(rig, w, m.name) - ref, axis=1) * 10.0     # cm -> mm
            out[f] = max(out[f], d.max())
    return out


def _clip(rig, W):
    return B.Clip(fps=30.0, targets=rig.target_names(), weights=W, valid=np.ones(len(W), bool))


def test_columns_reproduce_evaluate_on_every_mesh(rig):
    rd = RigDeltas(rig)
    assert not rd.linear and rd.columns > len(rig.targets)
    W = activations(6, len(rig.targets), seed=2, count=30)
    disp = rd.expand(W) @ rd.flat                                    # (F, 3M) mm
    for f, w in enumerate(W):
        got = disp[f].reshape(3, -1).T
        for mi, m in enumerate(rig.meshes):
            want = (evaluate(rig, w, m.name) - np.asarray(m.points)) * 10.0
            sel = rd.mesh_of == mi
            assert np.abs(got[sel] - want[rd.vertex_of[sel]]).max() < 1e-9
            rest = np.setdiff1d(np.arange(len(want)), rd.vertex_of[sel])
            assert np.all(want[rest] == 0.0)


def test_a_linear_rig_keeps_its_targets_as_columns(arkit_rig):
    rd = RigDeltas(arkit_rig)
    W = activations(4, len(arkit_rig.targets), seed=1)
    assert rd.linear and rd.expand(W) is not None and np.array_equal(rd.expand(W), W)
    assert rd.columns == len(arkit_rig.targets)


@pytest.mark.parametrize("with_base", [False, True])
def test_review_measures_the_face_evaluate_makes(rig, with_base):
    W = activations(F, len(rig.targets), seed=7, count=60)
    names = rig.target_names()
    W[:, names.index("jawOpen")] = 0.8 * np.sin(np.linspace(0, 3, F)) ** 2       # the corrective acts
    W[:, names.index("mouthSmile_L")] = 0.7 * np.sin(np.linspace(0, 2, F)) ** 2
    base = activations(F, len(rig.targets), seed=8, count=30) if with_base else None
    m = Measurer(rig).measure(_clip(rig, W), None if base is None else _clip(rig, base))
    want = _displacement_mm(rig, W, base)
    assert np.abs(m.curve - want).max() < 1e-4 * max(1.0, want.max())          # float32 review
    apex = int(np.argmax(want))
    assert m.apex_frame == apex
    # the targets taken as linear would measure another face
    D = np.concatenate([dense_deltas(rig, mm.name) for mm in rig.meshes], axis=1) * 10.0
    L = W if base is None else W - base
    linear = np.linalg.norm(np.einsum("ft,tnj->fnj", L, D), axis=2).max(axis=1)
    assert np.abs(linear - want).max() > 0.5


def test_micro_expressions_reach_the_requested_peak_on_a_rig_with_inbetweens(arkit_rig, face):
    rig = nonlinear_rig(arkit_rig, face.landmark_vertices, every=1, combination=False)
    synth = Synthesizer(rig)
    clip = synth.clip(emotion="happiness", peak_mm=1.2, fps=200.0, seed=3)
    report = clip.source
    assert report["peak_mm"] == 1.2 and report["reachable_mm"] >= 1.2
    # at the reported peak time, the evaluated mesh moves exactly the requested amount
    t = np.array([report["peak_time"]])
    w = envelope.layer(np.zeros((1, len(clip.targets))), clip.events, clip.targets, t)[0]
    d = np.linalg.norm(evaluate(rig, w) - np.asarray(rig.mesh().points), axis=1).max() * 10.0
    assert d == pytest.approx(1.2, rel=1e-6)
    # and no frame moves more
    frames = _displacement_mm(rig, clip.weight_array()[::4])
    assert frames.max() <= 1.2 * (1 + 1e-6)
    # the same events scaled linearly would not: the in-betweens bend the size
    linear = Synthesizer(nonlinear_rig(arkit_rig, face.landmark_vertices, every=0, combination=False))
    other = linear.clip(emotion="happiness", peak_mm=1.2, fps=200.0, seed=3)
    assert abs(other.source["scale"] - report["scale"]) > 0.01 * report["scale"]
