"""The solve set, in-betweens and correctives in the solve: the rig field and its checks, the
CLI flag, weights outside the set, and the refinement that follows in-betweens and
combinations (checked against tracks made by ``rig.build.evaluate``, including a rig imported
from an FBX file written by hand, not by MicroExpr)."""
from __future__ import annotations

import numpy as np
import pytest
from nonlinear_rig import activations, handmade_fbx_text, landmarks, nonlinear_rig, tracks, without_frames
from pydantic import ValidationError

from microexpr import bridge as B
from microexpr.errors import MicroExprError
from microexpr.rig.build import evaluate
from microexpr.rig.curves import landmark_frames
from microexpr.solve import refine, refine_numpy
from microexpr.solve.key_weights import key_weights
from microexpr.solve.solve_set import solve_model
from microexpr.solve.tracks_to_clip import pinned_targets, solve_tracks
from microexpr.solve.weight_solver import WeightSolver

F = 240


@pytest.fixture(scope="module")
def curved(arkit_rig, face):
    """The ARKit rig with in-betweens on a third of its targets and one corrective."""
    return nonlinear_rig(arkit_rig, face.landmark_vertices)


@pytest.fixture(scope="module")
def truth(curved):
    names = curved.target_names()
    one_side = [i for i, n in enumerate(names) if not n.endswith(("_R", "Right"))]   # no antagonists
    W = activations(F, len(names), seed=3, only=one_side)
    W[:, curved.target_names().index("jawOpen")] = 0.7 * np.sin(np.linspace(0, 3, F)) ** 2
    W[:, curved.target_names().index("mouthSmile_L")] = 0.6 * np.sin(np.linspace(0, 5, F)) ** 2
    return W, landmarks(curved, W)


# -- the rig field ---------------------------------------------------------------------------
@pytest.mark.parametrize("names, message", [
    ([], "solve_set is empty"),
    (["jawOpen", "nope"], "'nope', which is not a target"),
    (["jawOpen", "jawOpen"], "jawOpen more than once"),
    (["jawOpen_x_mouthSmile_L"], "a combination: combinations follow their drivers"),
])
def test_solve_set_names_targets_once_and_never_a_combination(curved, names, message):
    doc = curved.model_dump()
    doc["solve_set"] = names
    with pytest.raises(ValidationError, match=message):
        B.Rig.model_validate(doc)


def test_landmark_frames_must_belong_to_the_shapes(curved):
    doc = curved.model_dump()
    frames = doc["landmark_deltas"]["frames"]
    bad = dict(frames[0], weight=0.25)
    with pytest.raises(ValidationError, match="has no in-between at weight 0.25"):
        B.Rig.model_validate(dict(doc, landmark_deltas=dict(doc["landmark_deltas"], frames=[bad])))
    with pytest.raises(ValidationError, match="neither a target nor a combination"):
        B.Rig.model_validate(dict(doc, landmark_deltas=dict(doc["landmark_deltas"],
                                                            frames=[dict(frames[0], shape="ghost")])))
    with pytest.raises(ValidationError, match="repeats"):
        B.Rig.model_validate(dict(doc, landmark_deltas=dict(doc["landmark_deltas"],
                                                            frames=frames + [frames[0]])))
    with pytest.raises(ValidationError, match="68"):
        B.Rig.model_validate(dict(doc, landmark_deltas=dict(doc["landmark_deltas"],
                                                            frames=[dict(frames[0],
                                                                         deltas=frames[0]["deltas"][:5])])))


def test_rig_from_targets_records_the_inbetweens_at_the_landmarks(curved):
    frames = curved.landmark_deltas.frames
    inbetweens = {(t.name, f.weight) for t in curved.targets for s in t.shapes for f in s.frames
                  if f.weight < 1}
    assert {(f.shape, f.weight) for f in frames if f.shape != "jawOpen_x_mouthSmile_L"} == inbetweens
    assert any(f.shape == "jawOpen_x_mouthSmile_L" and f.weight == 1.0 for f in frames)
    # the same offsets as the mesh's own frames at the landmark vertices (sparse to 1e-7)
    again = landmark_frames(curved)
    assert [(f.shape, f.weight) for f in again] == [(f.shape, f.weight) for f in frames]
    assert max(np.abs(np.subtract(f.deltas, g.deltas)).max() for f, g in zip(frames, again)) < 1e-6


def test_a_rig_without_solve_set_or_frames_is_written_as_before(arkit_rig):
    doc = arkit_rig.model_dump(mode="json")
    assert "solve_set" not in doc and "frames" not in doc["landmark_deltas"]


@pytest.mark.parametrize("ext", [".json", ".microexpr"])
def test_solve_set_and_frames_round_trip(curved, tmp_path, ext):
    doc = curved.model_dump()
    doc["solve_set"] = ["jawOpen", "mouthSmile_L", "browInnerUp"]
    rig = B.Rig.model_validate(doc)
    B.save_rig(rig, tmp_path / ("rig" + ext))
    back = B.load_rig(tmp_path / ("rig" + ext))
    assert back.solve_set == rig.solve_set
    assert back.landmark_deltas.frames == rig.landmark_deltas.frames


