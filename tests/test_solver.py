import numpy as np
import pytest
from scipy.optimize import lsq_linear

from microexpr.solve.projected_solver import ProjectedSolver
from microexpr.solve.weight_solver import WeightSolver


def _problem(seed, M=136, T=52, noise=0.05, conf=False):
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(M, T))
    B[:, 1] = 0.95 * B[:, 0] + 0.05 * B[:, 1]       # nearly collinear targets
    w = np.clip(rng.normal(0.3, 0.5, T), 0, 1)
    d = B @ w + rng.normal(0, noise, M)
    c = rng.uniform(0, 1, M // 2) if conf else None
    if conf:
        c[rng.integers(0, M // 2, 5)] = 0.0            # missing landmarks
    return B, d, c


def _oracle(s: WeightSolver, d, c=None, w_prev=None):
    """The same bounded problem as a stacked least-squares for scipy's lsq_linear."""
    k = s.k
    c = np.ones(s.B.shape[0] // k) if c is None else c
    rows = np.repeat(np.sqrt(c), k)
    A = [rows[:, None] * s.B, np.diag(np.sqrt(s.lam))]
    b = [rows * d, np.zeros(s.targets)]
    if s.mu and w_prev is not None:
        A.append(np.sqrt(s.mu) * np.eye(s.targets))
        b.append(np.sqrt(s.mu) * w_prev)
    ub = np.where(s.allowed, 1.0, 1e-300)
    r = lsq_linear(np.vstack(A), np.concatenate(b), bounds=(0, ub), method="bvls", tol=1e-15)
    return r.x


@pytest.mark.parametrize("seed", range(12))
def test_reaches_the_optimum_of_lsq_linear(seed):
    B, d, c = _problem(seed, conf=seed % 2 == 1)
    s = WeightSolver(B, 2, reg=1e-3, temporal=0.2 if seed % 3 == 0 else 0.0)
    w_prev = np.clip(np.random.default_rng(seed + 100).normal(0.3, 0.3, B.shape[1]), 0, 1)
    w = s.solve_frame(d, c, w_prev)
    ref = _oracle(s, d, c, w_prev)
    ours, theirs = s.objective(w, d, c, w_prev), s.objective(ref, d, c, w_prev)
    assert ours <= theirs * (1 + 1e-6)
    assert np.all((w >= 0) & (w <= 1))


def test_pinned_targets_stay_at_zero_and_the_rest_adapt():
    B, d, _ = _problem(3)
    pinned = np.zeros(B.shape[1], bool)
    pinned[[0, 5, 9]] = True
    s = WeightSolver(B, 2, reg=1e-3, pinned=pinned)
    w = s.solve_frame(d)
    assert np.all(w[pinned] == 0.0)
    ref = _oracle(s, d)
    assert s.objective(w, d) <= s.objective(ref, d) * (1 + 1e-6)


def test_batch_equals_frame_by_frame_and_invalid_frames_hold():
    rng = np.random.default_rng(5)
    B = rng.normal(size=(40, 8))
    D = rng.normal(size=(30, 40))
    valid = np.ones(30, bool)
    valid[[4, 5, 17]] = False
    for temporal in (0.0, 0.3):
        s = WeightSolver(B, 2, reg=1e-2, temporal=temporal)
        W = s.solve(D, valid=valid)
        w = None
        for f in range(30):
            if valid[f]:
                w = s.solve_frame(D[f], w_prev=w)
            expect = np.zeros(8) if w is None else w
            assert np.abs(W[f] - expect).max() < 1e-12
        assert np.array_equal(W[4], W[3]) and np.array_equal(W[5], W[3])


def test_independent_frames_in_parallel_equal_the_causal_path():
    rng = np.random.default_rng(8)
    B = rng.normal(size=(136, 20))
    D = rng.normal(size=(2000, 136))
    s = WeightSolver(B, 2, reg=1e-3)
    fast = s.solve(D)
    one = np.stack([s.solve_frame(d) for d in D[:50]])
    assert np.abs(fast[:50] - one).max() < 1e-10


def test_temporal_term_smooths():
    rng = np.random.default_rng(2)
    B = rng.normal(size=(40, 5))
    true = np.full((200, 5), 0.4)
    D = true @ B.T + rng.normal(0, 0.5, (200, 40))
    rough = WeightSolver(B, 2, reg=1e-4).solve(D)
    smooth = WeightSolver(B, 2, reg=1e-4, temporal=2.0).solve(D)
    assert np.std(np.diff(smooth, axis=0)) < 0.5 * np.std(np.diff(rough, axis=0))


def test_weights_do_not_depend_on_units():
    B, d, _ = _problem(4)
    a = WeightSolver(B, 2, reg=1e-3).solve_frame(d)
    b = WeightSolver(B * 37.0, 2, reg=1e-3).solve_frame(d * 37.0)
    assert np.abs(a - b).max() < 1e-9


@pytest.mark.parametrize("seed", range(4))
def test_projected_solver_reaches_the_stacked_optimum(seed):
    rng = np.random.default_rng(seed)
    L, T = 68, 30
    B3 = rng.normal(size=(L, 3, T)) * 0.1
    from microexpr.rig.softmod import rotation_matrix
    P = 12.0 * rotation_matrix(rng.uniform(-10, 10, 3))[:2]
    r = np.einsum("ij,ljt,t->li", P, B3, np.clip(rng.normal(0.2, 0.4, T), 0, 1))
    r += rng.normal(0, 0.05, r.shape)
    c = np.ones(L)
    c[rng.integers(0, L, 6)] = 0.0
    c[rng.integers(0, L, 6)] = 0.5
    ps = ProjectedSolver(B3, 12.0 * np.eye(3)[:2], reg=1e-3, temporal=0.1)
    w_prev = np.clip(rng.normal(0.2, 0.2, T), 0, 1)
    w = ps.solve_frame(r, P, c, w_prev)
    flat = WeightSolver(np.einsum("ij,ljt->lit", P, B3).reshape(-1, T), 2)
    flat.lam, flat.mu, flat.allowed = ps.lam, ps.mu, ps.allowed
    ref = _oracle(flat, r.reshape(-1), c, w_prev)
    assert ps.objective(w, r, P, c, w_prev) <= ps.objective(ref, r, P, c, w_prev) * (1 + 1e-6)
    W = ps.solve(r.reshape(1, -1), P[None], c[None])
    assert np.abs(W[0] - ps.solve_frame(r, P, c)).max() < 1e-12
