"""A PNG sheet to check a capture at a glance: the landmarks drawn on a few frames (the
neutral, the strongest expression and two more) and the weight curves of the most active
targets, with frames without a face shaded. matplotlib (Agg) is imported here only."""
from __future__ import annotations

import io
from typing import Dict, List

import numpy as np

from microexpr.landmarks import REGIONS

_LINES = [REGIONS[k] for k in ("jaw", "brow_R", "brow_L", "nose_bridge", "nose_base")]
_LOOPS = [REGIONS[k] for k in ("eye_R", "eye_L", "mouth_outer", "mouth_inner")]


def pick_frames(result, count: int = 4) -> List[int]:
    """Input frames worth showing: the neutral, the strongest expression, then the frames
    where other targets peak, in time order."""
    clip, tr = result.clip, result.tracked
    W = clip.weight_array() * clip.valid_array()[:, None]
    ctimes = clip.times()

    def to_input(k: int) -> int:
        return int(np.argmin(np.abs(tr.times - ctimes[k])))

    picks = [to_input(int(clip.source.get("neutral_frame", 0)))]
    apart = max(3, len(tr.times) // (2 * count))
    order = [int(np.argmax(W.sum(axis=1)))] + [int(np.argmax(W[:, t]))
                                                for t in np.argsort(-W.max(axis=0))]
    for k in order:
        i = to_input(k)
        if len(picks) >= count:
            break
        if tr.valid[i] and all(abs(i - p) >= apart for p in picks):
            picks.append(i)
    valid = np.flatnonzero(tr.valid)
    for i in np.linspace(valid[0], valid[-1], count + 2).astype(int)[1:-1]:
        if len(picks) >= count:
            break
        if all(abs(int(i) - p) >= apart for p in picks):
            picks.append(int(i))
    return sorted(picks[:count])


def render_preview(result, images: Dict[int, np.ndarray], top: int = 8) -> bytes:
    """The sheet as PNG bytes. ``images``: input frame index -> RGB image."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    clip, tr = result.clip, result.tracked
    idx = sorted(images)
    fig = Figure(figsize=(3.2 * max(len(idx), 3), 7.2), dpi=100)
    grid = fig.add_gridspec(2, max(len(idx), 1), height_ratios=[1.15, 1.0])
    for col, i in enumerate(idx):
        ax = fig.add_subplot(grid[0, col])
        img = images[i]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        p = result.points[i]
        if np.all(np.isfinite(p)):
            for seg in _LINES:
                ax.plot(p[list(seg), 0], p[list(seg), 1], "-", color="lime", lw=0.8)
            for seg in _LOOPS:
                s = list(seg) + [seg[0]]
                ax.plot(p[s, 0], p[s, 1], "-", color="lime", lw=0.8)
            ax.plot(p[:, 0], p[:, 1], ".", color="yellow", ms=2.5)
            lo, hi = np.nanmin(p, axis=0), np.nanmax(p, axis=0)
            pad = 0.35 * (hi - lo).max()
            ax.set_xlim(lo[0] - pad, hi[0] + pad)
            ax.set_ylim(hi[1] + pad, lo[1] - pad)
            state = tr.states[i]
        else:
            state = "no face"
        ax.set_title("frame %d, %.2f s, %s" % (i, tr.times[i], state), fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    ax = fig.add_subplot(grid[1, :])
    W = clip.weight_array()
    t = clip.times()
    valid = clip.valid_array()
    active = [k for k in np.argsort(-W.max(axis=0))[:top] if W[:, k].max() > 0]
    for k in active:
        ax.plot(t, W[:, k], lw=1.2, label=clip.targets[k])
    dt = 1.0 / clip.fps
    for a in np.flatnonzero(~valid):
        ax.axvspan(t[a] - dt / 2, t[a] + dt / 2, color="0.85", lw=0)
    for i in idx:
        ax.axvline(tr.times[i], color="0.4", lw=0.6, ls=":")
    ax.set_xlim(t[0] - dt, t[-1] + dt)
    ax.set_ylim(0, max(0.1, min(1.0, float(W.max()) * 1.1 if W.size else 1.0)))
    ax.set_xlabel("time (s); grey: no face (weights held or bridged)")
    ax.set_ylabel("weight")
    ax.set_title("%s: the %d most active targets" % (result.report.get("input", ""), len(active)),
                 fontsize=9)
    if active:
        ax.legend(fontsize=8, ncol=4, loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def preview_png(result, count: int = 4) -> bytes:
    """Read the chosen frames again from the input and render the sheet."""
    picks = pick_frames(result, count)
    return render_preview(result, result.tracked.source.read(picks, color=True))