# -- the solve set ---------------------------------------------------------------------------
def test_targets_outside_the_solve_set_stay_zero_and_the_rest_solve_as_a_rig_of_them(arkit_rig):
    names = arkit_rig.target_names()
    chosen = names[::3]
    W = activations(F, len(names), seed=5)          # every target moves, chosen or not
    tr = tracks(landmarks(arkit_rig, W), 2, angles=np.tile([4.0, 9.0, 2.0], (F, 1)))
    doc = arkit_rig.model_dump()
    doc["solve_set"] = list(reversed(chosen))        # any order: the rig's order is used
    clip = solve_tracks(B.Rig.model_validate(doc), tr, "rigid", temporal=0.05)
    out = [i for i, n in enumerate(names) if n not in chosen]
    assert np.all(clip.weight_array()[:, out] == 0.0)
    assert clip.source["solve_set"] == chosen
    keep = [names.index(n) for n in chosen]
    doc = arkit_rig.model_dump()
    doc["targets"] = [doc["targets"][i] for i in keep]
    doc["landmark_deltas"] = {"targets": chosen, "deltas": doc["landmark_deltas"]["deltas"][keep]}
    doc["symmetry"] = None
    ref = solve_tracks(B.Rig.model_validate(doc), tr, "rigid", temporal=0.05)
    got = clip.weight_array()[:, [names.index(n) for n in chosen]]
    assert np.abs(got - ref.weight_array()).max() <= 1e-12


# -- in-betweens and correctives -------------------------------------------------------------
@pytest.mark.parametrize("mode", ["rigid", "raw"])
def test_the_solve_follows_inbetweens_and_a_corrective(curved, truth, mode):
    W, lm = truth
    tr = tracks(lm, 3)
    refined = solve_tracks(curved, tr, mode, reg=1e-7)
    linear = solve_tracks(without_frames(curved), tr, mode, reg=1e-7)
    assert refined.source["refined"]["steps"] > 0 and "refined" not in linear.source
    err_lin = np.abs(landmarks(curved, linear.weight_array()) - lm).reshape(F, -1)
    err_ref = np.abs(landmarks(curved, refined.weight_array()) - lm).reshape(F, -1)
    assert err_lin.max() > 0.05                     # cm: the linear model misses the paths
    # the refinement is local (from the linear weights): nearly every frame is exact, a rare
    # one settles in another minimum of the piecewise model
    assert np.mean(err_ref.max(axis=1) < 1e-4) >= 0.98
    assert np.sqrt(np.mean(err_ref ** 2)) < 0.01 * np.sqrt(np.mean(err_lin ** 2))
    assert err_ref.max() < 0.1 * err_lin.max()


def test_2d_tracks_under_head_motion_follow_inbetweens(curved, truth):
    W, _ = truth
    angles = np.column_stack([6 * np.sin(np.linspace(0, 2, F)), 12 * np.sin(np.linspace(0, 3, F)),
                              np.zeros(F)])
    first = solve_tracks(curved, tracks(landmarks(curved, W), 2, angles=angles), "rigid")
    W = W.copy()                  # what a camera cannot see (motion in depth) is pinned: leave it out
    W[:, [curved.target_names().index(n) for n in first.source["pinned_targets"]]] = 0.0
    tr = tracks(landmarks(curved, W), 2, angles=angles)
    refined = solve_tracks(curved, tr, "rigid", reg=1e-7)
    linear = solve_tracks(without_frames(curved), tr, "rigid", reg=1e-7)

    def image_error(clip):        # the refit landmarks as each frame's camera sees them vs the track
        seen = tracks(landmarks(curved, clip.weight_array()), 2, angles=angles).points
        return np.abs(seen - tr.points).reshape(F, -1).max(axis=1)

    ref, lin = image_error(refined), image_error(linear)
    assert lin.max() > 1.0                          # pixels
    assert np.mean(ref < 1e-3) >= 0.95 and ref.max() < 0.2 * lin.max()


def test_refinement_never_raises_the_objective_and_the_numpy_path_agrees(curved, truth):
    W, lm = truth
    model = solve_model(curved)
    tr = tracks(lm, 3, confidence=np.where(np.arange(68) % 9 == 0, 0.5, 1.0) * np.ones((F, 1)))
    kw = key_weights(model.matrix, curved.neutral_landmarks(), tr, "raw")
    S = model.size
    solver = WeightSolver(kw.basis[:, :S], 3, reg=1e-3, temporal=0.1)
    lin = solver.solve(kw.deltas, kw.confidence, kw.valid)
    out, report = refine.refine(model, lin, kw, solver.lam, solver.mu, np.ones(S, bool), model.matrix)
    cv = refine.Curves(model)
    frame = refine_numpy.NumpyFrame(solver.lam, solver.mu, np.ones(S, bool), 3, cv.arrays())
    c = np.repeat(kw.confidence, 3, axis=1)
    prev = np.zeros(S)
    for f in range(F):
        before = frame.objective(kw.basis, kw.deltas[f], c[f], lin[f], prev)
        after = frame.objective(kw.basis, kw.deltas[f], c[f], out[f], prev)
        assert after <= before
        prev = out[f]
    plain = np.zeros_like(lin)
    steps = refine_numpy.sequence_numpy(kw.basis, np.zeros((1, 1, 1)), np.zeros((1, 2, 3)), False, kw.deltas,
                                   kw.confidence, kw.valid, lin, plain, 3, solver.lam, solver.mu,
                                   np.ones(S, bool), *cv.arrays(), np.zeros(S))
    assert steps == report["steps"]
    assert np.abs(plain - out).max() <= 1e-12


