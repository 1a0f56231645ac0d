import numpy as np
import pytest

from microexpr.solve.key_weights import (
    key_weights,
    raw_deltas,
    reference_deltas,
    similarity_fit,
    weak_perspective_fit,
)
from microexpr.solve.synthetic_tracks import head_motion, image_tracks, space_tracks
from microexpr.solve.tracks import Tracks, finish_tracks
from microexpr.solve.tracks_to_clip import solve_tracks


def test_paper_formulas_on_hand_made_numbers():
    E_ori = np.array([[10.0, 20.0], [30.0, 40.0]])
    E = np.array([[11.0, 19.0], [30.5, 42.0]])
    assert raw_deltas(E, E_ori).tolist() == [[1.0, -1.0], [0.5, 2.0]]
    E0_ori = np.array([5.0, 5.0])
    E0 = np.array([6.0, 4.0])          # the head moved by (+1, -1)
    # D_ori = E_ori - E0_ori = [[5, 15], [25, 35]]; D = E - E0 - D_ori
    assert reference_deltas(E, E0, E_ori, E0_ori).tolist() == [[0.0, 0.0], [-0.5, 3.0]]


def test_similarity_fit_recovers_a_known_transform():
    rng = np.random.default_rng(3)
    src = rng.normal(size=(20, 3))
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.linalg.det(q))
    dst = 2.5 * src @ q.T + [1, 2, 3]
    s, R, t = similarity_fit(src, dst)
    assert s == pytest.approx(2.5) and np.allclose(R, q) and np.allclose(t, [1, 2, 3])


def test_weak_perspective_fit_recovers_a_projection():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 3))
    from microexpr.rig.softmod import rotation_matrix
    R = rotation_matrix((8, -10, 5))
    x = 3.0 * X @ R[:2].T + [5, 6]
    M, t = weak_perspective_fit(X, x)
    assert np.allclose(M, 3.0 * R[:2]) and np.allclose(t, [5, 6])


#: Targets without an antagonist among them (mouthLeft + mouthRight cancel at the landmarks,
#: so random weights on both are not recoverable by any solver).
#: Lip rolls and funnels move landmarks mostly in depth, which a frontal camera barely sees:
#: 2-D tests leave them out (the ridge term keeps them small, as it should).
ACTIVE_2D = ("mouthSmile_L", "browInnerUp", "eyeBlink_R", "jawOpen", "mouthFrown_R", "noseSneer_L",
             "eyeSquint_R", "mouthPress_R", "cheekSquint_L", "mouthUpperUp_L", "mouthLowerDown_R")
ACTIVE = ACTIVE_2D + ("mouthRollUpper", "mouthFunnel")


def _weights(rig, frames, seed=0, active=ACTIVE_2D):
    rng = np.random.default_rng(seed)
    W = np.zeros((frames, len(rig.targets)))
    obs = [rig.target_names().index(n) for n in active]
    for k in range(6):
        t = rng.choice(obs)
        a, b = sorted(rng.integers(1, frames, 2))
        W[a:b + 1, t] = rng.uniform(0.2, 0.8) * np.sin(np.linspace(0, np.pi, b - a + 1))
    W[0] = 0.0
    return W


def _transform2d(tracks: Tracks, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-np.pi, np.pi)
    s = rng.uniform(0.3, 3.0)
    R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    pts = s * tracks.points @ R.T + rng.uniform(-500, 500, 2)
    pts[:, :, 1] *= -1               # back to image y-down for finish_tracks
    return finish_tracks(pts, tracks.confidence, tracks.times, "<moved>")


@pytest.mark.parametrize("mode", ["rigid", "reference", "raw"])
def test_similarity_transforms_of_2d_tracks_change_nothing(arkit_rig, mode):
    W = _weights(arkit_rig, 40)
    tr = image_tracks(arkit_rig, W, head_motion(40, 6, 6, 6, seed=2), noise_px=0.3)
    base = solve_tracks(arkit_rig, tr, mode).weight_array()
    for seed in range(3):
        moved = solve_tracks(arkit_rig, _transform2d(tr, seed), mode).weight_array()
        assert np.abs(moved - base).max() <= 1e-9


def test_similarity_transforms_of_3d_tracks_change_nothing(arkit_rig):
    W = _weights(arkit_rig, 30, seed=1, active=ACTIVE)
    tr = space_tracks(arkit_rig, W, head_motion(30, 10, 10, 10), noise=0.01)
    base = solve_tracks(arkit_rig, tr, "rigid").weight_array()
    rng = np.random.default_rng(9)
    for _ in range(3):
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        q *= np.sign(np.linalg.det(q))
        pts = rng.uniform(0.01, 100) * tr.points @ q.T + rng.normal(size=3) * 50
        moved = finish_tracks(pts, tr.confidence, tr.times, "<moved>", image_space=False)
        assert np.abs(solve_tracks(arkit_rig, moved, "rigid").weight_array() - base).max() <= 1e-9


def test_rigid_2d_copes_with_yaw_and_pitch_of_10_degrees(arkit_rig):
    F = 60
    angles = head_motion(F, yaw=10, pitch=10, roll=8, seed=5)
    angles[:, :2] = np.clip(angles[:, :2] * 1.6, -10, 10)
    assert np.abs(angles[:, :2]).max() > 9
    still = image_tracks(arkit_rig, np.zeros((F, len(arkit_rig.targets))), angles)
    rigid = solve_tracks(arkit_rig, still, "rigid", reg=1e-4).weight_array()
    ref = solve_tracks(arkit_rig, still, "reference", reg=1e-4).weight_array()
    assert rigid.max() < 0.03                   # pure head motion: (almost) no expression
    assert ref.max() > 5 * rigid.max()          # translation-only compensation leaks
    W = _weights(arkit_rig, F, seed=7)
    moving = image_tracks(arkit_rig, W, angles)
    got = solve_tracks(arkit_rig, moving, "rigid", reg=1e-4).weight_array()
    assert np.abs(got - W).max() < 0.05
    assert np.abs(got - W).mean() < 0.002


def test_3d_rigid_recovers_weights_exactly_without_noise(arkit_rig):
    W = _weights(arkit_rig, 30, seed=4, active=ACTIVE)
    tr = space_tracks(arkit_rig, W, head_motion(30, 10, 10, 10), scale=0.01)
    got = solve_tracks(arkit_rig, tr, "rigid", reg=1e-7).weight_array()
    assert np.abs(got - W).max() < 0.02
    # and whatever the weights, the landmarks are reproduced (antagonists included)
    W2 = np.zeros_like(W)
    W2[5:20, arkit_rig.target_names().index("mouthLeft")] = 0.7
    W2[10:25, arkit_rig.target_names().index("mouthRight")] = 0.4
    got2 = solve_tracks(arkit_rig, space_tracks(arkit_rig, W2), "rigid", reg=1e-7).weight_array()
    B3 = arkit_rig.landmark_delta_matrix()
    assert np.abs(np.einsum("ljt,ft->flj", B3, got2 - W2)).max() < 1e-5


def test_missing_landmarks_drop_out_and_empty_frames_are_marked(arkit_rig):
    W = _weights(arkit_rig, 20, seed=2)
    tr = image_tracks(arkit_rig, W)
    pts = tr.points.copy()
    pts[:, :, 1] *= -1
    pts[5, 48:] = np.nan                        # mouth lost in frame 5
    pts[9] = np.nan                             # whole face lost in frame 9
    tr2 = finish_tracks(pts, tr.confidence, tr.times, "<holes>")
    assert len(tr2.missing) == 2 and "frame 9" in tr2.missing[1]
    clip = solve_tracks(arkit_rig, tr2, "rigid", reg=1e-5)
    valid = clip.valid_array()
    assert valid.tolist() == [f != 9 for f in range(20)]
    got = clip.weight_array()
    assert np.array_equal(got[9], got[8])       # held, marked invalid, not invented
    assert clip.hold_invalid
    assert clip.source["invalid_frames"] == [9]


def test_key_weights_rejects_a_bad_neutral(arkit_rig):
    from microexpr.errors import MicroExprError

    tr = image_tracks(arkit_rig, np.zeros((3, len(arkit_rig.targets))))
    with pytest.raises(MicroExprError, match="neutral frame 7"):
        key_weights(arkit_rig.landmark_delta_matrix(), arkit_rig.neutral_landmarks(), tr, "rigid", 7)
    with pytest.raises(MicroExprError, match="unknown compensation"):
        key_weights(arkit_rig.landmark_delta_matrix(), arkit_rig.neutral_landmarks(), tr, "magic")


def test_mirrored_video_swaps_sides(arkit_rig):
    names = arkit_rig.target_names()
    W = np.zeros((10, len(names)))
    W[3:8, names.index("mouthSmile_L")] = 0.6
    tr = image_tracks(arkit_rig, W)
    pts = tr.points.copy()
    pts[:, :, 1] *= -1
    pts[:, :, 0] = 640 - pts[:, :, 0]           # a selfie camera mirrors the image ...
    from microexpr.landmarks import MIRROR
    pts = pts[:, MIRROR]                        # ... and the detector labels by image side
    selfie = finish_tracks(pts, tr.confidence, tr.times, "<selfie>")
    got = solve_tracks(arkit_rig, selfie, "rigid", mirrored=True, reg=1e-5).weight_array()
    assert got[5, names.index("mouthSmile_L")] > 0.5
    assert got[5, names.index("mouthSmile_R")] < 0.05