def test_a_linear_rig_is_solved_exactly_as_before(arkit_rig):
    W = activations(60, len(arkit_rig.targets), seed=1)
    tr = tracks(landmarks(arkit_rig, W), 3)
    model = solve_model(arkit_rig)
    assert not model.nonlinear and model.matrix.shape[2] == len(arkit_rig.targets)
    kw = key_weights(arkit_rig.landmark_delta_matrix(), arkit_rig.neutral_landmarks(), tr, "rigid",
                     0, arkit_rig.landmarks.rigid, arkit_rig.landmarks.reference_points)
    pinned = pinned_targets(arkit_rig, kw)
    direct = WeightSolver(kw.basis, 3, reg=1e-3, pinned=pinned).solve(kw.deltas, kw.confidence, kw.valid)
    assert np.array_equal(solve_tracks(arkit_rig, tr, "rigid").weight_array(), np.clip(direct, 0, 1))


# -- a rig from a file another program wrote ---------------------------------------------------
@pytest.fixture(scope="module")
def handmade_fbx(tmp_path_factory, face):
    path = tmp_path_factory.mktemp("fbx") / "handmade.fbx"
    path.write_text(handmade_fbx_text(face))
    return path


def test_a_handwritten_fbx_with_inbetweens_solves_along_its_paths(handmade_fbx, face):
    from microexpr.rig.convert import import_rig

    rig = import_rig(face.landmark_vertices, source=str(handmade_fbx))
    assert [f.weight for f in rig.targets[1].shapes[0].frames] == [0.25, 0.6, 1.0]
    assert {(f.shape, f.weight) for f in rig.landmark_deltas.frames} == {
        ("browsUp", 0.5), ("jawDrop", 0.25), ("jawDrop", 0.6)}
    t = np.linspace(0, 1, 90)
    W = np.column_stack([0.9 * np.sin(np.pi * t) ** 2, np.clip(1.2 * t, 0, 1), 0.5 * t])
    lm = landmarks(rig, W)
    refined = solve_tracks(rig, tracks(lm, 3), "raw", reg=1e-8)
    linear = solve_tracks(without_frames(rig), tracks(lm, 3), "raw", reg=1e-8)
    assert np.abs(refined.weight_array() - W).max() < 1e-4
    assert np.abs(linear.weight_array() - W).max() > 0.05
    # the evaluated in-between is the file's, not a straight line
    assert np.abs(evaluate(rig, [0.5, 0, 0]) - evaluate(rig, [1, 0, 0]) * 0.5).max() > 0.05


# -- the command line --------------------------------------------------------------------------
def test_rig_commands_take_a_solve_set(tmp_path, handmade_fbx, face, capsys):
    from microexpr.cli.main import main
    from microexpr.landmarks import write_landmark_vertices

    out = tmp_path / "rig.json"
    assert main(["rig", "build", "--preset", "arkit", "--out", str(out),
                 "--solve-set", "jawOpen,mouthSmile_L"]) == 0
    assert B.load_rig(out).solve_set == ["jawOpen", "mouthSmile_L"]
    lm = tmp_path / "lm.txt"
    write_landmark_vertices(str(lm), face.landmark_vertices)
    names = tmp_path / "solve.txt"
    names.write_text("# the primaries\nbrowsUp\njawDrop  # not the smile\n")
    out2 = tmp_path / "imported.microexpr"
    assert main(["rig", "import", "--from", str(handmade_fbx), "--landmark-vertices", str(lm),
                 "--out", str(out2), "--solve-set", str(names)]) == 0
    assert B.load_rig(out2).solve_set == ["browsUp", "jawDrop"]
    capsys.readouterr()
    assert main(["rig", "build", "--preset", "arkit", "--out", str(out), "--solve-set", "jawOpen,grin"]) != 0
    err = capsys.readouterr().err
    assert "--solve-set" in err and "'grin'" in err


def test_solve_set_file_that_is_missing_is_named(arkit_rig):
    from microexpr.cli.rig import set_solve_set

    with pytest.raises(MicroExprError, match="no such file") as e:
        set_solve_set(arkit_rig, "nowhere/solve.txt")
    assert e.value.field == "--solve-set"
    assert arkit_rig.solve_set is None
